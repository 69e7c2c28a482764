"""`status --json` and `watch --json` (docs/design.md "Progress"): one JSON object, or one a line
with the last one final. The emulator's Batch reports jobs SUCCEEDED at once; running, failed and
retried children come from botocore's Stubber, S3 from moto."""

from __future__ import annotations

import json

import boto3
from typer.testing import CliRunner

from submitter.cli import app
from tests.conftest import run_cli
from tests.integration.test_follow_states import RENDER, STITCH, batch_stub, job  # noqa: F401


def slice_manifest(seconds: list[float], attempts: list[int]) -> bytes:
    rendered = [
        {"frame": i + 1, "seconds": s, "written": f"2025-01-01T00:00:{i:02d}"}
        for i, s in enumerate(seconds)
    ]
    return json.dumps({"rendered": rendered, "runs": [{"attempt": a} for a in attempts]}).encode()


def test_status_and_watch_json_of_a_finished_pipeline(make_blend, bucket, batch_queue):
    # Given a pipeline submitted to the emulator (its jobs succeed at once) and the manifest a
    # child would leave
    blend = make_blend(end=6)
    submitted = run_cli(
        "submit", "--upload", str(blend), "-i", f"s3://{bucket}/scenes/shot.blend",
        "-o", f"s3://{bucket}/renders", "-f", "3", "-n", "shot",
        "-q", batch_queue["queue"], "-d", batch_queue["job_definition"],
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    render_id, stitch_id = (j["jobId"] for j in json.loads(submitted.stdout))
    boto3.client("s3").put_object(
        Bucket=bucket,
        Key="renders/shot/manifests/slice-00000.json",
        Body=slice_manifest([1.5, 0.5, 2.5], [1]),
    )

    # When the user asks for its status as JSON, and watches it as JSON
    status = run_cli("status", render_id, "--json")
    watched = run_cli("watch", stitch_id, "--json", "--interval", "0.1")

    # Then status prints one object: finished, with the children, frame times and files
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    root = f"s3://{bucket}/renders/shot"
    assert (shown["format"], shown["state"], shown["final"]) == (1, "SUCCEEDED", True)
    assert shown["frames"]["total"] == 6
    assert shown["children"] == {
        "total": 2, "waiting": 0, "running": 0, "done": 2, "failed": 0, "retried": 0,
    }  # fmt: skip
    assert shown["frame_seconds"] == {"count": 3, "min": 0.5, "median": 1.5, "max": 2.5}
    assert shown["render"]["id"] == render_id and shown["stitch"]["id"] == stitch_id
    assert (shown["output"], shown["video"]) == (root, f"{root}/output.mp4")
    assert shown["poster"] == f"{root}/output.poster.jpg"
    assert shown["failed"] == []
    # and watch, started from the stitch id, prints one final line, the same pipeline
    assert watched.returncode == 0, watched.stderr
    lines = watched.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["final"] is True
    assert json.loads(lines[0])["render"]["id"] == render_id


def array(status: str, summary: dict, root: str) -> dict:
    command = ["render", "-i", "s3://b/x.blend", "-o", root, "-f", "2", "-t", "8"]
    return job(RENDER, status, command, arrayProperties={"size": 4, "statusSummary": summary})


def stitch(status: str, root: str, **extra) -> dict:
    command = ["stitch", "-i", root, "-o", root]
    return job(STITCH, status, command, dependsOn=[{"jobId": RENDER}], **extra)


def put(bucket: str, key: str, body: bytes) -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)


def record(bucket: str, root: str) -> None:
    body = {"renderJobId": RENDER, "stitchJobId": STITCH, "output": root}
    put(bucket, f"renders/shot/jobs/{RENDER}.json", json.dumps(body).encode())


def test_watch_json_prints_a_line_per_check_and_the_last_is_final(bucket, batch_stub):  # noqa: F811
    # Given an array of 4 with one child retried (its manifest's latest attempt is 2), running
    # at the first check and finished at the second
    root = f"s3://{bucket}/renders/shot"
    record(bucket, root)
    put(bucket, "renders/shot/manifests/slice-00001.json", slice_manifest([2.0], [1, 2]))
    put(bucket, "renders/shot/frames/0001.png", b"png")
    running = array("RUNNING", {"RUNNING": 2, "RUNNABLE": 1, "SUCCEEDED": 1}, root)
    done = array("SUCCEEDED", {"SUCCEEDED": 4}, root)
    for render, stitched in ((running, "PENDING"), (done, "SUCCEEDED")):
        batch_stub.add_response("describe_jobs", {"jobs": [render]}, {"jobs": [RENDER]})
        batch_stub.add_response(
            "describe_jobs", {"jobs": [stitch(stitched, root)]}, {"jobs": [STITCH]}
        )

    # When the user watches it as JSON
    result = CliRunner().invoke(app, ["watch", RENDER, "--json", "--interval", "0"])

    # Then each check is one JSON line: the first running, the last final and succeeded
    assert result.exit_code == 0, result.output
    checks = [json.loads(line) for line in result.output.splitlines()]
    assert [c["final"] for c in checks] == [False, True]
    first, last = checks
    assert first["state"] == "RUNNING"
    assert first["children"] == {
        "total": 4, "waiting": 1, "running": 2, "done": 1, "failed": 0, "retried": 1,
    }  # fmt: skip
    assert first["frames"] == {"done": 1, "total": 8}
    assert first["stitch"]["status"] == "PENDING"
    assert (last["state"], last["stitch"]["status"]) == ("SUCCEEDED", "SUCCEEDED")
    batch_stub.assert_no_pending_responses()


def test_status_json_of_a_failed_pipeline_lists_the_failed_children_and_exits_1(
    bucket,
    batch_stub,  # noqa: F811
):
    root = f"s3://{bucket}/renders/shot"
    record(bucket, root)
    failed = array("FAILED", {"SUCCEEDED": 3, "FAILED": 1}, root)
    batch_stub.add_response("describe_jobs", {"jobs": [failed]}, {"jobs": [RENDER]})
    batch_stub.add_response(
        "describe_jobs",
        {"jobs": [stitch("FAILED", root, statusReason="Dependent Job failed")]},
        {"jobs": [STITCH]},
    )
    child = {
        "jobId": f"{RENDER}:2",
        "jobName": "c2",
        "status": "FAILED",
        "statusReason": "Essential container in task exited",
        "container": {"exitCode": 2},
    }
    batch_stub.add_response(
        "list_jobs", {"jobSummaryList": [child]}, {"arrayJobId": RENDER, "jobStatus": "FAILED"}
    )

    result = CliRunner().invoke(app, ["status", RENDER, "--json"])

    assert result.exit_code == 1, result.output
    shown = json.loads(result.output)
    assert (shown["state"], shown["final"]) == ("FAILED", True)
    assert shown["children"]["failed"] == 1
    assert shown["failed"] == [
        {"id": f"{RENDER}:2", "reason": "exit code 2, Essential container in task exited"}
    ]
