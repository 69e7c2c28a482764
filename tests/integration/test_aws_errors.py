"""AWS refusing a request, as a user meets it: a Batch child retries (exit 1) only what a new
attempt may cure; the submitter says what to fix (exit 2) for everything the user controls.
Neither shows a traceback. AWS answers come from a loopback server speaking its error formats
(moto cannot expire a token or deny access)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import run_cli, run_entrypoint
from tests.emulator import EMULATOR_ENV

NO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": None,
    "AWS_SECRET_ACCESS_KEY": None,
    "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    # Never ask an instance or container metadata service (not loopback) for credentials.
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None,
}


class Refusing(BaseHTTPRequestHandler):
    """Answers every request with one AWS error: S3's XML, or Batch's JSON under /v1/."""

    protocol_version = "HTTP/1.1"
    status, code, message = 500, "InternalError", "refused"

    def _any(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/v1/"):
            body = json.dumps({"__type": self.code, "message": self.message}).encode()
            headers = {"Content-Type": "application/json", "x-amzn-ErrorType": self.code}
        else:
            body = (
                f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{self.code}</Code>"
                f"<Message>{self.message}</Message></Error>"
            ).encode()
            headers = {"Content-Type": "application/xml"}
        self.send_response(self.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = _any

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def refusing() -> Iterator[callable]:
    """Start the server; `refusing(status, code, message)` sets its answer, returns the env."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def answer(status: int, code: str, message: str = "refused") -> dict:
        Refusing.status, Refusing.code, Refusing.message = status, code, message
        endpoint = f"http://127.0.0.1:{server.server_port}"
        return EMULATOR_ENV | {"AWS_ENDPOINT_URL": endpoint, "AWS_MAX_ATTEMPTS": "2"}

    yield answer
    server.shutdown()
    server.server_close()


CHILD = [
    ("expired-token", 400, "ExpiredToken", 1, "expired (ExpiredToken); retry the job"),
    ("throttled", 503, "SlowDown", 1, "kept throttling"),
    ("server-error", 500, "InternalError", 1, "retry the job"),
    ("access-denied", 403, "AccessDenied", 2, "was denied (AccessDenied): check"),
    ("bad-key", 403, "InvalidAccessKeyId", 2, "refused the credentials"),
    ("no-bucket", 404, "NoSuchBucket", 2, "does not exist: create it or fix the URI"),
]


@pytest.mark.parametrize(("status", "code", "exit_code", "says"), [c[1:] for c in CHILD],
                         ids=[c[0] for c in CHILD])  # fmt: skip
def test_a_child_retries_only_what_a_new_attempt_may_cure(refusing, status, code, exit_code,
                                                          says):  # fmt: skip
    # Given S3 refusing every request with this error
    env = refusing(status, code)
    # When a stitch child reads its manifests
    result = run_entrypoint("stitch", "-i", "s3://b/renders/shot", "-o", "s3://b/renders/shot",
                            env=env)  # fmt: skip
    # Then it exits with the code Batch's retry policy needs, naming the URI and the fix
    assert result.returncode == exit_code, result.stderr[-3000:]
    assert says in result.stderr
    assert "s3://b/renders/shot/manifests" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_child_with_an_unknown_profile_says_so(refusing):
    env = refusing(500, "InternalError") | {"AWS_PROFILE": "no-such-profile"}
    result = run_entrypoint("stitch", "-i", "s3://b/shot", "-o", "s3://b/shot", env=env)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "no-such-profile" in result.stderr and "AWS_PROFILE" in result.stderr
    assert "Traceback" not in result.stderr


SUBMITTER_SETUP = [
    ("no-region", {"AWS_REGION": None, "AWS_DEFAULT_REGION": None,
                   "AWS_CONFIG_FILE": "/nonexistent/config"}, "pass --region, or set AWS_REGION"),
    ("unknown-profile", {"AWS_PROFILE": "no-such-profile"}, "aws configure list-profiles"),
    ("no-credentials", {**NO_CREDENTIALS}, "no AWS credentials found"),
]  # fmt: skip


@pytest.mark.parametrize(("env", "says"), [c[1:] for c in SUBMITTER_SETUP],
                         ids=[c[0] for c in SUBMITTER_SETUP])  # fmt: skip
def test_the_submitter_names_the_fix_for_its_aws_setup(refusing, env, says):
    # Given a machine without a region, with a profile that does not exist, or no credentials
    full_env = refusing(500, "InternalError") | env
    # When the user asks for a pipeline's status
    result = run_cli("status", "r-1", env=full_env)
    # Then one line says what to fix, exit 2, before any request could be refused
    assert result.returncode == 2, result.stderr[-3000:]
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


SUBMITTER_REFUSALS = [
    ("expired-token", 403, "ExpiredTokenException", "", 2, "credentials expired"),
    ("bad-token", 403, "UnrecognizedClientException", "", 2, "refused the credentials"),
    ("access-denied", 403, "AccessDeniedException", "", 2, "needs permission"),
    ("unknown-queue", 400, "ClientException", "job queue q does not exist", 2, "does not exist"),
    ("throttled", 429, "TooManyRequestsException", "", 1, "kept throttling"),
    ("server-error", 500, "ServerException", "", 1, "try again"),
]


@pytest.mark.parametrize(("status", "code", "message", "exit_code", "says"),
                         [c[1:] for c in SUBMITTER_REFUSALS],
                         ids=[c[0] for c in SUBMITTER_REFUSALS])  # fmt: skip
def test_the_submitter_exits_2_for_what_the_user_must_fix(refusing, status, code, message,
                                                          exit_code, says):  # fmt: skip
    # Given Batch refusing every request with this error
    env = refusing(status, code, message or "refused")
    # When the user asks for a pipeline's status
    result = run_cli("status", "r-1", env=env)
    # Then the exit code says whether trying again can help, and the message what to do
    assert result.returncode == exit_code, result.stderr[-3000:]
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_an_upload_to_a_bucket_that_does_not_exist_is_bad_input(moto_endpoint, tmp_path):
    # boto3's upload_file hides the NoSuchBucket error inside S3UploadFailedError
    from entrypoint import storage
    from entrypoint.errors import BadInput

    frame = tmp_path / "0001.png"
    frame.write_bytes(b"frame")
    storage.s3_client.cache_clear()
    with pytest.raises(BadInput, match="the bucket of s3://no-such-bucket-here/shot/frames"):
        storage.parse_location("s3://no-such-bucket-here/shot").put_file(frame, "frames/0001.png")
