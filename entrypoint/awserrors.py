"""What an AWS error means for the user, one policy for the container and the submitter alike.

Pure: imports no bpy, boto3, botocore or subprocess; it reads an error's class names and its
AWS error code, so only the modules that call AWS import botocore. `client_config` builds
botocore's Config when called (both client factories use it). Each side maps a category to its
own exception (design.md, "AWS errors"): a Batch child retries what a fresh container may cure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

CONFIG = "config"  # no region, unknown profile, unreadable config file
AUTH = "auth"  # no credentials, expired token, bad key or signature
THROTTLED = "throttled"  # rate limits, still there after botocore's retries
TRANSIENT = "transient"  # 5xx, connection, timeout, a body cut while streaming
MISSING = "missing"  # no such bucket, key, queue, job definition
DENIED = "denied"  # the credentials work but may not do this
INVALID = "invalid"  # the request itself is wrong

# Tries per AWS call (botocore's standard retry mode: backs off on 429, 5xx and connection
# errors). Enough to ride out a throttling burst of a few seconds.
DEFAULT_ATTEMPTS = 10

_BY_CLASS = {
    "NoRegionError": CONFIG,
    "ProfileNotFound": CONFIG,
    "ConfigNotFound": CONFIG,
    "ConfigParseError": CONFIG,
    "InvalidConfigError": CONFIG,
    "InvalidRegionError": CONFIG,
    "NoCredentialsError": AUTH,
    "PartialCredentialsError": AUTH,
    "CredentialRetrievalError": AUTH,
    "TokenRetrievalError": AUTH,
    "SSOError": AUTH,
    "ConnectionError": TRANSIENT,  # botocore's: endpoint, connect timeout, proxy, SSL
    "HTTPClientError": TRANSIENT,  # read timeout, connection closed, body cut mid-stream
    "IncompleteReadError": TRANSIENT,
    "ChecksumError": TRANSIENT,
    "FlexibleChecksumError": TRANSIENT,
}
# Credentials that worked and ran out, or could not be fetched just now: on AWS Batch the job
# role's credentials rotate, so a new attempt in a fresh container gets good ones.
_REFRESHABLE = {
    "CredentialRetrievalError",
    "TokenRetrievalError",
    "SSOError",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "TokenRefreshRequired",
}
_BY_CODE = {
    **dict.fromkeys(
        (
            "ExpiredToken",
            "ExpiredTokenException",
            "RequestExpired",
            "TokenRefreshRequired",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "IncompleteSignature",
            "InvalidSignatureException",
            "MissingAuthenticationToken",
            "AuthFailure",
            "InvalidToken",
        ),
        AUTH,
    ),
    **dict.fromkeys(
        (
            "Throttling",
            "ThrottlingException",
            "ThrottledException",
            "RequestThrottled",
            "RequestThrottledException",
            "TooManyRequestsException",
            "RequestLimitExceeded",
            "SlowDown",
            "BandwidthLimitExceeded",
        ),
        THROTTLED,
    ),
    **dict.fromkeys(
        (
            "RequestTimeout",
            "RequestTimeoutException",
            "PriorRequestNotComplete",
            "OperationAborted",
            "InternalError",
            "InternalFailure",
            "ServiceUnavailable",
            "ServerException",
        ),
        TRANSIENT,
    ),
    **dict.fromkeys(
        ("NoSuchKey", "NoSuchBucket", "NoSuchUpload", "404", "ResourceNotFoundException"),
        MISSING,
    ),
    **dict.fromkeys(("AccessDenied", "AccessDeniedException", "AllAccessDisabled", "403"), DENIED),
    **dict.fromkeys(
        (
            "ClientException",
            "ValidationException",
            "ValidationError",
            "InvalidParameterValue",
            "InvalidParameterException",
            "InvalidRequest",
            "InvalidBucketName",
            "InvalidArgument",
        ),
        INVALID,
    ),
}
# AWS Batch answers ClientException for everything it refuses; these words mean "no such".
_NOT_FOUND_WORDS = ("does not exist", "not found")


@dataclass(frozen=True)
class Problem:
    """An AWS error, sorted: `code` is AWS's error code or botocore's exception name."""

    category: str
    code: str
    message: str  # without a final full stop: messages go on after it
    refreshable: bool = False  # AUTH only: a new attempt may get fresh credentials


def classify(error: BaseException) -> Problem | None:
    """The category of a botocore error (or of one boto3's S3 transfers wrapped); None when
    `error` did not come from AWS."""
    error = _unwrap(error)
    names = _botocore_names(error)
    if not names:
        return None
    if "ClientError" in names:
        return _from_response(error)
    name, message = type(error).__name__, str(error).rstrip(". ")
    for each in names:
        if each in _BY_CLASS:
            category = _BY_CLASS[each]
            return Problem(category, name, message, category == AUTH and each in _REFRESHABLE)
    return Problem(TRANSIENT, name, message)


def attempts(environ: Mapping[str, str] = os.environ) -> int:
    """Tries per AWS call: botocore's own AWS_MAX_ATTEMPTS when set (tests bound retries
    with it), else DEFAULT_ATTEMPTS."""
    raw = environ.get("AWS_MAX_ATTEMPTS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_ATTEMPTS


def client_config(**extra):
    """botocore's Config for every client of both sides; `extra` adds e.g. pool sizes."""
    from botocore.config import Config

    # An explicit total_max_attempts outranks the environment in botocore, so read it here.
    return Config(retries={"mode": "standard", "total_max_attempts": attempts()}, **extra)


def _unwrap(error: BaseException) -> BaseException:
    """boto3's S3 transfers hide the botocore error: S3UploadFailedError keeps it only as
    the exception being handled, RetriesExceededError as `last_exception`."""
    while type(error).__module__.startswith(("boto3.", "s3transfer.")):
        inner = getattr(error, "last_exception", None) or error.__cause__ or error.__context__
        if inner is None:
            break
        error = inner
    return error


def _botocore_names(error: BaseException) -> list[str]:
    return [k.__name__ for k in type(error).__mro__ if k.__module__.startswith("botocore.")]


def _from_response(error) -> Problem:
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    message = (str(response.get("Error", {}).get("Message", "")) or str(error)).rstrip(". ")
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    category = _BY_CODE.get(code)
    if code == "ClientException" and any(w in message.lower() for w in _NOT_FOUND_WORDS):
        category = MISSING
    if category is None:
        category = _by_status(code, status)
    return Problem(category, code or str(status), message, code in _REFRESHABLE)


def _by_status(code: str, status: int) -> str:
    if status == 429:
        return THROTTLED
    # A HEAD answer has no body, so its code is only the status; a bare 400 may be an expired
    # token: treat it as worth another try.
    if status >= 500 or code.isdigit() or not status:
        return TRANSIENT
    return INVALID if 400 <= status < 500 else TRANSIENT
