"""States the emulator cannot produce: a pipeline with failed children, and a log that grows
while the job runs. Batch answers come from botocore's Stubber; S3 and Logs from moto."""

from __future__ import annotations

import contextlib
import json
import time

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from submitter import aws, logs
from submitter.cli import app

RENDER, STITCH = "r-0001", "s-0002"


def job(job_id: str, status: str, command: list[str], **extra) -> dict:
    return {
        "jobId": job_id,
        "jobName": job_id,
        "jobArn": f"arn:aws:batch:us-east-1:1:job/{job_id}",
        "jobQueue": "q",
        "status": status,
        "jobDefinition": "jd",
        "startedAt": 1,
        "container": {"command": command, **extra.pop("container", {})},
        **extra,
    }


@pytest.fixture
def batch_stub(moto_endpoint):
    aws.client.cache_clear()
    stubber = Stubber(aws.client("batch"))
    with stubber:
        yield stubber
    aws.client.cache_clear()


def test_status_lists_failed_children_with_their_reasons_and_fails(bucket, batch_stub):
    # Given a render array of 4 whose children 1 and 3 failed, and the record submit leaves
    root = f"s3://{bucket}/renders/shot"
    render = job(
        RENDER,
        "FAILED",
        ["render", "-i", "s3://b/x.blend", "-o", root, "-f", "2", "-t", "8"],
        arrayProperties={"size": 4, "statusSummary": {"SUCCEEDED": 2, "FAILED": 2}},
    )
    stitch = job(
        STITCH,
        "FAILED",
        ["stitch", "-i", root, "-o", root],
        dependsOn=[{"jobId": RENDER}],
        statusReason="Dependent Job failed",
    )
    boto3.client("s3").put_object(
        Bucket=bucket,
        Key=f"renders/shot/jobs/{RENDER}.json",
        Body=json.dumps({"renderJobId": RENDER, "stitchJobId": STITCH, "output": root}),
    )
    for n in range(1, 5):
        boto3.client("s3").put_object(
            Bucket=bucket, Key=f"renders/shot/frames/{n:04d}.png", Body=b"png"
        )
    batch_stub.add_response("describe_jobs", {"jobs": [render]}, {"jobs": [RENDER]})
    batch_stub.add_response("describe_jobs", {"jobs": [stitch]}, {"jobs": [STITCH]})
    batch_stub.add_response(
        "list_jobs",
        {
            "jobSummaryList": [
                {
                    "jobId": f"{RENDER}:1",
                    "jobName": "c1",
                    "status": "FAILED",
                    "statusReason": "Host EC2 (instance i-1) terminated.",
                    "arrayProperties": {"index": 1},
                },
                {
                    "jobId": f"{RENDER}:3",
                    "jobName": "c3",
                    "status": "FAILED",
                    "statusReason": "Essential container in task exited",
                    "container": {"exitCode": 2},
                    "arrayProperties": {"index": 3},
                },
            ]
        },
        {"arrayJobId": RENDER, "jobStatus": "FAILED"},
    )

    # When the user asks for its status
    shown = CliRunner().invoke(app, ["status", RENDER])

    # Then it shows the frames there, each failed child with its reason, and exits 1
    assert shown.exit_code == 1, shown.output
    assert "4/8" in shown.output
    assert "Host EC2 (instance i-1) terminated." in shown.output
    assert "Essential container in task exited" in shown.output
    assert "FAILED" in shown.output
    batch_stub.assert_no_pending_responses()


def test_follow_prints_lines_as_they_arrive_until_the_job_ends(moto_endpoint, batch_stub):
    # Given a running job whose log stream has one line so far
    group, stream = "/aws/batch/job", "blendbatch/default/abc"
    cloudwatch = boto3.client("logs")
    with contextlib.suppress(cloudwatch.exceptions.ResourceAlreadyExistsException):
        cloudwatch.create_log_group(logGroupName=group)
    cloudwatch.create_log_stream(logGroupName=group, logStreamName=stream)

    def put(message: str) -> None:
        cloudwatch.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
        )

    put("frame 1: 1.0 s")
    running = job(RENDER, "RUNNING", ["render"], container={"logStreamName": stream})
    batch_stub.add_response("describe_jobs", {"jobs": [running]}, {"jobs": [RENDER]})
    batch_stub.add_response("describe_jobs", {"jobs": [running]}, {"jobs": [RENDER]})
    done = job(RENDER, "SUCCEEDED", ["render"], container={"logStreamName": stream})
    batch_stub.add_response("describe_jobs", {"jobs": [done]}, {"jobs": [RENDER]})

    # When the user follows it, and the job writes more while it runs
    seen: list[str] = []

    def say(line: str) -> None:
        seen.append(line)
        if line == "frame 1: 1.0 s":
            put("frame 2: 1.1 s")

    logs.follow(RENDER, say, keep_going=True, poll=0.01)

    # Then every line is printed once, in order, and following stops once the job has ended
    assert seen == ["frame 1: 1.0 s", "frame 2: 1.1 s"]
    batch_stub.assert_no_pending_responses()
