"""Render manifests tell stitch the frame list and the exact rate."""

import json
from fractions import Fraction

import pytest

from entrypoint.errors import BadInput
from entrypoint.manifest import scene_record, slice_manifest


def manifest(index=0, frames=(1, 2, 3), fps=24, fps_base=1.0) -> dict:
    return json.loads(
        slice_manifest(
            index=index,
            scene={"name": "S", "frames": list(frames), "fps": fps, "fps_base": fps_base},
            slice_frames=tuple(frames),
            extension="png",
            rendered=[],
            skipped=[],
            settings={},
        )
    )


@pytest.mark.parametrize(
    ("fps", "fps_base", "rate"),
    [
        (24, 1.0, Fraction(24)),
        (24, 1.001, Fraction(24000, 1001)),
        (30, 1.001, Fraction(30000, 1001)),
        (25, 1.0, Fraction(25)),
        (60, 2.0, Fraction(30)),
    ],
    ids=["24", "23.976", "29.97", "25", "base-2"],
)
def test_the_rate_is_exact(fps, fps_base, rate):
    assert scene_record([manifest(fps=fps, fps_base=fps_base)]).rate == rate


def test_children_of_one_render_agree():
    record = scene_record([manifest(0), manifest(1)])
    assert record.frames == (1, 2, 3)


def test_manifests_of_different_renders_in_one_output_are_refused():
    with pytest.raises(BadInput, match="use a fresh output location"):
        scene_record([manifest(frames=(1, 2)), manifest(frames=(1, 2, 3))])


def test_no_manifest_means_the_render_did_not_run():
    with pytest.raises(BadInput, match="run the render job"):
        scene_record([])
