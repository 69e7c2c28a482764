"""`blendbatch deploy` in the CloudFormation states the emulator cannot produce (an unchanged
update, a stack whose creation failed, a failed update), with botocore's Stubber."""

from datetime import datetime

import boto3
import pytest
from botocore.stub import Stubber

from entrypoint.errors import BadInput
from submitter import deploy

STACK = "shots"
OUTPUTS = [
    {"OutputKey": "JobQueue", "OutputValue": "arn:aws:batch:eu-west-1:1:job-queue/q"},
    {"OutputKey": "JobDefinition", "OutputValue": "arn:aws:batch:eu-west-1:1:job-definition/d:2"},
]


# What the new template declares (GetTemplateSummary).
SUMMARY = {
    "Parameters": [
        {"ParameterKey": "Vcpus", "DefaultValue": "4"},
        {"ParameterKey": "Gpus", "DefaultValue": "1"},
        {"ParameterKey": "Attempts", "DefaultValue": "3"},
    ]
}


def stack(status: str, outputs=None) -> dict:
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "StackStatus": status,
                "CreationTime": datetime(2026, 1, 1),
                "Parameters": [
                    {"ParameterKey": "Vcpus", "ParameterValue": "4"},
                    {"ParameterKey": "Gpus", "ParameterValue": "0"},
                    # the template's default: omitting it keeps it
                    {"ParameterKey": "Attempts", "ParameterValue": "3"},
                    # a parameter of an earlier template, which the new one no longer declares
                    {"ParameterKey": "ImageTag", "ParameterValue": "latest"},
                ],
                "Outputs": outputs or [],
            }
        ]
    }


@pytest.fixture
def cloudformation(monkeypatch):
    client = boto3.client(
        "cloudformation",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    monkeypatch.setattr(deploy, "client", lambda service: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_an_unchanged_stack_is_left_alone_and_its_outputs_printed(cloudformation):
    # Given a deployed stack, and CloudFormation finding nothing to change
    cloudformation.add_response("describe_stacks", stack("CREATE_COMPLETE", OUTPUTS))
    cloudformation.add_response("get_template_summary", SUMMARY, {"TemplateBody": "body"})
    cloudformation.add_client_error(
        "update_stack",
        service_error_code="ValidationError",
        service_message="No updates are to be performed.",
        expected_params={
            "StackName": STACK,
            "TemplateBody": "body",
            "Parameters": [
                {"ParameterKey": "Vcpus", "ParameterValue": "8"},
                {"ParameterKey": "Gpus", "UsePreviousValue": True},
            ],
            "Capabilities": ["CAPABILITY_IAM"],
        },
    )
    cloudformation.add_response("describe_stacks", stack("CREATE_COMPLETE", OUTPUTS))
    said = []

    # When the user deploys with one parameter given
    outputs = deploy.deploy(STACK, "body", {"Vcpus": "8"}, said.append)

    # Then nothing waits, the other parameters keep their values (Gpus; Attempts is at the
    # default, ImageTag no longer declared), the outputs are returned
    assert outputs["JobQueue"] == OUTPUTS[0]["OutputValue"]
    assert said[-1] == "stack shots is already up to date"


def test_a_stack_whose_creation_failed_is_refused_with_the_fix(cloudformation):
    cloudformation.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"))

    with pytest.raises(BadInput, match=r"make destroy STACK=shots"):
        deploy.deploy(STACK, "body", {}, print)


def test_a_failed_update_names_the_resource_and_the_reason(cloudformation):
    # Given an update that CloudFormation rolls back
    cloudformation.add_response("describe_stacks", stack("UPDATE_COMPLETE"))
    cloudformation.add_response("get_template_summary", SUMMARY)
    cloudformation.add_response("update_stack", {"StackId": "id"})
    cloudformation.add_response("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"))
    event = {
        "StackId": "id",
        "EventId": "e",
        "StackName": STACK,
        "Timestamp": datetime(2026, 1, 1),
        "LogicalResourceId": "SpotCompute",
        "ResourceStatus": "UPDATE_FAILED",
        "ResourceStatusReason": "subnet-1 does not exist",
    }
    cloudformation.add_response("describe_stack_events", {"StackEvents": [event]})

    # Then the error says which resource failed and why
    with pytest.raises(BadInput, match="SpotCompute: subnet-1 does not exist"):
        deploy.deploy(STACK, "body", {"SubnetIds": "subnet-1"}, print)


@pytest.mark.parametrize(
    "value",
    ["latest", "sha256:" + "a" * 63, "repo@sha256:" + "a" * 64, "sha256:" + "A" * 64],
    ids=["tag", "short", "reference", "uppercase"],
)
def test_an_image_digest_parameter_must_be_a_digest(value):
    with pytest.raises(BadInput, match="ImageDigest53=.* is not an image digest"):
        deploy.parse_parameters([f"ImageDigest53={value}"])


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("ImageDigest=sha256:" + "a" * 64, "one image digest per Blender version: ImageDigest42"),
        ("ImageDigest61=sha256:" + "a" * 64, "e.g. -p ImageDigest53=sha256:..."),
        ("BlenderVersions=5.2,6.1", "Blender 6.1 is not one blendbatch has an image for"),
        ("BlenderVersions=5.2,", "give versions separated by commas, e.g. 5.2,5.3"),
    ],
    ids=["the-old-single-digest", "unknown-version-digest", "unknown-version", "empty-item"],
)
def test_a_blender_parameter_the_stack_cannot_take_is_refused_before_any_call(pair, message):
    with pytest.raises(BadInput) as caught:
        deploy.parse_parameters([pair])
    assert message in str(caught.value)


