"""`blendbatch ls`, `get` and `cancel` against S3 and Batch on loopback (moto server); the
states moto cannot produce (jobs still running) from botocore's Stubber."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from submitter import aws
from submitter.cli import app
from tests.conftest import run_cli


def submit(bucket: str, queue: dict, blend, name: str) -> tuple[str, str]:
    result = run_cli(
        "submit", "--upload", str(blend), "--bucket", bucket, "-f", "2", "-n", name,
        "-q", queue["queue"], "-d", queue["job_definition"], "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    render, stitch = json.loads(result.stdout)
    return render["jobId"], stitch["jobId"]


def test_ls_lists_the_recent_pipelines_of_an_output_newest_first(make_blend, bucket, batch_queue):
    # Given two pipelines submitted into the bucket's default output, a second apart
    blend = make_blend(start=1, end=4)
    shot = submit(bucket, batch_queue, blend, "shot")
    time.sleep(1.1)  # S3 times have whole seconds
    teaser = submit(bucket, batch_queue, blend, "teaser")

    # When the user lists them as JSON
    result = run_cli("ls", f"s3://{bucket}/renders", "--json")

    # Then both are there, newest first, with Batch's states and their frames
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["format"] == 1 and listed["location"] == f"s3://{bucket}/renders"
    rows = listed["pipelines"]
    assert [(r["name"], r["renderJobId"], r["stitchJobId"]) for r in rows] == [
        ("teaser", *teaser),
        ("shot", *shot),
    ]
    assert {(r["state"], r["frames"], r["children"]) for r in rows} == {("SUCCEEDED", 4, 2)}
    assert rows[1]["output"] == f"s3://{bucket}/renders/shot"

    # And as text, with the location from BLENDBATCH_BUCKET and a limit
    text = run_cli("ls", "-n", "1", env={"BLENDBATCH_BUCKET": bucket})
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["SUBMITTED", "(UTC)", "NAME", "STATE", "FRAMES", "RENDER", "JOB"]
    assert lines[1].split()[2:] == ["teaser", "SUCCEEDED", "4", teaser[0]]
    assert len(lines) == 2


def test_ls_of_an_empty_output_says_so(bucket, moto_endpoint):
    result = run_cli("ls", f"s3://{bucket}/renders")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"no pipelines recorded under s3://{bucket}/renders")


def test_get_downloads_the_video_previews_and_report(make_blend, bucket, batch_queue, tmp_path):
    # Given a finished pipeline's output
    render_id, _ = submit(bucket, batch_queue, make_blend(start=1, end=4), "shot")
    s3 = boto3.client("s3")
    made = {
        "output.mp4": b"video",
        "output.poster.jpg": b"poster",
        "output.sheet.jpg": b"sheet",
        "report.html": b"<html>",
        "frames/0001.png": b"frame 1",
        "frames/0002.png": b"frame 2",
    }
    for name, body in made.items():
        s3.put_object(Bucket=bucket, Key=f"renders/shot/{name}", Body=body)

    # When the user gets it by its render job id
    result = run_cli("get", render_id, "--to", str(tmp_path / "shot"))

    # Then the results are here, byte for byte, without the frames, manifests or records
    assert result.returncode == 0, result.stderr
    got = {p.relative_to(tmp_path / "shot").as_posix() for p in (tmp_path / "shot").rglob("*")}
    assert got == {"output.mp4", "output.poster.jpg", "output.sheet.jpg", "report.html"}
    assert (tmp_path / "shot" / "output.mp4").read_bytes() == b"video"
    assert f"video: {tmp_path / 'shot' / 'output.mp4'}" in result.stdout

    # And by its output, with the frames, the files already here are kept
    again = run_cli("get", f"s3://{bucket}/renders/shot", "--with-frames",
                    "--to", str(tmp_path / "shot"))  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "shot" / "frames" / "0002.png").read_bytes() == b"frame 2"
    assert "downloaded 2 files (4 already here at the same size)" in again.stdout
    assert not [p for p in (tmp_path / "shot").rglob(".*")]  # no partial file left


def test_get_before_the_video_exists_says_when_to_come_back(bucket, moto_endpoint, tmp_path):
    result = run_cli("get", f"s3://{bucket}/renders/shot", "--to", str(tmp_path / "x"))
    assert result.returncode == 1
    assert f"no video in s3://{bucket}/renders/shot yet" in result.stderr
    assert "Traceback" not in result.stderr


RENDER, STITCH = "r-0001", "s-0002"


def described(job_id: str, status: str, command: list[str], **extra) -> dict:
    return {
        "jobId": job_id, "jobName": job_id, "jobArn": f"arn:aws:batch:us-east-1:1:job/{job_id}",
        "jobQueue": "q", "status": status, "jobDefinition": "jd", "startedAt": 1,
        "container": {"command": command}, **extra,
    }  # fmt: skip


CANCELS = [
    ("both-running", "RUNNING", "PENDING", [RENDER, STITCH],
     f"terminated render {RENDER} (was RUNNING), stitch {STITCH} (was PENDING)\n"),
    ("render-failed", "FAILED", "PENDING", [STITCH],
     f"terminated stitch {STITCH} (was PENDING)\nalready finished: render {RENDER} FAILED\n"),
]  # fmt: skip


@pytest.mark.parametrize(("render_state", "stitch_state", "terminated", "said"),
                         [c[1:] for c in CANCELS], ids=[c[0] for c in CANCELS])  # fmt: skip
def test_cancel_terminates_only_what_is_not_finished(bucket, render_state, stitch_state,
                                                     terminated, said):  # fmt: skip
    # Given a pipeline in these states (Batch from the Stubber, its record in S3)
    root = f"s3://{bucket}/renders/shot"
    boto3.client("s3").put_object(
        Bucket=bucket,
        Key=f"renders/shot/jobs/{RENDER}.json",
        Body=json.dumps({"renderJobId": RENDER, "stitchJobId": STITCH, "output": root}),
    )
    render = described(RENDER, render_state, ["render", "-o", root, "-t", "8"])
    stitch = described(STITCH, stitch_state, ["stitch", "-i", root, "-o", root],
                       dependsOn=[{"jobId": RENDER}])  # fmt: skip
    aws.use()
    aws.client.cache_clear()
    with Stubber(aws.client("batch")) as stub:
        stub.add_response("describe_jobs", {"jobs": [render]}, {"jobs": [RENDER]})
        stub.add_response("describe_jobs", {"jobs": [stitch]}, {"jobs": [STITCH]})
        for job_id in terminated:
            reason = "cancelled with blendbatch cancel"
            stub.add_response("terminate_job", {}, {"jobId": job_id, "reason": reason})

        # When the user cancels it
        result = CliRunner().invoke(app, ["cancel", RENDER], env={"AWS_REGION": None})

        # Then only the unfinished jobs were terminated, and the output says which
        stub.assert_no_pending_responses()
    aws.client.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.stdout == said
