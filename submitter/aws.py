"""The one place the submitter builds boto3 clients (endpoint from `AWS_ENDPOINT_URL`).

Every client comes from one boto3 Session made with the command's `--profile` and `--region`
(`use`, called once at the edge; None leaves boto3's own lookup: AWS_PROFILE,
AWS_DEFAULT_REGION, ~/.aws/config). Retries and the meaning of AWS errors come from
`entrypoint.awserrors`, shared with the image: throttling (HTTP 429) backs off instead of
failing.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Iterator
from pathlib import Path

from entrypoint import awserrors
from entrypoint.errors import BadInput, TransientFailure

# The profile and region the command was given (`use`); None: boto3 looks them up itself.
_chosen: dict[str, str | None] = {"profile": None, "region": None}


def use(*, profile: str | None = None, region: str | None = None) -> None:
    """Build every later client with this profile and region."""
    _chosen.update(profile=profile or None, region=region or None)


def client(service: str):
    return _client(service, _chosen["profile"], _chosen["region"])


client.cache_clear = lambda: _client.cache_clear()  # type: ignore[attr-defined]


@functools.cache
def _client(service: str, profile: str | None, region: str | None):
    import boto3

    # No region or an unknown profile fail here, at client creation, before any request.
    with aws_errors(f"AWS {service}"):
        session = boto3.Session(profile_name=profile, region_name=region)
        return session.client(service, config=awserrors.client_config())


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise BadInput(f"{uri!r} is not an s3:// URI: AWS Batch reads inputs from S3")
    bucket, _, key = uri[5:].partition("/")
    if not bucket or not key:
        raise BadInput(f"{uri!r} must name a bucket and a key: s3://BUCKET/path/scene.blend")
    return bucket, key


def read_prefix(uri: str, size: int) -> bytes:
    """The first `size` bytes of an S3 object, with one ranged GET."""
    bucket, key = split_s3_uri(uri)
    with aws_errors(uri):
        try:
            response = client("s3").get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{size - 1}")
        except Exception as error:
            problem = awserrors.classify(error)
            # A range from byte 0 is unsatisfiable only when the object has no bytes at all.
            if problem and problem.code in ("InvalidRange", "416"):
                raise BadInput(f"{uri} is empty (0 bytes): upload the .blend again") from None
            raise
        return response["Body"].read()


@contextlib.contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """AWS errors -> ours, for a person at a terminal: whatever they must fix (configuration,
    credentials, names, permissions) is bad input (exit 2); the rest is worth another try."""
    try:
        yield
    except Exception as error:
        problem = awserrors.classify(error)
        if problem is None:
            raise
        mapped = _submitter_error(problem, what)
        raise mapped from (None if isinstance(mapped, BadInput) else error)


def _submitter_error(problem: awserrors.Problem, what: str) -> BadInput | TransientFailure:
    category, code, message = problem.category, problem.code, problem.message
    if code == "NoRegionError":
        return BadInput(
            f"no AWS region for {what}: pass --region, or set AWS_REGION, or a region in your "
            "AWS profile"
        )
    if code == "ProfileNotFound":
        return BadInput(
            f"{message}: pass --profile (or set AWS_PROFILE) with a profile "
            "`aws configure list-profiles` shows, or leave both unset"
        )
    if category == awserrors.CONFIG:
        return BadInput(f"{message}: fix the AWS configuration (~/.aws/config, AWS_CONFIG_FILE)")
    if code == "NoCredentialsError":
        return BadInput(
            "no AWS credentials found: pass --profile (or set AWS_PROFILE), or set "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws configure`"
        )
    if category == awserrors.AUTH and problem.refreshable:
        return BadInput(
            f"the AWS credentials expired ({code}): renew them (`aws sso login`, or new "
            "session keys), or pass another --profile, and try again"
        )
    if category == awserrors.AUTH:
        return BadInput(
            f"AWS refused the credentials ({code}): check AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY, or pass --profile with a profile that works"
        )
    if category == awserrors.MISSING:
        return BadInput(
            f"{what} does not exist ({code}: {message}): check the name or URI, or pass the "
            "--region/--profile it lives in"
        )
    if category == awserrors.DENIED:
        return BadInput(
            f"access to {what} was denied ({code}): your AWS user or role needs permission "
            f"for it ({message}), or pass the --profile/--region that has it"
        )
    if category == awserrors.INVALID:
        return BadInput(f"AWS refused the request for {what}: {code}: {message}")
    if category == awserrors.THROTTLED:
        return TransientFailure(
            f"AWS kept throttling the requests for {what} ({code}): wait a minute and try again"
        )
    return TransientFailure(f"AWS error for {what}: {code}: {message}; try again")


def put_json(uri: str, data: dict) -> None:
    bucket, key = split_s3_uri(uri)
    body = json.dumps(data, indent=2).encode()
    with aws_errors(uri):
        client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def get_json(uri: str) -> dict | None:
    """The JSON object at `uri`, or None when there is none."""
    bucket, key = split_s3_uri(uri)
    with aws_errors(uri):
        try:
            body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as error:
            problem = awserrors.classify(error)
            if problem and problem.code in ("NoSuchKey", "404"):
                return None
            raise
    return json.loads(body)


def etag(uri: str) -> str:
    """The object's ETag without its quotes (one HeadObject): what pins an s3:// input."""
    bucket, key = split_s3_uri(uri)
    with aws_errors(uri):
        return client("s3").head_object(Bucket=bucket, Key=key)["ETag"].strip('"')


