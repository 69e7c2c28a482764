"""The job definition `blendbatch register` sends (and the stack template describes), as data."""

import pytest

from entrypoint.errors import BadInput
from submitter import jobdef

IMAGE = "1234.dkr.ecr/blendbatch@sha256:" + "5" * 64


def spec(**changes) -> jobdef.JobDefinitionSpec:
    return jobdef.JobDefinitionSpec(**({"image": IMAGE} | changes))


def test_the_definition_keeps_the_workshop_command_and_retries_only_what_can_succeed():
    request = jobdef.job_definition(
        spec(vcpus=8, memory_mib=16384, attempts=4, timeout_seconds=600)
    )
    tags = request.pop("tags")
    assert request == {
        "jobDefinitionName": "blendbatch",
        "type": "container",
        "platformCapabilities": ["EC2"],
        "parameters": {"action": "render", "framesPerJob": "10"},
        "containerProperties": {
            "image": IMAGE,
            "command": [
                "Ref::action",
                "-i",
                "Ref::inputUri",
                "-o",
                "Ref::outputUri",
                "-f",
                "Ref::framesPerJob",
            ],  # fmt: skip
            "resourceRequirements": [
                {"type": "VCPU", "value": "8"},
                {"type": "MEMORY", "value": "16384"},
            ],
        },
        "retryStrategy": {
            "attempts": 4,
            "evaluateOnExit": [
                {"onStatusReason": "Host EC2*", "action": "RETRY"},
                {"onExitCode": "2", "action": "EXIT"},
            ],
        },
        "timeout": {"attemptDurationSeconds": 600},
        "propagateTags": True,
    }
    assert tags == {
        jobdef.BLENDER_TAG: "5.3",
        jobdef.DIGEST_TAG: jobdef.digest(request | {"tags": tags}),
    }


def test_gpus_role_and_a_custom_log_group_are_part_of_the_container():
    container = jobdef.job_definition(
        spec(gpus=1, job_role_arn="arn:aws:iam::1:role/r", log_group="/blendbatch/jobs")
    )["containerProperties"]
    assert {"type": "GPU", "value": "1"} in container["resourceRequirements"]
    assert container["jobRoleArn"] == "arn:aws:iam::1:role/r"
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/blendbatch/jobs"},
    }


def test_the_definition_says_its_blender_version_in_a_tag_and_the_digest_covers_it():
    # Given the same image registered as the image for Blender 5.2 and for 5.3
    for_52 = jobdef.job_definition(spec(blender=(5, 2)))["tags"]
    for_53 = jobdef.job_definition(spec(blender=(5, 3)))["tags"]
    # Then each definition names its version, and they are different definitions
    assert (for_52[jobdef.BLENDER_TAG], for_53[jobdef.BLENDER_TAG]) == ("5.2", "5.3")
    assert for_52[jobdef.DIGEST_TAG] != for_53[jobdef.DIGEST_TAG]


def test_a_request_with_only_the_digest_tag_hashes_as_before_the_blender_tag():
    # Definitions registered before the Blender tag existed keep their digest
    request = {"jobDefinitionName": "blendbatch", "type": "container"}
    assert jobdef.digest(request | {"tags": {jobdef.DIGEST_TAG: "x"}}) == jobdef.digest(request)


@pytest.mark.parametrize(
    ("image", "blender"),
    [
        ("1234.dkr.ecr/blendbatch:blender-5.3-2908050@sha256:" + "a" * 64, (5, 3)),
        ("localhost:5000/blendbatch:blender-4.5@sha256:" + "a" * 64, (4, 5)),
        ("localhost:5000/blendbatch@sha256:" + "a" * 64, None),
        ("1234.dkr.ecr/blendbatch:v3@sha256:" + "a" * 64, None),
        ("1234.dkr.ecr/blendbatch:blender-5.30-x@sha256:" + "a" * 64, (5, 30)),
    ],
    ids=["tag-and-commit", "registry-port", "no-tag", "other-tag", "two-digit-minor"],
)
def test_the_blender_version_an_image_tag_names(image, blender):
    assert jobdef.image_blender(image) == blender


def test_an_image_tagged_for_another_blender_is_refused_with_both_fixes():
    image = "1234.dkr.ecr/blendbatch:blender-5.2-2908050@sha256:" + "a" * 64
    with pytest.raises(BadInput) as caught:
        jobdef.job_definition(spec(image=image, blender=(5, 3)))
    message = str(caught.value)
    assert "is the image for Blender 5.2 (its tag), not 5.3" in message
    assert "--blender 5.2" in message and "make push BLENDER=5.3" in message


def test_the_digest_changes_with_the_content_only():
    same = jobdef.job_definition(spec())["tags"]
    assert jobdef.job_definition(spec())["tags"] == same
    assert jobdef.job_definition(spec(image="other@sha256:" + "1" * 64))["tags"] != same
    assert jobdef.job_definition(spec(attempts=2))["tags"] != same


def test_an_active_revision_with_the_same_digest_is_reused_the_newest_first():
    request = jobdef.job_definition(spec())
    digest = request["tags"][jobdef.DIGEST_TAG]
    described = [
        {"revision": 1, "status": "ACTIVE", "tags": {jobdef.DIGEST_TAG: digest}},
        {"revision": 2, "status": "ACTIVE", "tags": {jobdef.DIGEST_TAG: "0" * 16}},
        {"revision": 3, "status": "ACTIVE", "tags": {jobdef.DIGEST_TAG: digest}},
        {"revision": 4, "status": "INACTIVE", "tags": {jobdef.DIGEST_TAG: digest}},
        {"revision": 5, "status": "ACTIVE"},
    ]
    assert jobdef.find_unchanged(request, described)["revision"] == 3
    assert jobdef.find_unchanged(request, described[1:2]) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"image": ""}, "pass --image REPOSITORY@sha256:DIGEST"),
        ({"image": "1234.dkr.ecr/blendbatch:5"}, "not a digest reference"),
        ({"image": "blendbatch@sha256:" + "5" * 63}, "not a digest reference"),
        ({"image": "blendbatch@sha256:" + "A" * 64}, "not a digest reference"),
        ({"vcpus": 0}, "use --vcpus 1 or more"),
        ({"memory_mib": 100}, "--memory 512 or more"),
        ({"gpus": -1}, "use --gpus 0 or more"),
        ({"attempts": 0}, "AWS Batch allows 1 to 10"),
        ({"attempts": 11}, "AWS Batch allows 1 to 10"),
        ({"timeout_seconds": 59}, "use --timeout 60 or more"),
        ({"name": "arn:aws:batch:eu-west-1:1:job-definition/x:1"}, "not an ARN"),
        ({"name": "x" * 129}, "up to 128 letters, digits"),
    ],
    ids=[
        "no-image",
        "tag",
        "short-digest",
        "uppercase-digest",
        "vcpus",
        "memory",
        "gpus",
        "attempts-0",
        "attempts-11",
        "timeout",
        "arn-as-name",
        "long-name",
    ],
)
def test_a_definition_batch_would_reject_is_refused(changes, message):
    with pytest.raises(BadInput) as caught:
        jobdef.job_definition(spec(**changes))
    assert message in str(caught.value)


def test_a_digest_reference_with_a_tag_before_it_is_accepted():
    # `repo:tag@sha256:...` is what some tools print; the digest alone decides what runs
    image = "1234.dkr.ecr/blendbatch:v3@sha256:" + "a" * 64
    assert jobdef.job_definition(spec(image=image))["containerProperties"]["image"] == image
