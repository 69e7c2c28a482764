"""Read and write CloudFormation YAML with its short-form tags (`!Ref`, `!Sub`, `!If` ...).

Pure: imports no bpy, boto3 or ffmpeg (PyYAML only). Loading turns each tag into the long form
(`{"Ref": ...}`, `{"Fn::Sub": ...}`), which is how CloudFormation itself reads them.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from submitter.stack.shipped import TEMPLATE_NAME, template_text

# The file itself, for the generator that rewrites it; readers use `load_stack()`.
STACK = Path(__file__).resolve().parent / TEMPLATE_NAME


class _Loader(yaml.SafeLoader):
    pass


def _long_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _long_form)


def load(text: str) -> dict:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader with CloudFormation tags


def load_stack() -> dict:
    """The template shipped with the installed package, parsed."""
    return load(template_text())
