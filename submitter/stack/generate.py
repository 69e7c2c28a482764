"""Write the stack's JobDefinition from submitter/jobdef.py: `python -m submitter.stack.generate`.

The job definition has one source of truth, `jobdef.job_definition`. This module renders it with
placeholder values, turns each placeholder into the stack parameter or resource that supplies it
(`!Ref Vcpus`, `!GetAtt JobRole.Arn` ...), makes the GPU requirement conditional on `HasGpu`
and the whole definition on `HasImage` (an image digest was given: the first deploy makes the
repository, a later one with the pushed image's digest the definition), and replaces the block
between the BEGIN/END markers of stack.yaml (next to this file). A test fails when the committed
template differs from what this writes.

Pure: imports no bpy, boto3 or ffmpeg (PyYAML only).
"""

from __future__ import annotations

import sys

import yaml

from submitter import jobdef
from submitter.stack.template import STACK

BEGIN = (
    "  # BEGIN JobDefinition: generated from submitter/jobdef.py"
    " by `python -m submitter.stack.generate`\n"
)
END = "  # END JobDefinition\n"
# Placeholder -> what supplies it in the stack. Numbers are placeholders too: jobdef renders
# vCPUs, memory and GPUs as strings, attempts and the timeout as integers.
_ROLE, _LOGS, _NAME = "@job-role", "@log-group", "@name"
# jobdef accepts only digest references, so the image placeholder is one.
_IMAGE = "placeholder@sha256:" + "0" * 64
_VCPUS, _MEMORY, _GPUS, _TIMEOUT, _ATTEMPTS = 1001, 100_002, 1003, 100_004, 9
SUPPLIERS = {
    _IMAGE: {"Fn::Sub": "${Repository.RepositoryUri}@${ImageDigest}"},
    _ROLE: {"Fn::GetAtt": ["JobRole", "Arn"]},
    _LOGS: {"Ref": "LogGroup"},
    _NAME: {"Fn::Sub": "${AWS::StackName}-job"},
    str(_VCPUS): {"Ref": "Vcpus"},
    str(_MEMORY): {"Ref": "MemoryMiB"},
    str(_GPUS): {"Ref": "Gpus"},
    _TIMEOUT: {"Ref": "TimeoutSeconds"},
    _ATTEMPTS: {"Ref": "Attempts"},
}
# Keys under these are data (Batch parameter names, log driver options), not property names.
VERBATIM = {"parameters", "options"}


def request(gpus: int) -> dict:
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
    )
    result = jobdef.job_definition(spec)
    # The digest tag is how `register` finds an unchanged definition; a stack tracks its own.
    result.pop("tags", None)
    return result


def properties(value, verbatim: bool = False):
    """A Batch API request -> CloudFormation properties (PascalCase keys, placeholders resolved)."""
    if isinstance(value, dict):
        return {
            (key if verbatim else key[0].upper() + key[1:]): properties(item, key in VERBATIM)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [properties(item) for item in value]
    if not isinstance(value, bool) and value in SUPPLIERS:
        return SUPPLIERS[value]
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


def resource() -> dict:
    merged = if_gpu(properties(request(_GPUS)), properties(request(0)))
    _check_every_placeholder_resolved(merged)
    definition = {
        "Type": "AWS::Batch::JobDefinition",
        "Condition": "HasImage",
        "Properties": merged,
    }
    return {"JobDefinition": definition}


def _nodes(tree):
    yield tree
    children = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, list) else []
    for child in children:
        yield from _nodes(child)


def _check_every_placeholder_resolved(tree) -> None:
    nodes = list(_nodes(tree))
    unused = [str(k) for k, supplier in SUPPLIERS.items() if supplier not in nodes]
    texts = [key for key in SUPPLIERS if isinstance(key, str)]
    leftover = [n for n in nodes if isinstance(n, str) and any(t in n for t in texts)]
    if unused or leftover:
        raise SystemExit(
            f"jobdef.py changed shape: placeholders {unused} no longer found, {leftover} left "
            "inside other values; update SUPPLIERS in submitter/stack/generate.py"
        )


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, and no `&id001` aliases (CloudFormation
    rejects YAML aliases)."""

    def ignore_aliases(self, data) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def render(template: str) -> str:
    """`template` with its generated block replaced by the current job definition."""
    start, end = template.index(BEGIN) + len(BEGIN), template.index(END)
    block = yaml.dump(resource(), Dumper=_Dumper, sort_keys=False, width=96)
    indented = "".join(f"  {line}\n" for line in block.splitlines())
    return template[:start] + indented + template[end:]


def main() -> int:
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
    print(f"wrote the JobDefinition of {STACK}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
