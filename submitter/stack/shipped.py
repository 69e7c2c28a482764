"""The stack template as shipped: package data of the distribution, read with importlib.resources.

Pure: imports no bpy, boto3 or subprocess. stack.yaml is package data (pyproject.toml), so
`blendbatch deploy` finds it in a pip install as well as in a source checkout.
"""

from __future__ import annotations

from importlib import resources

TEMPLATE_NAME = "stack.yaml"


def template_text() -> str:
    """The template next to this module in the installed package."""
    return resources.files(__package__).joinpath(TEMPLATE_NAME).read_text(encoding="utf-8")
