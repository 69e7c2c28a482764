"""Write the stack's per-Blender parts from the tables: `python -m submitter.stack.generate`.

The job definition has one source of truth, `jobdef.job_definition`, and the Blender releases
theirs, `entrypoint/blenderversions.py`. For each release this renders the definition with
placeholder values, turns each placeholder into the stack parameter or resource that supplies it
(`!Ref Vcpus`, `!GetAtt JobRole.Arn`, the release's `ImageDigest53` ...) and makes the GPU
requirement conditional on `HasGpu`. A release's definition exists when it is listed in
`BlenderVersions` and its image digest is given (the first deploy makes the repository, a later
one with the pushed images' digests the definitions). CloudFormation has no loops (short of the
LanguageExtensions transform, which the emulator the tests use does not run), so the parameters,
conditions, resources and outputs are written out here, between the BEGIN/END markers of
stack.yaml (next to this file). A test fails when the committed template differs from what this
writes.

Pure: imports no bpy, boto3 or ffmpeg (PyYAML only).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

from entrypoint import blenderversions
from entrypoint.blenderversions import Version
from submitter import jobdef
from submitter.stack import names
from submitter.stack.template import STACK

# Placeholder -> what supplies it in the stack. Numbers are placeholders too: jobdef renders
# vCPUs, memory and GPUs as strings, attempts and the timeout as integers.
_ROLE, _LOGS, _NAME = "@job-role", "@log-group", "placeholder-name"
# jobdef accepts only digest references, so the image placeholder is one.
_IMAGE = "placeholder@sha256:" + "0" * 64
_VCPUS, _MEMORY, _GPUS, _TIMEOUT, _ATTEMPTS = 1001, 100_002, 1003, 100_004, 9
# Keys under these are data (Batch parameter names, log driver options, tags), not property names.
VERBATIM = {"parameters", "options", "tags"}
DIGEST_PATTERN = "(sha256:[0-9a-f]{64})?"
# Fn::Or takes 2 to 10 conditions.
_MOST_IN_OR = 10


def suppliers(version: Version) -> dict:
    """Placeholder -> the stack's parameter or resource that supplies it, for one version."""
    digest = names.digest_parameter(version)
    return {
        _IMAGE: {"Fn::Sub": f"${{Repository.RepositoryUri}}@${{{digest}}}"},
        _ROLE: {"Fn::GetAtt": ["JobRole", "Arn"]},
        _LOGS: {"Ref": "LogGroup"},
        _NAME: {"Fn::Sub": blenderversions.job_definition_name(names.BASE, version)},
        str(_VCPUS): {"Ref": "Vcpus"},
        str(_MEMORY): {"Ref": "MemoryMiB"},
        str(_GPUS): {"Ref": "Gpus"},
        _TIMEOUT: {"Ref": "TimeoutSeconds"},
        _ATTEMPTS: {"Ref": "Attempts"},
    }


def request(gpus: int, version: Version) -> dict:
    spec = jobdef.JobDefinitionSpec(
        image=_IMAGE,
        vcpus=_VCPUS,
        memory_mib=_MEMORY,
        gpus=gpus,
        timeout_seconds=_TIMEOUT,
        attempts=_ATTEMPTS,
        job_role_arn=_ROLE,
        log_group=_LOGS,
        name=_NAME,
        blender=version,
    )
    result = jobdef.job_definition(spec)
    # The digest tag is how `register` finds an unchanged definition; a stack tracks its own.
    del result["tags"][jobdef.DIGEST_TAG]
    return result


