"""The stack's job definition and `blendbatch register`'s are the same thing (jobdef.py).

Checked two ways: the committed template is exactly what `python -m submitter.stack.generate`
writes, and the template's JobDefinition, resolved as CloudFormation would for given parameters,
equals the RegisterJobDefinition request jobdef.py builds for the same values.
"""

import re

import pytest

from submitter import jobdef
from submitter.stack import generate
from submitter.stack.template import STACK, load_stack

DIGEST = "sha256:" + "7" * 64
RESOURCE_IDS = {"LogGroup": "/aws/batch/shots", "AWS::StackName": "shots"}
ATTRIBUTES = {
    "Repository.RepositoryUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/blendbatch",
    "JobRole.Arn": "arn:aws:iam::123456789012:role/shots-JobRole-X",
}


def resolve(node, parameters: dict):
    """The intrinsic functions the JobDefinition uses, evaluated like CloudFormation does."""
    if isinstance(node, list):
        return [resolve(item, parameters) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        return {**RESOURCE_IDS, **parameters}[node["Ref"]]
    if set(node) == {"Fn::GetAtt"}:
        return ATTRIBUTES[".".join(node["Fn::GetAtt"])]
    if set(node) == {"Fn::Sub"}:
        names = {**RESOURCE_IDS, **ATTRIBUTES, **parameters}
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(names[m.group(1)]), node["Fn::Sub"])
    if set(node) == {"Fn::If"}:
        condition, when_true, when_false = node["Fn::If"]
        assert condition == "HasGpu"
        return resolve(when_true if parameters["Gpus"] != 0 else when_false, parameters)
    return {key: resolve(value, parameters) for key, value in node.items()}


def as_request(properties, verbatim: bool = False):
    """CloudFormation properties -> the Batch API's shape (camelCase keys, string scalars)."""
    if isinstance(properties, dict):
        return {
            (k if verbatim else k[0].lower() + k[1:]): as_request(v, k in ("Parameters", "Options"))
            for k, v in properties.items()
        }
    if isinstance(properties, list):
        return [as_request(item) for item in properties]
    return properties if isinstance(properties, bool) else str(properties)


def with_string_scalars(request):
    if isinstance(request, dict):
        return {key: with_string_scalars(value) for key, value in request.items()}
    if isinstance(request, list):
        return [with_string_scalars(item) for item in request]
    return request if isinstance(request, bool) else str(request)


def test_the_committed_template_is_what_the_generator_writes():
    current = STACK.read_text()
    wanted = generate.render(current)
    assert wanted == current, "run `python -m submitter.stack.generate` and commit"


@pytest.mark.parametrize(
    "values",
    [
        {"Vcpus": 4, "MemoryMiB": 8192, "Gpus": 0, "Attempts": 3, "TimeoutSeconds": 14400},
        {"Vcpus": 8, "MemoryMiB": 30000, "Gpus": 1, "Attempts": 5, "TimeoutSeconds": 600},
    ],
    ids=["cpu-defaults", "gpu"],
)
def test_the_stack_job_definition_equals_what_register_sends(values):
    # Given the stack's JobDefinition resolved for these parameter values
    properties = load_stack()["Resources"]["JobDefinition"]["Properties"]
    from_stack = as_request(resolve(properties, values | {"ImageDigest": DIGEST}))

    # When jobdef.py builds the request for the same values
    spec = jobdef.JobDefinitionSpec(
        image=f"{ATTRIBUTES['Repository.RepositoryUri']}@{DIGEST}",
        vcpus=values["Vcpus"],
        memory_mib=values["MemoryMiB"],
        gpus=values["Gpus"],
        timeout_seconds=values["TimeoutSeconds"],
        attempts=values["Attempts"],
        job_role_arn=ATTRIBUTES["JobRole.Arn"],
        log_group=RESOURCE_IDS["LogGroup"],
        name="shots-job",
    )
    from_register = jobdef.job_definition(spec)
    del from_register["tags"]  # register's digest tag; a stack tracks its own definition

    # Then they are the same request
    assert from_stack == with_string_scalars(from_register)


def test_the_defaults_of_the_stack_match_register_defaults():
    parameters = load_stack()["Parameters"]
    spec = jobdef.JobDefinitionSpec(image=f"x@{DIGEST}")
    defaults = {
        "Vcpus": spec.vcpus,
        "MemoryMiB": spec.memory_mib,
        "Gpus": spec.gpus,
        "Attempts": spec.attempts,
        "TimeoutSeconds": spec.timeout_seconds,
    }
    assert {name: parameters[name]["Default"] for name in defaults} == defaults


def test_the_stack_job_definition_names_the_image_by_digest_and_exists_only_with_one():
    stack = load_stack()
    definition = stack["Resources"]["JobDefinition"]
    # Given a digest, the definition's image is the stack's repository at that digest
    image = resolve(
        definition["Properties"]["ContainerProperties"]["Image"], {"ImageDigest": DIGEST}
    )
    assert image == f"{ATTRIBUTES['Repository.RepositoryUri']}@{DIGEST}"
    assert jobdef.DIGEST_REFERENCE.fullmatch(image)
    # And without one (the first deploy, before any image is pushed) there is no definition
    assert definition["Condition"] == stack["Outputs"]["JobDefinition"]["Condition"] == "HasImage"
    assert stack["Conditions"]["HasImage"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ImageDigest"}, ""]}]
    }
    assert stack["Parameters"]["ImageDigest"]["Default"] == ""
    assert "ImageTag" not in stack["Parameters"]
