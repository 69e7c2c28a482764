"""`blendbatch register` against Batch on loopback: registered once, then found and reused."""

import json

import boto3

from tests.conftest import run_cli


def test_registering_twice_reuses_the_unchanged_definition(moto_endpoint):
    # Given a fresh job definition name
    args = ["register", "--image", "blendbatch:1", "--name", "bb-register-test", "--vcpus", "2"]

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
    result = run_cli("register", "--image", "blendbatch:1", "--gpus", "1", "--dry-run")
    assert result.returncode == 0, result.stderr
    request = json.loads(result.stdout)
    assert request["containerProperties"]["image"] == "blendbatch:1"
    assert {"type": "GPU", "value": "1"} in request["containerProperties"]["resourceRequirements"]
