"""`blendbatch estimate --on-batch`: scout jobs on (moto's) AWS Batch, this test as their host.

moto's Batch runs no container: its jobs are SUCCEEDED inside SubmitJob. So the scouts are
submitted without waiting, the test reads each scout job's command from DescribeJobs and runs
it with the real render child against moto's S3 (what a Batch host would do), and the same
estimate command, run again, collects them.
"""

import json

import boto3

from tests.conftest import run_cli, run_entrypoint
from tests.integration.test_estimate_scouts import _no_blender


def _estimate(bucket, queue, *more):
    return ("estimate", "-i", f"s3://{bucket}/scenes/shot.blend", "--on-batch",
            "-o", f"s3://{bucket}/renders", "-n", "shot", "--scout", "2",
            "-q", queue["queue"], "-d", queue["job_definition"], *more)  # fmt: skip


def _keys(bucket: str, prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_scout_jobs_render_one_frame_each_and_the_estimate_feeds_f_auto(
    make_blend, bucket, batch_queue, tmp_path
):
    # Given an 8-frame scene in S3 and no Blender on the submitting machine
    s3 = boto3.client("s3")
    s3.upload_file(str(make_blend(end=8)), bucket, "scenes/shot.blend")
    etag = s3.head_object(Bucket=bucket, Key="scenes/shot.blend")["ETag"].strip('"')
    env = _no_blender(tmp_path)

    # When the scouts are submitted as Batch jobs without waiting
    sent = run_cli(*_estimate(bucket, batch_queue, "--no-wait"), env=env)

    # Then two jobs are recorded, each the real render command narrowed to one frame, with the
    # real queue and job definition, pinned by the ETag, writing under estimates/
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert sent.stdout == ""
    assert "run the same command again to collect the scouts" in sent.stderr
    (record_key,) = [k for k in _keys(bucket, "renders/shot/") if k.endswith(".scouts.json")]
    record = json.loads(s3.get_object(Bucket=bucket, Key=record_key)["Body"].read())
    fingerprint = record["fingerprint"]
    assert record_key == f"renders/shot/estimates/{fingerprint}.scouts.json"
    found = boto3.client("batch").describe_jobs(jobs=list(record["jobs"].values()))["jobs"]
    assert len(found) == 2
    for job in found:
        frame = next(f for f, j in record["jobs"].items() if j == job["jobId"])
        command = job["container"]["command"]
        assert job["jobQueue"].endswith(batch_queue["queue"])
        assert batch_queue["job_definition"] in job["jobDefinition"]
        assert command[0] == "render" and "--deps" not in command
        assert command[command.index("--start") + 1] == command[command.index("--end") + 1]
        assert command[command.index("--start") + 1] == frame
        assert command[command.index("--input-etag") + 1] == etag
        assert command[command.index("-o") + 1] == (
            f"s3://{bucket}/renders/shot/estimates/{fingerprint}.scouts/{int(frame):04d}"
        )
        # ... and this test, as the Batch host, runs it with the real render child
        ran = run_entrypoint(*command)
        assert ran.returncode == 0, ran.stdout + ran.stderr

    # When the same estimate runs again, waiting
    got = run_cli(*_estimate(bucket, batch_queue, "--interval", "0.1", "--json"), env=env)

    # Then it collected the same jobs (no new ones) and measured each scout on "Batch"
    assert got.returncode == 0, got.stdout + got.stderr
    assert f"scout jobs of {fingerprint[:8]}... already submitted" in got.stderr
    made = json.loads(got.stdout)
    assert made["fingerprint"] == fingerprint and made["content_id"] == f"etag:{etag}"
    assert [s["frame"] for s in made["scouts"]] == [1, 8]
    for scout in made["scouts"]:
        assert scout["seconds"] > 0 and scout["startup_seconds"] > 0
        assert scout["peak_rss_bytes"] > 50 * 2**20  # Blender is in there
    assert made["measured"]["on"] == "batch"
    assert made["measured"]["threads"] == 2  # the job definition's vCPUs
    p = made["projection"]
    assert (p["frames"], p["vcpus"], p["scale"]) == (8, 2, 1.0)
    # ... stored under the output with its sheet; the render's frames/ is untouched
    stored = f"renders/shot/estimates/{fingerprint}.json"
    assert json.loads(s3.get_object(Bucket=bucket, Key=stored)["Body"].read()) == made
    assert made["sheet"] == f"s3://{bucket}/renders/shot/estimates/{fingerprint}.sheet.jpg"
    sheet = s3.get_object(Bucket=bucket, Key=f"renders/shot/estimates/{fingerprint}.sheet.jpg")
    assert sheet["Body"].read()[:2] == b"\xff\xd8"
    assert _keys(bucket, "renders/shot/frames/") == []
    assert _keys(bucket, "renders/shot/manifests/") == []

    # When the render is submitted with -f auto (no Blender here)
    submitted = run_cli("submit", "-i", f"s3://{bucket}/scenes/shot.blend",
                        "-o", f"s3://{bucket}/renders", "-n", "shot", "-f", "auto",
                        "-q", batch_queue["queue"], "-d", batch_queue["job_definition"],
                        "--json", env=env)  # fmt: skip

    # Then the stored estimate chose the frames per child
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert f"-f auto: estimate {fingerprint[:8]}... from s3://{bucket}/" in submitted.stderr
    render_id = json.loads(submitted.stdout)[0]["jobId"]
    (render,) = boto3.client("batch").describe_jobs(jobs=[render_id])["jobs"]
    command = render["container"]["command"]
    assert command[command.index("-f") + 1] == "8"


def test_dry_run_prints_the_scout_jobs_and_calls_nothing(tmp_path):
    # Given an endpoint where nothing answers: any AWS call would fail
    env = _no_blender(tmp_path) | {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}

    result = run_cli("estimate", "-i", "s3://films/scenes/shot.blend", "--on-batch",
                     "-o", "s3://films/renders", "-n", "shot", "--frames", "1-8",
                     "-q", "farm", "-d", "blendbatch", "--dry-run", env=env)  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    jobs = json.loads(result.stdout)["scouts"]
    assert [j["jobName"] for j in jobs] == ["shot-scout-0001", "shot-scout-0005", "shot-scout-0008"]
    for job, frame in zip(jobs, (1, 5, 8), strict=True):
        command = job["containerOverrides"]["command"]
        assert (job["jobQueue"], job["jobDefinition"]) == ("farm", "blendbatch")
        assert "arrayProperties" not in job
        assert command[:7] == ["render", "-i", "s3://films/scenes/shot.blend", "-o",
                               f"s3://films/renders/shot/estimates/<fingerprint>.scouts/"
                               f"{frame:04d}", "-f", "1"]  # fmt: skip
        assert command[command.index("--start") + 1] == str(frame)
        assert command[command.index("--end") + 1] == str(frame)


def test_on_batch_needs_the_blend_in_s3(make_blend, tmp_path):
    result = run_cli("estimate", str(make_blend(end=2)), "--on-batch", "-o", "s3://films/r",
                     "-q", "farm", "-d", "blendbatch", env=_no_blender(tmp_path))  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        "error: --on-batch: the scout jobs read the .blend from S3: pass -i s3://BUCKET/KEY "
        "(with SCENE.blend too, it and its outside files are uploaded there, as submit "
        "--upload does)\n"
    )