def properties(value, supply: dict, verbatim: bool = False):
    """A Batch API request -> CloudFormation properties (PascalCase keys, placeholders resolved)."""
    if isinstance(value, dict):
        return {
            (key if verbatim else key[0].upper() + key[1:]): properties(
                item, supply, key in VERBATIM
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [properties(item, supply) for item in value]
    if not isinstance(value, bool) and value in supply:
        return supply[value]
    return value


def if_gpu(with_gpu, without_gpu):
    """One tree from the GPU and CPU renderings: where they differ, `Fn::If HasGpu`."""
    if with_gpu == without_gpu:
        return with_gpu
    if isinstance(with_gpu, dict) and isinstance(without_gpu, dict):
        no_value = {"Ref": "AWS::NoValue"}
        keys = list(with_gpu) + [k for k in without_gpu if k not in with_gpu]
        return {k: if_gpu(with_gpu.get(k, no_value), without_gpu.get(k, no_value)) for k in keys}
    return {"Fn::If": ["HasGpu", with_gpu, without_gpu]}


def resource(version: Version) -> dict:
    """The job definition of one Blender version's image, there when its condition holds."""
    supply = suppliers(version)
    merged = if_gpu(
        properties(request(_GPUS, version), supply), properties(request(0, version), supply)
    )
    _check_every_placeholder_resolved(merged, supply)
    return {
        "Type": "AWS::Batch::JobDefinition",
        "Condition": names.condition(version),
        "Properties": merged,
    }


def job_definitions() -> dict:
    return {names.resource(r.version): resource(r.version) for r in blenderversions.RELEASES}


def parameters() -> dict:
    """BlenderVersions (validated against the table) and one image digest per release."""
    choice = "(" + "|".join(re.escape(r.name) for r in blenderversions.RELEASES) + ")"
    result = {
        names.VERSIONS_PARAMETER: {
            "Type": "String",
            "Default": names.default_versions(),
            "AllowedPattern": f"{choice}(,{choice})*",
            "ConstraintDescription": "Blender versions separated by commas, each one of "
            + blenderversions.supported_text(),
            "Description": "The Blender versions to make job definitions for, separated by "
            "commas (each needs its image digest). Supported: " + blenderversions.supported_text(),
        }
    }
    for release in blenderversions.RELEASES:
        result[names.digest_parameter(release.version)] = {
            "Type": "String",
            "Default": "",
            "AllowedPattern": DIGEST_PATTERN,
            "Description": f"The digest of the image for Blender {release.name} in the stack's "
            f"repository (sha256:..., as `make push BLENDER={release.name}` prints it). Empty: "
            f"no job definition for {release.name}.",
        }
    return result


def conditions() -> dict:
    """Per version: listed in BlenderVersions and given a digest. Membership is tested by
    splitting `,5.2,5.3,` at `,5.3,`: CloudFormation conditions have no `contains`."""
    listed = {"Fn::Sub": f",${{{names.VERSIONS_PARAMETER}}},"}
    result = {}
    for release in blenderversions.RELEASES:
        split = {"Fn::Split": [f",{release.name},", listed]}
        result[names.condition(release.version)] = {
            "Fn::And": [
                {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", split]}, listed]}]},
                {
                    "Fn::Not": [
                        {"Fn::Equals": [{"Ref": names.digest_parameter(release.version)}, ""]}
                    ]
                },
            ]
        }
    each = [{"Condition": names.condition(r.version)} for r in blenderversions.RELEASES]
    result["HasJobDefinition"] = _any(each)
    return result


def _any(conditions: list[dict]) -> dict:
    if len(conditions) == 1:
        conditions = conditions * 2
    if len(conditions) > _MOST_IN_OR:
        head = conditions[: _MOST_IN_OR - 1]
        return {"Fn::Or": [*head, _any(conditions[_MOST_IN_OR - 1 :])]}
    return {"Fn::Or": conditions}


def outputs() -> dict:
    return {
        "JobDefinition": {
            "Condition": "HasJobDefinition",
            "Description": "The base name of the job definitions, BASE-blender-X-Y "
            "(BLENDBATCH_JOB_DEFINITION)",
            "Value": {"Fn::Sub": names.BASE},
        },
        "BlenderVersions": {
            "Description": "The Blender versions the stack makes job definitions for (each once "
            "its image digest is given)",
            "Value": {"Ref": names.VERSIONS_PARAMETER},
        },
    }


BLOCKS = {
    "BlenderParameters": parameters,
    "BlenderConditions": conditions,
    "JobDefinitions": job_definitions,
    "BlenderOutputs": outputs,
}


def _nodes(tree):
    yield tree
    children = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, list) else []
    for child in children:
        yield from _nodes(child)


def _check_every_placeholder_resolved(tree, supply: dict) -> None:
    nodes = list(_nodes(tree))
    unused = [str(k) for k, supplier in supply.items() if supplier not in nodes]
    texts = [key for key in supply if isinstance(key, str)]
    leftover = [n for n in nodes if isinstance(n, str) and any(t in n for t in texts)]
    if unused or leftover:
        raise SystemExit(
            f"jobdef.py changed shape: placeholders {unused} no longer found, {leftover} left "
            "inside other values; update `suppliers` in submitter/stack/generate.py"
        )


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, and no `&id001` aliases (CloudFormation
    rejects YAML aliases)."""

    def ignore_aliases(self, data) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def begin(block: str) -> str:
    return (
        f"  # BEGIN {block}: generated from entrypoint/blenderversions.py and "
        "submitter/jobdef.py by `python -m submitter.stack.generate`\n"
    )


def end(block: str) -> str:
    return f"  # END {block}\n"


def render(template: str) -> str:
    """`template` with each generated block replaced by what the tables say now."""
    for block, make in BLOCKS.items():
        start = template.index(begin(block)) + len(begin(block))
        stop = template.index(end(block))
        text = yaml.dump(make(), Dumper=_Dumper, sort_keys=False, width=96)
        indented = "".join(f"  {line}\n" for line in text.splitlines())
        template = template[:start] + indented + template[stop:]
    return template


def all_options(template: str) -> str:
    """The template (as JSON) with every opt-in on, every Blender version listed and each given
    a digest: the security scan leaves out resources whose condition is false by default."""
    from submitter.stack.template import load

    stack = load(template)
    for name, parameter in stack["Parameters"].items():
        if parameter.get("AllowedValues") == ["true", "false"]:
            parameter["Default"] = "true"
        elif name in names.DIGEST_PARAMETERS:
            parameter["Default"] = "sha256:" + "0" * 64
    every = ",".join(r.name for r in blenderversions.RELEASES)
    stack["Parameters"][names.VERSIONS_PARAMETER]["Default"] = every
    return json.dumps(stack, indent=1)


def main() -> int:
    if sys.argv[1:2] == ["--all-options"]:
        Path(sys.argv[2]).write_text(all_options(STACK.read_text()))
        return 0
    current = STACK.read_text()
    generated = render(current)
    if "--check" in sys.argv[1:]:
        if generated != current:
            print(
                f"{STACK} is out of date: run `python -m submitter.stack.generate`",
                file=sys.stderr,
            )
            return 1
        return 0
    STACK.write_text(generated)
    print(f"wrote the generated blocks of {STACK}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
