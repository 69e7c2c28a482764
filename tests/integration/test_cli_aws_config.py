"""--profile and --region reach every AWS call, and a configuration the user must fix exits 2
with one line naming the fix (moto server on loopback; refusals moto cannot make are in
test_aws_errors.py)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

NO_REGION = {"AWS_REGION": None, "AWS_DEFAULT_REGION": None, "AWS_CONFIG_FILE": "/nonexistent"}


def one_line_error(result, code: int = 2) -> str:
    assert result.returncode == code, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


@pytest.fixture
def render_id(bucket, batch_queue) -> str:
    """A render job recorded by the emulator's Batch in us-east-1."""
    import boto3

    job = boto3.client("batch").submit_job(
        jobName="shot-render", jobQueue=batch_queue["queue"],
        jobDefinition=batch_queue["job_definition"],
        containerOverrides={"command": ["render", "-o", f"s3://{bucket}/renders/shot"]},
    )  # fmt: skip
    return job["jobId"]


def test_region_option_and_aws_region_reach_batch(render_id):
    # Given a job in us-east-1: it is found there, and not in another region
    assert run_cli("status", render_id, "--region", "us-east-1").returncode == 0
    elsewhere = run_cli("status", render_id, "--region", "eu-west-1")
    assert f"no job {render_id} in AWS Batch" in one_line_error(elsewhere)
    # And AWS_REGION, which boto3 alone ignores, is read like the aws CLI reads it
    env = NO_REGION | {"AWS_REGION": "us-east-1"}
    assert run_cli("status", render_id, env=env).returncode == 0


def test_profile_option_picks_the_profiles_region(render_id, tmp_path):
    # Given a config whose default profile is in us-east-1 and profile "west" in eu-west-1
    config = tmp_path / "config"
    config.write_text(
        "[default]\nregion = us-east-1\n[profile west]\nregion = eu-west-1\n"
        # botocore takes a named profile's keys, never the environment's
        "aws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    env = NO_REGION | {"AWS_CONFIG_FILE": str(config)}
    # When the user asks with and without --profile
    assert run_cli("status", render_id, env=env).returncode == 0
    west = run_cli("status", render_id, "--profile", "west", env=env)
    # Then the profile's region was used
    assert f"no job {render_id} in AWS Batch" in one_line_error(west)


CONFIG_ERRORS = [
    ("no-region", ["status", "r-1"], NO_REGION, "pass --region, or set AWS_REGION"),
    ("unknown-profile", ["ls", "s3://b/renders", "--profile", "nope"], {},
     "The config profile (nope) could not be found: pass --profile"),
    ("unknown-profile-env", ["cancel", "r-1"], {"AWS_PROFILE": "nope"},
     "pass --profile (or set AWS_PROFILE)"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "env", "says"), [c[1:] for c in CONFIG_ERRORS],
                         ids=[c[0] for c in CONFIG_ERRORS])  # fmt: skip
def test_configuration_errors_name_the_fix(moto_endpoint, args, env, says):
    assert says in one_line_error(run_cli(*args, env=env))


def test_a_bucket_that_does_not_exist(moto_endpoint):
    result = run_cli("ls", "s3://no-such-bucket-here/renders")
    error = one_line_error(result)
    assert "s3://no-such-bucket-here/renders does not exist (NoSuchBucket" in error
    assert "--region/--profile" in error


@pytest.mark.parametrize("missing", ["queue", "job_definition"])
def test_a_queue_or_job_definition_that_does_not_exist(make_blend, bucket, batch_queue, missing):
    # Given a scene in S3 and a queue or job definition name that Batch does not know
    import boto3

    boto3.client("s3").upload_file(str(make_blend(start=1, end=4)), bucket, "scenes/s.blend")
    names = dict(batch_queue) | {missing: "no-such-thing"}
    # When the user submits it
    result = run_cli(
        "submit", "-i", f"s3://{bucket}/scenes/s.blend", "--bucket", bucket, "-f", "2",
        "-n", "shot", "-q", names["queue"], "-d", names["job_definition"],
    )  # fmt: skip
    # Then one line says it does not exist and how to fix it, before any job exists
    error = one_line_error(result)
    assert "does not exist" in error and "no-such-thing" in error
    listed = run_cli("ls", f"s3://{bucket}/renders", "--json")
    assert json.loads(listed.stdout)["pipelines"] == []