def test_local_estimate_of_an_s3_input_is_pinned_by_its_etag(make_blend, bucket, tmp_path):
    # Given a scene in S3 (no outside files)
    s3 = boto3.client("s3")
    s3.upload_file(str(make_blend(end=4)), bucket, "scenes/shot.blend")
    etag = s3.head_object(Bucket=bucket, Key="scenes/shot.blend")["ETag"].strip('"')

    # When it is estimated here
    result = run_cli("estimate", "-i", f"s3://{bucket}/scenes/shot.blend", "--local",
                     "-o", f"s3://{bucket}/renders", "-n", "shot", "--scout", "1", "--json",
                     env={"XDG_CACHE_HOME": str(tmp_path / "cache")})  # fmt: skip

    # Then its content is the ETag, as for a submit of the same -i, and it is stored there
    assert result.returncode == 0, result.stdout + result.stderr
    made = json.loads(result.stdout)
    assert made["content_id"] == f"etag:{etag}"
    assert [s["frame"] for s in made["scouts"]] == [1]
    stored = f"renders/shot/estimates/{made['fingerprint']}.json"
    assert json.loads(s3.get_object(Bucket=bucket, Key=stored)["Body"].read()) == made


def test_local_estimate_of_an_s3_input_with_outside_files_is_refused(dep_project, bucket):
    # Given a .blend in S3 whose textures and library stayed on the disk it came from
    boto3.client("s3").upload_file(str(dep_project.blend), bucket, "scenes/shot.blend")

    result = run_cli("estimate", "-i", f"s3://{bucket}/scenes/shot.blend",
                     "-o", f"s3://{bucket}/renders", "-n", "shot")  # fmt: skip

    assert result.returncode == 2, result.stdout + result.stderr
    assert f"error: s3://{bucket}/scenes/shot.blend names " in result.stderr
    assert (
        "outside files that are not in S3 with it (//" in result.stderr
        and "a job of this s3:// input gets none of them either. Estimate the scene from your "
        f"disk instead (`blendbatch estimate SCENE.blend -o s3://{bucket}/renders -n shot`, and "
        "submit it with --upload), or pass --allow-missing\n"
        in result.stderr
    )
    assert _keys(bucket, "renders/") == []
