"""`blendbatch register` against Batch on loopback: registered once, then found and reused."""

import json
import uuid

import boto3
import pytest

from submitter import jobdef
from tests.conftest import run_cli

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/blendbatch@sha256:" + "b" * 64
# A reference that keeps the image's tag: it says which Blender the image has.
TAGGED_52 = (
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/blendbatch:blender-5.2-2908050@sha256:"
    + ("c" * 64)
)


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


def test_register_blender_names_the_definition_for_routing_and_tags_its_version(moto_endpoint):
    # Given the base name the stack or the user set, and the image for Blender 5.2
    base = f"bb-{uuid.uuid4().hex[:8]}"

    # When it is registered as Blender 5.2's definition
    result = run_cli(
        "register", "--image", IMAGE, "--blender", "5.2", env={"BLENDBATCH_JOB_DEFINITION": base}
    )

    # Then the definition `submit` routes a 5.2 file to exists, says its version, runs the image
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["jobDefinitionName"] == f"{base}-blender-5-2"
    assert f"{base}-blender-5-2: the image for Blender 5.2" in result.stderr
    (definition,) = boto3.client("batch").describe_job_definitions(
        jobDefinitionName=f"{base}-blender-5-2"
    )["jobDefinitions"]
    assert definition["tags"][jobdef.BLENDER_TAG] == "5.2"
    assert definition["containerProperties"]["image"] == IMAGE


@pytest.mark.parametrize(
    ("args", "name", "version", "why"),
    [
        ([], "blendbatch-blender-5-3", "5.3", "(the newest release; pass --blender X.Y"),
        (["--blender", "5.0"], "blendbatch-blender-5-0", "5.0", ""),
        (["--blender", "4.5.15"], "blendbatch-blender-4-5", "4.5", ""),
        (["--blender", "5.0", "--name", "my-own"], "my-own", "5.0", ""),
        (["--image", TAGGED_52], "blendbatch-blender-5-2", "5.2", "(the version its tag names)"),
    ],
    ids=["newest-by-default", "given", "patch-release", "full-name", "from-the-tag"],
)
def test_register_dry_run_shows_the_name_and_version_it_would_register(args, name, version, why):
    result = run_cli("register", "--image", IMAGE, *args, "--dry-run",
                     env={"BLENDBATCH_JOB_DEFINITION": None})  # fmt: skip
    assert result.returncode == 0, result.stderr
    request = json.loads(result.stdout)
    assert request["jobDefinitionName"] == name
    assert request["tags"][jobdef.BLENDER_TAG] == version
    assert result.stderr.startswith(f"{name}: the image for Blender {version} {why}".rstrip())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--blender", "6.1"], "Blender 6.1 is not one blendbatch has an image for; supported: "
         "4.2 LTS, 4.5 LTS, 5.0, 5.1, 5.2 LTS, 5.3"),
        (["--blender", "latest"], "'latest' is not a Blender version: give MAJOR.MINOR"),
        (["--image", TAGGED_52, "--blender", "5.3"],
         "is the image for Blender 5.2 (its tag), not 5.3: pass --blender 5.2"),
    ],
    ids=["unknown-version", "not-a-version", "image-of-another-version"],
)  # fmt: skip
def test_a_version_register_cannot_stand_behind_is_refused_before_any_call(args, message):
    result = run_cli("register", "--image", IMAGE, *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
