"""The stack's job definitions and `blendbatch register`'s are the same thing (jobdef.py), one
per Blender version of the table (entrypoint/blenderversions.py).

Checked two ways: the committed template is exactly what `python -m submitter.stack.generate`
writes, and the template's job definitions and conditions, resolved as CloudFormation would for
given parameters, equal the RegisterJobDefinition requests jobdef.py builds for the same values.
"""

import json
import re

import pytest

from entrypoint import blenderversions
from submitter import jobdef
from submitter.stack import generate, names
from submitter.stack.template import STACK, load_stack

DIGEST = "sha256:" + "7" * 64
TEMPLATE = load_stack()
DEFAULTS = {"Vcpus": 4, "MemoryMiB": 8192, "Gpus": 0, "Attempts": 3, "TimeoutSeconds": 14400}
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
    if set(node) == {"Fn::Join"}:
        separator, items = node["Fn::Join"]
        return separator.join(resolve(items, parameters))
    if set(node) == {"Fn::Split"}:
        separator, text = node["Fn::Split"]
        return resolve(text, parameters).split(separator)
    return {key: resolve(value, parameters) for key, value in node.items()}


def holds(name: str, parameters: dict) -> bool:
    """A condition of the template, evaluated as CloudFormation does."""
    return _holds(TEMPLATE["Conditions"][name], parameters)


def _holds(node: dict, parameters: dict) -> bool:
    (function, arguments), *_ = node.items()
    if function == "Condition":
        return holds(arguments, parameters)
    if function == "Fn::Equals":
        left, right = (resolve(a, parameters) for a in arguments)
        return left == right
    results = [_holds(a, parameters) for a in arguments]
    return {"Fn::Not": lambda: not results[0], "Fn::And": lambda: all(results),
            "Fn::Or": lambda: any(results)}[function]()  # fmt: skip


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
@pytest.mark.parametrize("release", blenderversions.RELEASES, ids=lambda r: r.name)
def test_the_stack_job_definition_equals_what_register_sends(values, release):
    # Given the stack's job definition for this Blender version, resolved for these values
    version = release.version
    resource = TEMPLATE["Resources"][names.resource(version)]
    digests = {names.digest_parameter(version): DIGEST}
    from_stack = as_request(resolve(resource["Properties"], values | digests))

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
        name=blenderversions.job_definition_name("shots-job", version),
        blender=version,
    )
    from_register = jobdef.job_definition(spec)
    del from_register["tags"][jobdef.DIGEST_TAG]  # how register finds its own revisions

    # Then they are the same request
    assert from_stack == with_string_scalars(from_register)


def test_the_defaults_of_the_stack_match_register_defaults():
    parameters = TEMPLATE["Parameters"]
    spec = jobdef.JobDefinitionSpec(image=f"x@{DIGEST}")
    defaults = {
        "Vcpus": spec.vcpus,
        "MemoryMiB": spec.memory_mib,
        "Gpus": spec.gpus,
        "Attempts": spec.attempts,
        "TimeoutSeconds": spec.timeout_seconds,
    }
    assert {name: parameters[name]["Default"] for name in defaults} == defaults


def test_each_blender_version_has_a_definition_named_for_routing_running_its_own_digest():
    resources = TEMPLATE["Resources"]
    digests = {names.digest_parameter(r.version): f"sha256:{i}" + "0" * 63
               for i, r in enumerate(blenderversions.RELEASES)}  # fmt: skip
    seen = {}
    for release in blenderversions.RELEASES:
        properties = resources[names.resource(release.version)]["Properties"]
        resolved = resolve(properties, DEFAULTS | digests)
        seen[resolved["JobDefinitionName"]] = resolved["ContainerProperties"]["Image"]
        assert resolved["Tags"] == {jobdef.BLENDER_TAG: release.name}
        assert jobdef.DIGEST_REFERENCE.fullmatch(resolved["ContainerProperties"]["Image"])
    repository = ATTRIBUTES["Repository.RepositoryUri"]
    assert seen == {
        f"shots-job-blender-{r.version[0]}-{r.version[1]}": f"{repository}"
        f"@{digests[names.digest_parameter(r.version)]}"
        for r in blenderversions.RELEASES
    }
    # And the name is the one `submit` routes to: the base name plus the version
    for name in seen:
        assert blenderversions.job_definition_version(name) in [
            r.version for r in blenderversions.RELEASES
        ]


@pytest.mark.parametrize(
    ("listed", "digests", "defined"),
    [
        ("5.2,5.3", {}, []),
        ("5.2,5.3", {"5.3": DIGEST}, ["5.3"]),
        ("5.2,5.3", {"5.2": DIGEST, "5.3": DIGEST}, ["5.2", "5.3"]),
        ("5.3", {"5.2": DIGEST, "5.3": DIGEST}, ["5.3"]),
        ("4.2,4.5,5.0,5.1,5.2,5.3", {"4.2": DIGEST, "5.0": DIGEST}, ["4.2", "5.0"]),
        ("5.0", {"5.0": DIGEST}, ["5.0"]),
    ],
    ids=["no-digest", "one", "both", "digest-not-listed", "first-and-middle", "alone"],
)
def test_a_version_has_a_definition_when_listed_and_given_a_digest(listed, digests, defined):
    # Given BlenderVersions and the digests passed to the stack
    parameters = {names.VERSIONS_PARAMETER: listed} | {
        names.digest_parameter(blenderversions.parse_version(v)): d for v, d in digests.items()
    }
    parameters |= {p: "" for p in names.DIGEST_PARAMETERS if p not in parameters}
    # Then exactly those versions' conditions hold, and the base-name output with any of them
    made = [
        r.name for r in blenderversions.RELEASES if holds(names.condition(r.version), parameters)
    ]
    assert made == defined
    assert holds("HasJobDefinition", parameters) is bool(defined)


def test_the_versions_parameter_defaults_to_the_tables_stack_default_and_refuses_others():
    parameters = TEMPLATE["Parameters"]
    listed = parameters[names.VERSIONS_PARAMETER]
    assert listed["Default"] == "5.2,5.3"
    pattern = re.compile(listed["AllowedPattern"])
    assert pattern.fullmatch("4.2,4.5,5.0,5.1,5.2,5.3")
    for wrong in ("5.4", "5.2, 5.3", "5.2,", "", "5.23", "5x3"):
        assert not pattern.fullmatch(wrong), wrong
    assert all(parameters[p]["Default"] == "" for p in names.DIGEST_PARAMETERS)


def test_the_outputs_are_the_base_name_and_the_versions():
    stack = TEMPLATE
    outputs = stack["Outputs"]
    assert resolve(outputs["JobDefinition"]["Value"], {}) == "shots-job"
    assert outputs["JobDefinition"]["Condition"] == "HasJobDefinition"
    assert outputs["BlenderVersions"]["Value"] == {"Ref": names.VERSIONS_PARAMETER}
    assert "ImageDigest" not in stack["Parameters"]


def test_the_security_scans_copy_makes_every_optional_resource():
    # Given the copy `make checkov` scans besides the template
    copy = json.loads(generate.all_options(STACK.read_text()))
    parameters = {name: p["Default"] for name, p in copy["Parameters"].items()}
    # Then every condition of an optional resource holds with its defaults
    for name in ("UseKms", "LogAccess", "HasJobDefinition"):
        assert holds(name, parameters), name
    for release in blenderversions.RELEASES:
        assert holds(names.condition(release.version), parameters), release.name
