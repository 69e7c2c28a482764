"""`s3://bucket/prefix` URIs and local folders (`entrypoint.localdir`) behind one small
interface.

The only module of the entrypoint that talks to S3. boto3 finds emulators and other
endpoints through `AWS_ENDPOINT_URL` by itself; there is deliberately no endpoint option.
Writes are atomic: a reader sees a complete object under its final name or nothing.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from entrypoint import awserrors
from entrypoint.errors import BadInput, TransientFailure
from entrypoint.layout import check_input_name, normal_location
from entrypoint.localdir import LocalDir, check_relative

S3_SCHEME = "s3://"
# Up to s3transfer's own multipart threshold a file comes in one GET (goes in one PUT) anyway.
ONE_GET_BYTES = 8 << 20


@dataclass(frozen=True)
class S3Prefix:
    """`s3://bucket/prefix`: keys are `prefix/rel`."""

    bucket: str
    prefix: str

    @property
    def uri(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, rel: str) -> str:
        rel = check_relative(rel)
        return f"{self.prefix.rstrip('/')}/{rel}" if self.prefix else rel

    def child_uri(self, rel: str) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key(rel)}"

    def size(self, rel: str) -> int | None:
        with _s3_errors(self.child_uri(rel)):
            try:
                head = s3_client().head_object(Bucket=self.bucket, Key=self.key(rel))
            except Exception as error:
                if _no_such_key(error):
                    return None
                raise
            return int(head["ContentLength"])

    def list_dir(self, rel_dir: str) -> dict[str, int]:
        prefix = self.key(rel_dir).rstrip("/") + "/"
        found: dict[str, int] = {}
        with _s3_errors(self.child_uri(rel_dir)):
            pages = (
                s3_client()
                .get_paginator("list_objects_v2")
                .paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/")
            )
            for page in pages:
                for item in page.get("Contents", []):
                    found[item["Key"][len(prefix) :]] = int(item["Size"])
        return found

    def links(self, rel_dir: str) -> set[str]:
        """S3 has no links."""
        return set()

    def put_file(self, local: Path, rel: str, tags: dict[str, str] | None = None) -> None:
        extra = {"Tagging": urllib.parse.urlencode(tags)} if tags else {}
        with _s3_errors(self.child_uri(rel)):
            if local.stat().st_size <= ONE_GET_BYTES:
                # upload_file starts a thread pool: for what one PUT carries, more than the PUT.
                s3_client().put_object(
                    Bucket=self.bucket, Key=self.key(rel), Body=local.read_bytes(), **extra
                )
                return
            s3_client().upload_file(str(local), self.bucket, self.key(rel), ExtraArgs=extra)

    def put_bytes(self, data: bytes, rel: str) -> None:
        with _s3_errors(self.child_uri(rel)):
            s3_client().put_object(Bucket=self.bucket, Key=self.key(rel), Body=data)

    def get_file(
        self, rel: str, local: Path, if_match: str | None = None, size: int | None = None
    ) -> None:
        """`if_match`: an ETag the object must still have (a pinned input); `size`: the
        object's size when the caller already asked for it."""
        with _s3_errors(self.child_uri(rel)):
            if if_match is None and size is not None and size <= ONE_GET_BYTES:
                # download_file asks for the size again and starts a thread pool: for what
                # one GET carries, that is 2-3x the time of the GET itself.
                local.write_bytes(self._whole(rel))
                return
            if if_match is None:
                s3_client().download_file(self.bucket, self.key(rel), str(local))
                return
            # download_file takes no IfMatch: one streamed GetObject carries the condition.
            got = s3_client().get_object(Bucket=self.bucket, Key=self.key(rel), IfMatch=if_match)
            with local.open("wb") as sink:
                shutil.copyfileobj(got["Body"], sink, 1 << 20)

    def get_bytes(self, rel: str) -> bytes:
        with _s3_errors(self.child_uri(rel)):
            return self._whole(rel)

    def get_bytes_if_present(self, rel: str) -> bytes | None:
        """The object's bytes, None if there is none: one request, not a listing and a GET."""
        with _s3_errors(self.child_uri(rel)):
            try:
                return self._whole(rel)
            except Exception as error:
                if _no_such_key(error):
                    return None
                raise

    def _whole(self, rel: str) -> bytes:
        """One GetObject, its body read whole (read again if the connection drops mid-body)."""
        return _read_body_retrying(
            lambda: s3_client().get_object(Bucket=self.bucket, Key=self.key(rel))
        )


Location = LocalDir | S3Prefix


def parse_location(uri: str) -> Location:
    """An output or input folder: `s3://bucket[/prefix]` or a local path."""
    if uri.startswith(S3_SCHEME):
        # One spelling of a prefix, the submitter's too (`s3://B//x/` is `s3://B/x`).
        bucket, _, prefix = normal_location(uri)[len(S3_SCHEME) :].partition("/")
        if not bucket:
            raise BadInput(f"{uri!r} names no bucket: write s3://BUCKET/PREFIX")
        if prefix:
            check_relative(prefix)
        return S3Prefix(bucket, prefix)
    if "://" in uri:
        scheme = uri.split("://", 1)[0]
        raise BadInput(f"{uri!r}: scheme {scheme!r} is not supported: use s3:// or a local path")
    if not uri:
        raise BadInput("an empty path was given: pass a local folder or s3://BUCKET/PREFIX")
    return LocalDir(Path(uri))


