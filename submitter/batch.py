"""AWS Batch calls of the submitter: submit, register, describe, cancel.

Throttling (HTTP 429) backs off in `aws.client`'s standard retries; DescribeJobs takes at most
100 ids a call.
"""

from __future__ import annotations

from entrypoint.errors import BlendbatchError
from submitter import jobdef, plan
from submitter.aws import aws_errors, client

DESCRIBE_LIMIT = 100


def submit(render_plan: plan.RenderPlan, options: plan.BatchOptions) -> list[dict]:
    """Submit render then stitch (`--no-video`: the render only); returns
    `[{jobName, jobId, jobArn}, ...]`, render first.

    SubmitJob has no idempotency token, so a stitch refused after the render was accepted is
    reported with the render's id and how to cancel it, never resubmitted blindly.
    """
    batch = client("batch")
    with aws_errors(f"job queue {options.queue}"):
        render = batch.submit_job(**plan.render_request(render_plan, options))
    if not render_plan.make_video:
        return [_summary(render)]
    try:
        with aws_errors(f"job queue {options.stitch_queue or options.queue}"):
            stitch = batch.submit_job(**plan.stitch_request(render_plan, options, render["jobId"]))
    except BlendbatchError as error:
        raise type(error)(
            f"the render job {render['jobId']} ({render['jobName']}) was submitted but the "
            f"stitch job was not: {error}. Cancel the render with `blendbatch cancel "
            f"{render['jobId']}`, fix the problem and submit again"
        ) from None
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


def is_registered(name: str) -> bool:
    """Whether a job definition of this name has an ACTIVE revision."""
    with aws_errors(f"job definition {name}"):
        found = client("batch").describe_job_definitions(jobDefinitionName=name, status="ACTIVE")
    return bool(found["jobDefinitions"])


def definition_image(definition_arn: str) -> str | None:
    """The image a job definition revision runs (a revision never changes)."""
    with aws_errors(f"job definition {definition_arn}"):
        found = client("batch").describe_job_definitions(jobDefinitions=[definition_arn])
    definitions = found["jobDefinitions"]
    return definitions[0].get("containerProperties", {}).get("image") if definitions else None


def describe(job_ids: list[str]) -> dict[str, dict]:
    """Job id -> description, in calls of at most 100 ids; unknown ids are absent."""
    batch = client("batch")
    found: dict[str, dict] = {}
    with aws_errors("DescribeJobs"):
        for i in range(0, len(job_ids), DESCRIBE_LIMIT):
            for job in batch.describe_jobs(jobs=job_ids[i : i + DESCRIBE_LIMIT])["jobs"]:
                found[job["jobId"]] = job
    return found


def failed_children(array_job_id: str) -> list[dict]:
    """The FAILED children of an array job (ListJobs summaries: jobId, statusReason, ...)."""
    batch = client("batch")
    children: list[dict] = []
    with aws_errors(f"array job {array_job_id}"):
        for page in batch.get_paginator("list_jobs").paginate(
            arrayJobId=array_job_id, jobStatus="FAILED"
        ):
            children += page["jobSummaryList"]
    return children


def cancel(job_ids: list[str], reason: str) -> None:
    """Terminate jobs (an array parent takes its children with it); finished jobs are left."""
    batch = client("batch")
    for job_id in job_ids:
        with aws_errors(f"job {job_id}"):
            batch.terminate_job(jobId=job_id, reason=reason)


def _summary(response: dict) -> dict:
    return {key: response[key] for key in ("jobName", "jobId", "jobArn")}
