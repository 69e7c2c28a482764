"""The submitter and the image agree on the contract: submit to Batch (moto on loopback),
replay exactly the jobs Batch recorded through `python -m entrypoint`, get a correct video."""

import json
from fractions import Fraction

import boto3

from entrypoint.video import probe
from tests.conftest import run_cli, run_entrypoint


def replay(job: dict, index: int | None) -> None:
    """Run one recorded job's command as the container would."""
    result = run_entrypoint(*job["container"]["command"], index=index)
    assert result.returncode == 0, result.stderr[-2000:]


def test_submitted_jobs_replayed_give_the_video_in_s3(make_blend, bucket, batch_queue, tmp_path):
    # Given a 24000/1001 fps scene of 7 frames starting at 3, uploaded to S3
    blend = make_blend(start=3, end=9, fps=24, fps_base=1.001, compress=True)
    s3 = boto3.client("s3")
    s3.upload_file(str(blend), bucket, "scenes/shot.blend")

    # When the user submits it with 3 frames per job, capturing the output as the workshop does
    result = run_cli(
        "submit", "-i", f"s3://{bucket}/scenes/shot.blend", "-o", f"s3://{bucket}/renders",
        "-f", "3", "-n", "shot", "-q", batch_queue["queue"], "-d", batch_queue["job_definition"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    submitted = json.loads(result.stdout)
    assert [j["jobName"] for j in submitted] == ["shot-render", "shot-stitch"]

    # Then Batch holds an array of 3 children and a stitch job depending on it
    jobs = boto3.client("batch").describe_jobs(jobs=[j["jobId"] for j in submitted])["jobs"]
    by_id = {j["jobId"]: j for j in jobs}
    render, stitch = by_id[submitted[0]["jobId"]], by_id[submitted[1]["jobId"]]
    assert render["arrayProperties"]["size"] == 3
    assert [d["jobId"] for d in stitch["dependsOn"]] == [render["jobId"]]

    # And replaying the recorded commands renders and stitches the whole scene
    for index in range(render["arrayProperties"]["size"]):
        replay(render, index)
    replay(stitch, None)

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="renders/shot/")["Contents"]}
    assert {f"renders/shot/frames/{f:04d}.png" for f in range(3, 10)} <= keys
    video = tmp_path / "output.mp4"
    s3.download_file(bucket, "renders/shot/output.mp4", str(video))
    facts = probe(video)
    assert (facts.frames, facts.rate) == (7, Fraction(24000, 1001))
    assert (facts.width, facts.height) == (64, 36)
