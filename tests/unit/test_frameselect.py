"""The frames a render produces, counted as the child will, and `--frames A-B`."""

import pytest

from entrypoint.errors import BadInput
from submitter import blendfile, frameselect


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1-250", (1, 250)), ("7", (7, 7)), ("-5--1", (-5, -1)), (" 3 - 9 ", (3, 9))],
    ids=["range", "single", "negative", "spaces"],
)
def test_frames_option_parses_a_range(text, expected):
    assert frameselect.parse_frames(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("1..5", "write it as A-B"), ("9-3", "write the lower frame first"), ("", "A-B")],
    ids=["dots", "reversed", "empty"],
)
def test_a_bad_frames_option_says_how_to_write_it(text, message):
    with pytest.raises(BadInput) as caught:
        frameselect.parse_frames(text)
    assert message in str(caught.value)


SHOT = blendfile.BlendInfo("5.0", 8, True, "none", (blendfile.SceneInfo("Shot", 3, 9, step=2),))


@pytest.mark.parametrize(
    ("info", "step", "frames", "count"),
    [
        (None, None, (1, 95), 95),
        (None, 2, (1, 95), 48),
        (SHOT, None, None, 4),
        (SHOT, None, (4, 9), 3),
        (SHOT, 3, None, 3),
    ],
    ids=["dry-run", "dry-run-step", "scene-3-9-by-2", "narrowed-4-9", "step-option"],
)
def test_submit_and_run_count_frames_as_the_child_will(info, step, frames, count):
    assert frameselect.count_frames(info, None, step, frames) == count


def test_a_dry_run_without_the_blend_needs_the_frames():
    with pytest.raises(BadInput, match="pass --frames A-B"):
        frameselect.count_frames(None, None, None, None)
