"""`--no-video`: frames-only pipelines, on Batch (moto server) and on this machine."""

from __future__ import annotations

import json

import boto3

from tests.conftest import run_cli


def submit_frames_only(bucket: str, queue: dict, blend, *extra: str):
    return run_cli(
        "submit", "--upload", str(blend), "--bucket", bucket, "-f", "2", "-n", "plates",
        "-q", queue["queue"], "-d", queue["job_definition"], "--no-video", *extra,
    )  # fmt: skip


def test_submit_no_video_submits_no_stitch_and_records_it(make_blend, bucket, batch_queue):
    # Given a scene, submitted frames-only
    blend = make_blend(end=4)
    dry = submit_frames_only(bucket, batch_queue, blend, "--dry-run")
    result = submit_frames_only(bucket, batch_queue, blend, "--json")

    # Then the dry run shows no stitch request, and only the render job is submitted
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["stitch"] is None
    assert result.returncode == 0, result.stderr
    jobs = json.loads(result.stdout)
    assert [job["jobName"] for job in jobs] == ["plates-render"]
    listed = boto3.client("batch").list_jobs(jobQueue=batch_queue["queue"], jobStatus="SUCCEEDED")
    assert not [j for j in listed["jobSummaryList"] if j["jobName"] == "plates-stitch"]
    # ... and the job record carries it
    key = f"renders/plates/jobs/{jobs[0]['jobId']}.json"
    saved = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert saved["video"] is False and saved["stitchJobId"] is None

    # When the user asks how it went
    status = run_cli("status", jobs[0]["jobId"])
    watch = run_cli("watch", jobs[0]["jobId"])
    as_json = run_cli("status", jobs[0]["jobId"], "--json")

    # Then it is done, frames only: no video line, no unknown stitch
    assert status.returncode == 0, status.stderr
    assert "stitch: none (--no-video: frames only)" in status.stdout
    assert "stitch: unknown" not in status.stdout
    assert watch.returncode == 0, watch.stderr
    assert f"frames only (--no-video): s3://{bucket}/renders/plates/frames/" in watch.stdout
    assert not [line for line in watch.stdout.splitlines() if line.startswith(("video", "prev"))]
    report = json.loads(as_json.stdout)
    assert report["state"] == "SUCCEEDED" and report["frames_only"] is True
    assert report["video"] is None and report["stitch"] is None

    # And `ls` shows it finished
    rows = json.loads(run_cli("ls", f"s3://{bucket}/renders", "--json").stdout)["pipelines"]
    assert [(r["name"], r["state"], r["video"]) for r in rows] == [("plates", "SUCCEEDED", False)]


def test_get_of_a_frames_only_pipeline_needs_with_frames_and_brings_the_proxies(
    make_blend, bucket, batch_queue, tmp_path
):
    # Given a frames-only pipeline whose OpenEXR frames and proxies are in S3
    result = submit_frames_only(bucket, batch_queue, make_blend(end=2), "--json")
    render_id = json.loads(result.stdout)[0]["jobId"]
    s3 = boto3.client("s3")
    made = {"frames/0001.exr": b"master", "proxies/0001.png": b"proxy"}
    for name, body in made.items():
        s3.put_object(Bucket=bucket, Key=f"renders/plates/{name}", Body=body)

    # When the user gets it without --with-frames
    plain = run_cli("get", render_id, "--to", str(tmp_path / "plates"))

    # Then it says why there is nothing to get and how to get the frames
    assert plain.returncode == 2
    assert "was submitted with --no-video" in plain.stderr and "--with-frames" in plain.stderr

    # When it gets it with the frames, by job id and by output
    got = run_cli("get", render_id, "--with-frames", "--to", str(tmp_path / "plates"))
    again = run_cli("get", f"s3://{bucket}/renders/plates", "--with-frames",
                    "--to", str(tmp_path / "plates"))  # fmt: skip

    # Then the masters and their proxies are here, and no video is asked for
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "plates" / "frames" / "0001.exr").read_bytes() == b"master"
    assert (tmp_path / "plates" / "proxies" / "0001.png").read_bytes() == b"proxy"
    assert "(--no-video: no video)" in got.stdout
    assert again.returncode == 0, again.stderr


def test_run_no_video_renders_frames_and_stitches_nothing(make_blend, tmp_path):
    # Given a 2-frame scene
    blend = make_blend(end=2)

    # When it runs locally frames-only
    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path), "-f", "2", "-n", "plates",
                     "--no-video")  # fmt: skip

    # Then the frames are there, no video, no stitch log, and the summary says so
    assert result.returncode == 0, result.stdout + result.stderr
    root = tmp_path / "plates"
    assert sorted(p.name for p in (root / "frames").iterdir()) == ["0001.png", "0002.png"]
    assert not list(root.glob("output*")) and not (root / "logs" / "stitch.log").exists()
    assert "no stitch (--no-video: frames only)" in result.stdout
    assert f"frames only (--no-video): {root}/frames/" in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith(("video", "prev"))]
