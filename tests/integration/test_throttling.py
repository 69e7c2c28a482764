"""Throttling (HTTP 429) makes the submitter back off and carry on, never fail."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from submitter import aws, batch

JOB = {"jobId": "r-1", "jobName": "shot-render", "status": "RUNNING", "jobQueue": "q",
       "jobDefinition": "jd", "startedAt": 1}  # fmt: skip


class ThrottleTwice(BaseHTTPRequestHandler):
    """Answers 429 TooManyRequestsException twice, then a DescribeJobs response."""

    calls: list[int] = []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.calls.append(len(self.calls))
        throttled = len(self.calls) <= 2
        body = {"__type": "TooManyRequestsException", "message": "Too Many Requests"}
        self.send_response(429 if throttled else 200)
        if throttled:
            self.send_header("x-amzn-ErrorType", "TooManyRequestsException")
        else:
            body = {"jobs": [JOB]}
        payload = json.dumps(body).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def throttling_endpoint(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), ThrottleTwice)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_port}")
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    ThrottleTwice.calls = []
    aws.client.cache_clear()
    yield ThrottleTwice.calls
    aws.client.cache_clear()
    server.shutdown()


def test_describe_backs_off_through_throttling(throttling_endpoint):
    # When Batch throttles the first two DescribeJobs calls
    found = batch.describe(["r-1"])

    # Then the third answer is used and no error reaches the user
    assert found["r-1"]["status"] == "RUNNING"
    assert len(throttling_endpoint) == 3


def test_describe_asks_for_at_most_100_ids_a_call(monkeypatch):
    from botocore.stub import Stubber

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws.client.cache_clear()
    ids = [f"job-{i}" for i in range(250)]
    with Stubber(aws.client("batch")) as stub:
        for chunk in (ids[:100], ids[100:200], ids[200:]):
            jobs = [JOB | {"jobId": i} for i in chunk]
            stub.add_response("describe_jobs", {"jobs": jobs}, {"jobs": chunk})
        found = batch.describe(ids)
        stub.assert_no_pending_responses()
    aws.client.cache_clear()
    assert sorted(found) == sorted(ids)
