"""The CloudFormation stack of blendbatch (stack.yaml) and the tools that keep it true.

stack.yaml is package data of the distribution (pyproject.toml), so `blendbatch deploy` finds it
in a pip install as well as in a source checkout. template.py reads it (PyYAML, a dev
dependency); generate.py rewrites its JobDefinition from submitter/jobdef.py.
"""

from __future__ import annotations

from importlib import resources

TEMPLATE_NAME = "stack.yaml"


def template_text() -> str:
    """The template as shipped with the installed package."""
    return resources.files(__name__).joinpath(TEMPLATE_NAME).read_text(encoding="utf-8")
