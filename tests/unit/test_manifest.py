"""Render manifests tell stitch the frame list and the exact rate."""

import json
from fractions import Fraction

import pytest

from entrypoint.errors import BadInput
from entrypoint.manifest import frames_to_render, previous_runs, scene_record, slice_manifest


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


def test_a_frame_counts_as_done_when_present_and_of_the_recorded_size():
    # Given frames 1-4: 1 complete, 2 empty, 3 not the recorded size, 4 absent
    recorded = [{"frame": 1, "bytes": 10}, {"frame": 3, "bytes": 30}]
    present = {1: 10, 2: 0, 3: 29}
    todo, done = frames_to_render((1, 2, 3, 4), present, recorded)
    assert (todo, done) == ([2, 3, 4], [1])


def test_a_frame_no_manifest_recorded_counts_by_its_presence():
    assert frames_to_render((7,), {7: 5}, []) == ([], [7])


def test_earlier_attempts_are_kept():
    earlier = manifest()
    earlier["rendered"] = [{"frame": 1, "attempt": 1}]
    earlier["runs"] = [{"attempt": 1, "outcome": "terminated"}]
    rendered, runs = previous_runs(json.dumps(earlier).encode())
    assert rendered == [{"frame": 1, "attempt": 1}]
    assert runs == [{"attempt": 1, "outcome": "terminated"}]


def test_no_earlier_manifest_means_no_history():
    assert previous_runs(None) == ([], [])
