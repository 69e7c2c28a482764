"""`blendbatch submit/status/cancel/logs` against S3 and Batch on loopback (moto server)."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time

import boto3
import pytest

from tests.conftest import ROOT, run_cli, run_entrypoint


def submit_args(bucket: str, queue: dict, *extra: str) -> list[str]:
    return [
        "submit", "-i", f"s3://{bucket}/scenes/shot.blend", "-o", f"s3://{bucket}/renders",
        "-f", "3", "-n", "shot", "-q", queue["queue"], "-d", queue["job_definition"], *extra,
    ]  # fmt: skip


def test_dry_run_prints_both_requests_and_contacts_nothing():
    # Given an endpoint that would record any connection, and no credentials at all
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{listener.getsockname()[1]}"

    # When the user asks for a dry run of an s3:// input with a frame range
    result = subprocess.run(
        [sys.executable, "-m", "submitter", "submit", "-i", "s3://b/s.blend", "-o", "s3://b/r",
         "-f", "10", "-n", "shot", "-q", "q", "-d", "jd", "--frames", "1-95", "--step", "2",
         "--samples", "8", "--dry-run"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip

    # Then both requests are printed as data, and nothing connected
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["render"]["arrayProperties"] == {"size": 5}
    command = printed["render"]["containerOverrides"]["command"]
    assert command[command.index("-t") :][:6] == ["-t", "48", "--start", "1", "--end", "95"]
    assert command[-4:] == ["--samples", "8", "--codec", "h264"]
    # the input's ETag pins it at the real submit; a dry run cannot know it
    assert command[command.index("--input-etag") + 1] == "<resolved at submit>"
    assert printed["stitch"]["dependsOn"] == [{"jobId": "<render job id>"}]
    try:
        connection, _ = listener.accept()
        connection.close()
        raise AssertionError("the dry run connected to the AWS endpoint")
    except TimeoutError:
        pass
    finally:
        listener.close()


BAD_OVERRIDES = [
    (("--samples", "-3"), "--samples -3: give 1 or more"),
    (("--engine", "foo"), "--engine 'foo' is not an engine: use one of cycles, eevee, workbench"),
    (("--format", "TIFF"), "--format 'TIFF' is not supported: use PNG, JPEG or OpenEXR"),
    (("--device", "nvidia"), "--device 'nvidia' is unknown: use one of cpu, cuda, optix"),
    (("--resolution-percent", "0"), "--resolution-percent 0: give 1 to 1000"),
    (("--threads", "1025"), "--threads 1025: give 1 to 1024"),
]
BAD_IDS = ["samples", "engine", "format", "device", "percent", "threads"]


@pytest.mark.parametrize(("option", "message"), BAD_OVERRIDES, ids=BAD_IDS)
def test_submit_refuses_a_bad_override_with_the_childs_own_message(option, message, tmp_path):
    # When a dry run is asked with an override the render child would refuse
    result = run_cli(
        "submit", "-i", "s3://b/s.blend", "-o", "s3://b/r", "-f", "10", "-n", "shot",
        "-q", "q", "-d", "jd", "--frames", "1-95", *option, "--dry-run",
    )  # fmt: skip

    # Then it exits 2 with that message and prints no request
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {message}")
    assert result.stdout == ""

    # And the child says exactly the same
    child = run_entrypoint("render", "-i", str(tmp_path / "s.blend"), "-o", str(tmp_path / "out"),
                           "-f", "10", *option)  # fmt: skip
    assert child.returncode == 2
    child_message = child.stderr.strip().splitlines()[-1].split("entrypoint: ", 1)[1]
    assert result.stderr.strip() == f"error: {child_message}"


def test_dry_run_of_an_s3_input_needs_the_frames():
    result = run_cli(
        "submit", "-i", "s3://b/s.blend", "-o", "s3://b/r", "-f", "10", "-n", "shot",
        "-q", "q", "-d", "jd", "--dry-run",
    )  # fmt: skip
    assert result.returncode == 2
    assert "pass --frames A-B (and --step), or --upload LOCAL.blend" in result.stderr


def test_upload_submit_status_and_cancel(make_blend, bucket, batch_queue):
    # Given a local scene of 7 frames with step 2 (4 frames: 3, 5, 7, 9)
    blend = make_blend(start=3, end=9, step=2, compress=True)

    # When it is uploaded and submitted
    result = run_cli(*submit_args(bucket, batch_queue, "--upload", str(blend), "--json"))

    # Then the file is in S3, the render is an array of 2, and both jobs are recorded
    assert result.returncode == 0, result.stderr
    render_id, stitch_id = (j["jobId"] for j in json.loads(result.stdout))
    s3 = boto3.client("s3")
    assert s3.head_object(Bucket=bucket, Key="scenes/shot.blend")["ContentLength"] > 0
    render = boto3.client("batch").describe_jobs(jobs=[render_id])["jobs"][0]
    assert render["arrayProperties"]["size"] == 2
    assert render["container"]["command"][7:9] == ["-t", "4"]
    record = s3.get_object(Bucket=bucket, Key=f"renders/shot/jobs/{render_id}.json")
    assert json.loads(record["Body"].read())["stitchJobId"] == stitch_id

    # And status from either id finds the whole pipeline (moto finishes jobs at once)
    for job_id in (render_id, stitch_id):
        status = run_cli("status", job_id)
        assert status.returncode == 0, status.stderr
        assert f"render {render_id} (shot-render): SUCCEEDED" in status.stdout
        assert f"stitch {stitch_id} (shot-stitch): SUCCEEDED" in status.stdout
        assert "  frames 0/4; " in status.stdout

    # And cancel says there is nothing left to stop (moto finished both jobs)
    cancelled = run_cli("cancel", render_id)
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout == (
        f"nothing to cancel: render {render_id} SUCCEEDED, stitch {stitch_id} SUCCEEDED\n"
    )


def test_not_a_blend_in_s3_is_refused_with_what_was_found(bucket, batch_queue):
    boto3.client("s3").put_object(Bucket=bucket, Key="scenes/shot.blend", Body=b"%PDF-1.4 ...")
    result = run_cli(*submit_args(bucket, batch_queue))
    assert result.returncode == 2
    assert f"s3://{bucket}/scenes/shot.blend" in result.stderr
    assert "PDF" in result.stderr


def test_a_refused_stitch_names_the_submitted_render_and_how_to_cancel_it(
    make_blend, bucket, batch_queue
):
    # Given a scene in S3 and a stitch queue that does not exist
    blend = make_blend(start=1, end=4)
    boto3.client("s3").upload_file(str(blend), bucket, "scenes/shot.blend")

    # When the user submits
    result = run_cli(*submit_args(bucket, batch_queue, "--stitch-queue", "no-such-queue"))

    # Then the message names the render job that exists and the command to cancel it
    assert result.returncode == 2, result.stderr
    assert "was submitted but the stitch job was not" in result.stderr
    render_id = result.stderr.split("the render job ")[1].split()[0]
    assert f"blendbatch cancel {render_id}" in result.stderr
    assert boto3.client("batch").describe_jobs(jobs=[render_id])["jobs"]


def test_logs_prints_the_jobs_log_events(bucket, batch_queue, make_blend):
    # Given a submitted job whose log stream holds two lines
    blend = make_blend(start=1, end=2)
    result = run_cli(*submit_args(bucket, batch_queue, "--upload", str(blend), "--json"))
    render_id = json.loads(result.stdout)[0]["jobId"]
    stream = boto3.client("batch").describe_jobs(jobs=[render_id])["jobs"][0]["container"][
        "logStreamName"
    ]
    logs = boto3.client("logs")
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName="/aws/batch/job")
    now = int(time.time() * 1000)
    logs.create_log_stream(logGroupName="/aws/batch/job", logStreamName=stream)
    logs.put_log_events(
        logGroupName="/aws/batch/job",
        logStreamName=stream,
        logEvents=[
            {"timestamp": now, "message": "frame 1 done"},
            {"timestamp": now + 1, "message": "bye"},
        ],
    )

    # When the user asks for its log
    shown = run_cli("logs", render_id)

    # Then the lines are printed in order
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == ["frame 1 done", "bye"]