def test_the_blender_parameters_pass_as_given():
    pairs = ["BlenderVersions=5.0,5.3", "ImageDigest50=sha256:" + "a" * 64, "ImageDigest53="]
    assert deploy.parse_parameters(pairs) == {
        "BlenderVersions": "5.0,5.3",
        "ImageDigest50": "sha256:" + "a" * 64,
        "ImageDigest53": "",
    }


REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/blendbatch"


def test_a_stack_without_job_definitions_says_which_images_to_push_and_how_to_deploy_them():
    outputs = {"RepositoryUri": REPOSITORY, "BlenderVersions": "5.2,5.3"}
    hint = deploy.next_step(outputs, {"ImageDigest52": "", "ImageDigest53": ""}, "shots")
    assert "no job definition yet for Blender 5.2, 5.3" in hint
    assert "make image push BLENDER=5.2 REGION=eu-west-1 REPO=blendbatch" in hint
    assert "make image push BLENDER=5.3 REGION=eu-west-1 REPO=blendbatch" in hint
    assert (
        'make deploy STACK=shots DEPLOY_ARGS="-p ImageDigest52=sha256:... '
        '-p ImageDigest53=sha256:..."' in hint
    )


def test_a_stack_with_every_listed_digest_needs_nothing_more():
    outputs = {"JobDefinition": "shots-job", "BlenderVersions": "5.3", "RepositoryUri": REPOSITORY}
    assert deploy.next_step(outputs, {"ImageDigest53": DIGEST_53}, "x") is None


def test_a_digest_for_an_unlisted_version_names_the_versions_parameter_to_deploy_with():
    outputs = {"JobDefinition": "shots-job", "BlenderVersions": "5.3", "RepositoryUri": REPOSITORY}
    hint = deploy.next_step(outputs, {"ImageDigest53": DIGEST_53, "ImageDigest50": DIGEST_53}, "x")
    assert hint == (
        "Blender 5.0 has an image digest but is not in BlenderVersions, so it has no job "
        "definition: deploy with -p BlenderVersions=5.0,5.3 to add it"
    )


DIGEST_53 = "sha256:" + "e" * 64