def upload_file(path: str, uri: str) -> None:
    bucket, key = split_s3_uri(uri)
    with aws_errors(uri):
        client("s3").upload_file(path, bucket, key)


def count_objects(prefix_uri: str) -> int:
    """How many objects lie under `s3://bucket/prefix/` (frames present, for progress)."""
    bucket, prefix = split_s3_uri(prefix_uri.rstrip("/") + "/")
    count = 0
    with aws_errors(prefix_uri):
        for page in (
            client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        ):
            count += sum(1 for o in page.get("Contents", []) if o["Size"] > 0)
    return count


def list_keys(prefix_uri: str) -> list[str]:
    """Every key under `s3://bucket/prefix/` (the prefix taken as a folder)."""
    bucket, prefix = split_s3_uri(prefix_uri.rstrip("/") + "/")
    keys: list[str] = []
    with aws_errors(prefix_uri):
        for page in (
            client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        ):
            keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def delete_keys(bucket: str, keys: list[str]) -> None:
    """Delete the objects, 1000 per request (S3's limit); any key S3 refused is an error."""
    for start in range(0, len(keys), 1000):
        batch = [{"Key": k} for k in keys[start : start + 1000]]
        with aws_errors(f"s3://{bucket}"):
            response = client("s3").delete_objects(
                Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
            )
        if response.get("Errors"):
            first = response["Errors"][0]
            raise TransientFailure(
                f"S3 did not delete {len(response['Errors'])} objects (first: "
                f"s3://{bucket}/{first.get('Key')}: {first.get('Code')}): try again"
            )


def list_folder(uri: str) -> tuple[list[str], list[dict]]:
    """(the sub-folder names, the files) directly under `s3://bucket/prefix/`; a file is
    S3's listing entry with `Name` added (the part after the prefix)."""
    if not uri.startswith("s3://") or not uri[5:].strip("/"):
        raise BadInput(f"{uri!r} is not an S3 location: give s3://BUCKET[/PREFIX]")
    bucket, _, prefix = uri[5:].rstrip("/").partition("/")
    prefix = prefix + "/" if prefix else ""
    folders: list[str] = []
    files: list[dict] = []
    with aws_errors(uri):
        pages = client("s3").get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            folders += [
                p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])
            ]
            files += [o | {"Name": o["Key"][len(prefix) :]} for o in page.get("Contents", [])]
    return folders, files


def download(uri: str, path: Path) -> None:
    """Fetch an object to `path` through a dot-named file beside it: a cut download never
    leaves a partial file under the final name."""
    bucket, key = split_s3_uri(uri)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with aws_errors(uri):
            client("s3").download_file(bucket, key, str(partial))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def list_etags(prefix_uri: str) -> dict[str, str]:
    """Key -> ETag of every object under `s3://bucket/prefix/`: what changed since last look."""
    bucket, prefix = split_s3_uri(prefix_uri.rstrip("/") + "/")
    found: dict[str, str] = {}
    with aws_errors(prefix_uri):
        for page in (
            client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        ):
            found |= {o["Key"]: o["ETag"] for o in page.get("Contents", [])}
    return found
