"""AWS Batch calls of the submitter: submit the planned requests, and nothing else yet."""

from __future__ import annotations

from submitter import plan
from submitter.aws import aws_errors, client


def submit(sub: plan.Submission) -> list[dict]:
    """Submit render then stitch; returns `[{jobName, jobId, jobArn}, ...]`, render first."""
    batch = client("batch")
    with aws_errors(f"job queue {sub.queue}"):
        render = batch.submit_job(**plan.render_request(sub))
        stitch = batch.submit_job(**plan.stitch_request(sub, render["jobId"]))
    return [_summary(render), _summary(stitch)]


def _summary(response: dict) -> dict:
    return {key: response[key] for key in ("jobName", "jobId", "jobArn")}