def split_file_uri(uri: str) -> tuple[Location, str]:
    """A file URI -> (its folder, its name), e.g. for the input .blend."""
    if uri.startswith(S3_SCHEME):
        bucket, _, key = uri[len(S3_SCHEME) :].partition("/")
        if not bucket:
            raise BadInput(f"{uri!r} names no bucket: write s3://BUCKET/path/to/scene.blend")
        if not key or key.endswith("/"):
            raise BadInput(f"{uri!r} names no object: write s3://BUCKET/path/to/scene.blend")
        parent, _, name = key.rpartition("/")
        check_input_name(uri, name)
        return S3Prefix(bucket, parent), name
    path = Path(uri)
    parse_location(uri)  # same scheme checks as folders
    return LocalDir(path.parent), path.name


def fetch_file(
    uri: str, workdir: Path, *, if_match: str | None = None, local: Path | None = None
) -> Path:
    """A local path to the file at `uri`: local files are used in place (or copied to `local`),
    S3 objects downloaded (to `local`, else into `workdir`); `if_match` pins an S3 object's ETag.
    """
    folder, name = split_file_uri(uri)
    if isinstance(folder, LocalDir):
        path = folder.root / name
        if not path.is_file():
            raise BadInput(f"{uri} does not exist or is not a file: check the path")
        if local is not None:
            shutil.copyfile(path, local)
            return local
        return path
    size = folder.size(name)
    if size is None:
        raise BadInput(f"{uri} does not exist: upload it first or fix the key")
    if size == 0:  # S3 answers a GET of an empty object's first bytes with InvalidRange
        raise BadInput(f"{uri} is empty (0 bytes): upload the .blend again")
    local = local or workdir / name
    if if_match is None:
        get_whole(folder, name, local, size)
        return local
    folder.get_file(name, local, if_match, size=size)
    _check_whole(local, size, uri)
    return local


def get_whole(folder: Location, rel: str, local: Path, size: int) -> None:
    """`rel` into `local`, known to be `size` bytes (one GET when small): a shorter or longer
    file (the object changed, or the connection dropped mid-body) is a failure to retry."""
    folder.get_file(rel, local, size=size)
    _check_whole(local, size, folder.child_uri(rel))


def _check_whole(local: Path, size: int, uri: str) -> None:
    got = local.stat().st_size
    if got != size:
        raise TransientFailure(f"downloaded {got} of {size} bytes of {uri}: retry the job")


@functools.cache
def s3_client():
    """The one S3 client of the image (retries: awserrors.client_config)."""
    import boto3

    # A connection per fetching thread (stitch fetches 8 frames at a time, uploads use 10).
    return boto3.client("s3", config=awserrors.client_config(max_pool_connections=32))


def _no_such_key(error: Exception) -> bool:
    problem = awserrors.classify(error)
    return bool(problem and problem.code in ("404", "NoSuchKey"))


def _read_body_retrying(get) -> bytes:
    """GetObject, body read included. botocore retries the request, not the body: a connection
    cut while the body streams raises from `read()` outside its retries (s3transfer's
    `download_file` re-reads such bodies itself, a plain GetObject does not): read again."""
    for attempt in range(1, awserrors.attempts()):
        body = get()["Body"]
        try:
            return body.read()
        except Exception as error:
            problem = awserrors.classify(error)
            if problem is None or problem.category != awserrors.TRANSIENT:
                raise
        time.sleep(min(0.1 * 2**attempt, 5))
    return get()["Body"].read()  # the last try: its error reaches the caller


@contextlib.contextmanager
def _s3_errors(uri: str) -> Iterator[None]:
    """AWS errors -> ours, for a Batch child: what a new attempt may cure is retryable (exit 1),
    the rest is bad input (exit 2, Batch does not retry it)."""
    try:
        yield
    except Exception as error:
        problem = awserrors.classify(error)
        if problem is None:
            raise
        mapped = _child_error(problem, uri)
        raise mapped from (None if isinstance(mapped, BadInput) else error)


def _child_error(problem: awserrors.Problem, uri: str) -> BadInput | TransientFailure:
    category, code = problem.category, problem.code
    if category == awserrors.CONFIG:
        return BadInput(
            f"cannot reach {uri}: {problem.message}: fix AWS_PROFILE or AWS_REGION, or unset "
            "them (on AWS Batch the job brings its region and role)"
        )
    if category == awserrors.AUTH and problem.refreshable:
        return TransientFailure(f"the AWS credentials for {uri} expired ({code}); retry the job")
    if category == awserrors.AUTH and code == "NoCredentialsError":
        return BadInput(
            f"no AWS credentials to reach {uri}: set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY (on AWS Batch, give the job definition a job role)"
        )
    if category == awserrors.AUTH:
        return BadInput(
            f"AWS refused the credentials for {uri} ({code}): fix the access key or the job role"
        )
    if category == awserrors.MISSING and code == "NoSuchBucket":
        return BadInput(f"the bucket of {uri} does not exist: create it or fix the URI")
    if category == awserrors.MISSING:
        return BadInput(f"{uri} does not exist ({code}): fix the URI")
    if category == awserrors.DENIED:
        return BadInput(
            f"access to {uri} was denied ({code}): check the credentials or the job role"
        )
    if code in ("PreconditionFailed", "412"):  # a GET with If-Match: the pinned ETag
        return BadInput(
            f"{uri} was replaced after the job was submitted (its ETag no longer matches): "
            "submit again"
        )
    if category == awserrors.INVALID:
        return BadInput(f"S3 refused the request for {uri} ({code}: {problem.message})")
    if category == awserrors.THROTTLED:
        return TransientFailure(f"S3 kept throttling requests for {uri} ({code}); retry the job")
    return TransientFailure(f"S3 error on {uri}: {code}: {problem.message}; retry the job")
