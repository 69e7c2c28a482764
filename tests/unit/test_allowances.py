"""Each `--allow-*` flag is declared once and reaches the child and the fingerprint."""

import pytest

from entrypoint import allowances
from entrypoint.__main__ import build_parser
from entrypoint.fingerprint import render_fingerprint
from entrypoint.overrides import Overrides
from submitter import plan

FIELDS = allowances.FIELDS


def render_plan(**flags: bool) -> plan.RenderPlan:
    return plan.RenderPlan(
        name="shot", input_uri="s3://b/s.blend", output_uri="s3://b/out", frames_per_job=2,
        frame_count=4, **flags,
    )  # fmt: skip


@pytest.mark.parametrize("field", FIELDS)
def test_a_flag_given_to_the_submitter_reaches_the_childs_settings(field):
    # Given a plan that allows one thing
    command = plan.render_command(render_plan(**{field: True}))
    # When the child parses the command the submitter built
    args = build_parser().parse_args(command)
    # Then exactly that flag is on
    assert {f: getattr(args, f) for f in FIELDS} == {f: f == field for f in FIELDS}


@pytest.mark.parametrize("field", FIELDS)
def test_every_flag_changes_the_fingerprint(field):
    plain = render_fingerprint("sha256:" + "a" * 64, Overrides())
    assert render_fingerprint("sha256:" + "a" * 64, Overrides(), **{field: True}) != plain


def test_a_flag_the_table_does_not_know_is_refused():
    with pytest.raises(TypeError, match="allow_everything"):
        render_fingerprint("sha256:" + "a" * 64, Overrides(), allow_everything=True)
