"""AWS Batch calls of the submitter: submit, register, describe, cancel (throttling backs off
in `aws.client`'s standard retries)."""

from __future__ import annotations

from submitter import jobdef, plan
from submitter.aws import aws_errors, client


def submit(sub: plan.Submission) -> list[dict]:
    """Submit render then stitch; returns `[{jobName, jobId, jobArn}, ...]`, render first."""
    batch = client("batch")
    with aws_errors(f"job queue {sub.queue}"):
        render = batch.submit_job(**plan.render_request(sub))
        stitch = batch.submit_job(**plan.stitch_request(sub, render["jobId"]))
    return [_summary(render), _summary(stitch)]


def register(request: dict) -> dict:
    """Register the job definition unless an ACTIVE revision has the same content.

    Returns `{jobDefinitionName, jobDefinitionArn, revision, registered}`.
    """
    batch = client("batch")
    name = request["jobDefinitionName"]
    with aws_errors(f"job definition {name}"):
        active = []
        for page in batch.get_paginator("describe_job_definitions").paginate(
            jobDefinitionName=name, status="ACTIVE"
        ):
            active += page["jobDefinitions"]
        found = jobdef.find_unchanged(request, active)
        if found is None:
            found = batch.register_job_definition(**request)
    return {
        "jobDefinitionName": found["jobDefinitionName"],
        "jobDefinitionArn": found["jobDefinitionArn"],
        "revision": found["revision"],
        "registered": "status" not in found,
    }


def _summary(response: dict) -> dict:
    return {key: response[key] for key in ("jobName", "jobId", "jobArn")}
