"""One meaning for every AWS error, on both sides: the categories of real botocore errors."""

import pytest
from boto3.exceptions import RetriesExceededError, S3UploadFailedError
from botocore import exceptions as bx

from entrypoint import awserrors as ae


def client_error(code: str, status: int, message: str = "", operation: str = "Op"):
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return bx.ClientError(response, operation)


# fmt: off
CASES = [
    ("no-region", bx.NoRegionError(), ae.CONFIG, False),
    ("unknown-profile", bx.ProfileNotFound(profile="nope"), ae.CONFIG, False),
    ("no-credentials", bx.NoCredentialsError(), ae.AUTH, False),
    ("partial-credentials", bx.PartialCredentialsError(provider="env", cred_var="secret"),
     ae.AUTH, False),
    ("role-credentials-unavailable", bx.CredentialRetrievalError(provider="container",
     error_msg="timeout"), ae.AUTH, True),
    ("sso-token-expired", bx.UnauthorizedSSOTokenError(), ae.AUTH, True),
    ("expired-token", client_error("ExpiredToken", 400), ae.AUTH, True),
    ("expired-token-batch", client_error("ExpiredTokenException", 403), ae.AUTH, True),
    ("bad-key", client_error("InvalidAccessKeyId", 403), ae.AUTH, False),
    ("bad-signature", client_error("SignatureDoesNotMatch", 403), ae.AUTH, False),
    ("bad-token-batch", client_error("UnrecognizedClientException", 403), ae.AUTH, False),
    ("s3-slow-down", client_error("SlowDown", 503), ae.THROTTLED, False),
    ("batch-throttled", client_error("TooManyRequestsException", 429), ae.THROTTLED, False),
    ("unnamed-429", client_error("", 429), ae.THROTTLED, False),
    ("server-error", client_error("InternalError", 500), ae.TRANSIENT, False),
    ("unnamed-503", client_error("Whatever", 503), ae.TRANSIENT, False),
    ("s3-request-timeout", client_error("RequestTimeout", 400), ae.TRANSIENT, False),
    ("head-bare-400", client_error("400", 400), ae.TRANSIENT, False),
    ("no-endpoint", bx.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
     ae.TRANSIENT, False),
    ("connect-timeout", bx.ConnectTimeoutError(endpoint_url="http://x"), ae.TRANSIENT, False),
    ("read-timeout", bx.ReadTimeoutError(endpoint_url="http://x"), ae.TRANSIENT, False),
    ("body-cut", bx.ResponseStreamingError(error="reset"), ae.TRANSIENT, False),
    ("body-short", bx.IncompleteReadError(actual_bytes=1, expected_bytes=9), ae.TRANSIENT,
     False),
    ("closed", bx.ConnectionClosedError(endpoint_url="http://x"), ae.TRANSIENT, False),
    ("no-such-key", client_error("NoSuchKey", 404), ae.MISSING, False),
    ("no-such-bucket", client_error("NoSuchBucket", 404), ae.MISSING, False),
    ("head-404", client_error("404", 404), ae.MISSING, False),
    ("unknown-queue", client_error("ClientException", 400, "Job queue q does not exist"),
     ae.MISSING, False),
    ("unknown-jobdef", client_error("ClientException", 400, "Job definition d not found"),
     ae.MISSING, False),
    ("access-denied", client_error("AccessDenied", 403), ae.DENIED, False),
    ("access-denied-batch", client_error("AccessDeniedException", 400), ae.DENIED, False),
    ("head-403", client_error("403", 403), ae.DENIED, False),
    ("validation", client_error("ValidationException", 400), ae.INVALID, False),
    ("batch-refusal", client_error("ClientException", 400, "array size 1 is too small"),
     ae.INVALID, False),
    ("bad-parameter", client_error("InvalidParameterValue", 400), ae.INVALID, False),
    ("unnamed-4xx", client_error("SomethingNew", 409), ae.INVALID, False),
]
# fmt: on


@pytest.mark.parametrize(
    ("error", "category", "refreshable"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_error_gets_its_category(error, category, refreshable):
    problem = ae.classify(error)
    assert (problem.category, problem.refreshable) == (category, refreshable)


def test_the_problem_keeps_the_code_and_message_for_the_user():
    problem = ae.classify(client_error("NoSuchBucket", 404, "The bucket does not exist."))
    assert (problem.code, problem.message) == ("NoSuchBucket", "The bucket does not exist")
    assert ae.classify(bx.NoRegionError()).code == "NoRegionError"


def test_errors_that_are_not_aws_errors_are_left_alone():
    assert ae.classify(ValueError("x")) is None
    assert ae.classify(ConnectionResetError()) is None


def test_boto3_transfer_wrappers_are_looked_through():
    # upload_file raises S3UploadFailedError while handling the ClientError (no `from`);
    # download_file raises RetriesExceededError carrying the last body error.
    try:
        raise client_error("NoSuchBucket", 404)
    except bx.ClientError:
        try:
            raise S3UploadFailedError("Failed to upload a to b/c")  # noqa: B904 (as boto3 does)
        except S3UploadFailedError as error:
            upload_failure = error
    cut = RetriesExceededError(bx.ResponseStreamingError(error="cut"))
    assert ae.classify(upload_failure).code == "NoSuchBucket"
    assert ae.classify(cut).category == ae.TRANSIENT


def test_attempts_honour_aws_max_attempts_and_ignore_nonsense():
    assert ae.attempts({}) == ae.DEFAULT_ATTEMPTS
    assert ae.attempts({"AWS_MAX_ATTEMPTS": "2"}) == 2
    assert ae.attempts({"AWS_MAX_ATTEMPTS": "0"}) == ae.DEFAULT_ATTEMPTS
    assert ae.attempts({"AWS_MAX_ATTEMPTS": "many"}) == ae.DEFAULT_ATTEMPTS


def test_both_sides_get_the_same_retry_policy(monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    config = ae.client_config(max_pool_connections=32)
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert config.max_pool_connections == 32
