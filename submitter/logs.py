"""A Batch job's output from CloudWatch Logs (`/aws/batch/job` unless its definition says
otherwise)."""

from __future__ import annotations

import time
from collections.abc import Callable

from entrypoint.errors import BadInput
from submitter import batch, jobdef
from submitter.aws import aws_errors, client

TERMINAL = {"SUCCEEDED", "FAILED"}


def log_location(job: dict) -> tuple[str, str]:
    """(log group, log stream) of a described job; BadInput when it has not started yet."""
    container = job.get("container", {})
    options = container.get("logConfiguration", {}).get("options", {})
    group = options.get("awslogs-group", jobdef.DEFAULT_LOG_GROUP)
    stream = container.get("logStreamName")
    if not stream:
        hint = ""
        if job.get("arrayProperties", {}).get("size"):
            hint = "; it is an array job: pass --index N for one child's log"
        raise BadInput(f"job {job['jobId']} ({job['status']}) has no log stream yet{hint}")
    return group, stream


def events(group: str, stream: str, token: str | None) -> tuple[list[str], str | None]:
    """One page of messages after `token`, and the token to continue from."""
    kwargs = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    if token:
        kwargs["nextToken"] = token
    with aws_errors(f"log stream {group}/{stream}"):
        page = client("logs").get_log_events(**kwargs)
    return [e["message"] for e in page["events"]], page.get("nextForwardToken")


def follow(job_id: str, say: Callable[[str], None], *, keep_going: bool, poll: float) -> None:
    """Print the job's log; with `keep_going`, until the job has finished."""
    job = _describe(job_id)
    group, stream = log_location(job)
    token = None
    while True:
        messages, token = events(group, stream, token)
        for message in messages:
            say(message)
        if messages:
            continue
        if not keep_going or job["status"] in TERMINAL:
            return
        time.sleep(poll)
        job = _describe(job_id)


def _describe(job_id: str) -> dict:
    job = batch.describe([job_id]).get(job_id)
    if job is None:
        raise BadInput(f"no job {job_id} in AWS Batch: check the id (`blendbatch status`)")
    return job
