"""The one place the submitter builds boto3 clients (endpoint from `AWS_ENDPOINT_URL`).

Standard retry mode with more attempts: throttling (HTTP 429) backs off instead of failing.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Iterator

from entrypoint.errors import BadInput, TransientFailure

MAX_ATTEMPTS = 10


def _attempts() -> int:
    """botocore's own AWS_MAX_ATTEMPTS when set, else enough to ride out throttling."""
    raw = os.environ.get("AWS_MAX_ATTEMPTS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else MAX_ATTEMPTS


@functools.cache
def client(service: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        config=Config(retries={"mode": "standard", "total_max_attempts": _attempts()}),
    )


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
        response = client("s3").get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{size - 1}")
        return response["Body"].read()


@contextlib.contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """botocore errors -> ours, with the hint a user needs."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise BadInput(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY, or run `aws configure`"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code in ("NoSuchKey", "NoSuchBucket", "404"):
            raise BadInput(f"{what} does not exist ({code}): check the URI") from None
        if code in (
            "ClientException",
            "ValidationException",
            "InvalidParameterValue",
            "AccessDenied",
            "AccessDeniedException",
        ):
            raise BadInput(f"AWS refused the request for {what}: {code}: {message}") from None
        raise TransientFailure(f"AWS error for {what}: {code}: {message}; try again") from error
    except BotoCoreError as error:
        raise TransientFailure(f"AWS unreachable for {what}: {error}; try again") from error


def put_json(uri: str, data: dict) -> None:
    bucket, key = split_s3_uri(uri)
    body = json.dumps(data, indent=2).encode()
    with aws_errors(uri):
        client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def get_json(uri: str) -> dict | None:
    """The JSON object at `uri`, or None when there is none."""
    bucket, key = split_s3_uri(uri)
    from botocore.exceptions import ClientError

    with aws_errors(uri):
        try:
            body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
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
