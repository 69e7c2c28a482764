"""`blendbatch register` against Batch on loopback: registered once, then found and reused."""

import json

import boto3

from submitter import jobdef
from tests.conftest import run_cli

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/blendbatch@sha256:" + "b" * 64


def test_registering_twice_reuses_the_unchanged_definition(moto_endpoint):
    # Given a fresh job definition name
    args = ["register", "--image", IMAGE, "--name", "bb-register-test", "--vcpus", "2"]

    # When it is registered twice, then once with more vCPUs
    first = run_cli(*args)
    second = run_cli(*args)
    changed = run_cli(*args[:-2], "--vcpus", "4")

    # Then the second call reuses the first revision and a change makes a new one
    assert first.returncode == 0, first.stderr
    one, two, three = (json.loads(r.stdout) for r in (first, second, changed))
    assert one["registered"] is True
    assert two == one | {"registered": False}
    assert three["registered"] is True and three["revision"] == one["revision"] + 1
    revisions = boto3.client("batch").describe_job_definitions(
        jobDefinitionName="bb-register-test"
    )["jobDefinitions"]
    assert len(revisions) == 2


def test_register_dry_run_prints_the_request(tmp_path):
    result = run_cli("register", "--image", IMAGE, "--gpus", "1", "--dry-run")
    assert result.returncode == 0, result.stderr
    request = json.loads(result.stdout)
    assert request["containerProperties"]["image"] == IMAGE
    assert {"type": "GPU", "value": "1"} in request["containerProperties"]["resourceRequirements"]


def test_the_registered_definition_names_a_digest_and_status_shows_it(bucket, batch_queue):
    # Given a definition registered with the digest reference `make push` printed
    result = run_cli("register", "--image", IMAGE, "--name", "bb-digest-test")
    assert result.returncode == 0, result.stderr
    arn = json.loads(result.stdout)["jobDefinitionArn"]

    # Then Batch holds the image by digest, not by a tag
    batch = boto3.client("batch")
    (definition,) = batch.describe_job_definitions(jobDefinitions=[arn])["jobDefinitions"]
    image = definition["containerProperties"]["image"]
    assert image == IMAGE and jobdef.DIGEST_REFERENCE.fullmatch(image)

    # And `status` of a job run with it names that image
    command = ["render", "-i", f"s3://{bucket}/s.blend", "-o", f"s3://{bucket}/r/shot", "-f", "1"]
    job = batch.submit_job(
        jobName="shot-render",
        jobQueue=batch_queue["queue"],
        jobDefinition=arn,
        containerOverrides={"command": command},
    )
    status = run_cli("status", job["jobId"])
    assert status.returncode == 0, status.stderr
    assert f"  image {IMAGE}" in status.stdout.splitlines()


def test_a_tag_is_refused_with_the_fix_and_nothing_is_registered(moto_endpoint):
    # Given an image named by a tag, which can be moved to another image
    result = run_cli("register", "--image", "blendbatch:latest", "--name", "bb-tag-test")

    # Then nothing is registered, exit 2, and the message says what to pass instead
    assert result.returncode == 2, result.stderr
    assert "not a digest reference" in result.stderr and "make push" in result.stderr
    found = boto3.client("batch").describe_job_definitions(jobDefinitionName="bb-tag-test")
    assert found["jobDefinitions"] == []
