"""Render manifests tell stitch the frame list and the exact rate."""

import json
from fractions import Fraction

import pytest

from entrypoint.errors import BadInput
from entrypoint.manifest import (
    check_one_render,
    frames_to_render,
    latest_records,
    previous_runs,
    read_manifest,
    scene_record,
    slice_manifest,
)


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


FP, BLENDER = "a" * 32, "5.0.1"


def made(frame, size, **changes) -> dict:
    """The record the render leaves for a frame it checked and uploaded."""
    record = {"frame": frame, "bytes": size, "fingerprint": FP, "blender": BLENDER}
    return record | {"checked": True} | changes


def resume(frames, present, recorded):
    return frames_to_render(frames, present, recorded, fingerprint=FP, blender=BLENDER)


def test_a_frame_counts_as_done_when_present_and_of_the_recorded_size():
    # Given frames 1-4: 1 complete, 2 empty, 3 not the recorded size, 4 absent
    recorded = [made(1, 10), made(3, 30)]
    present = {1: 10, 2: 0, 3: 29}
    todo, done, why = resume((1, 2, 3, 4), present, recorded)
    assert (todo, done) == ([2, 3, 4], [1])
    assert why == {
        2: "the file in the output is empty",
        3: "the output holds 29 bytes, its record says 30",
    }


def test_a_frame_no_manifest_recorded_is_rendered_again():
    assert resume((7,), {7: 5}, []) == ([7], [], {7: "no manifest records how it was made"})


def test_a_frame_made_with_another_fingerprint_is_rendered_again():
    todo, done, why = resume(
        (1, 2), {1: 10, 2: 10}, [made(1, 10, fingerprint="b" * 32), made(2, 10)]
    )
    assert (todo, done) == ([1], [2])
    assert why[1] == "made with other settings (fingerprint bbbbbbbb... not aaaaaaaa...)"


def test_a_frame_of_another_blender_or_never_checked_is_rendered_again():
    recorded = [made(1, 10, blender="4.5.3"), made(2, 10, checked=False), made(3, 10)]
    del recorded[2]["checked"]
    todo, done, why = resume((1, 2, 3), {1: 10, 2: 10, 3: 10}, recorded)
    assert (todo, done) == ([1, 2, 3], [])
    assert why[1] == "made by Blender 4.5.3, this is Blender 5.0.1"
    assert why[2] == why[3] == "it was not checked complete when it was written"


def test_the_latest_record_of_a_frame_decides():
    # Given frame 1 made with other settings, then made again with these
    recorded = [made(1, 10, fingerprint="b" * 32), made(1, 12)]
    assert resume((1,), {1: 12}, recorded) == ([], [1], {})
    # and the other way round
    assert resume((1,), {1: 10}, list(reversed(recorded)))[0] == [1]


def test_across_manifests_the_latest_written_record_wins():
    old = {"rendered": [made(1, 10, fingerprint="old", written="2026-01-01T10:00:00+00:00")]}
    new = {"rendered": [made(1, 10, fingerprint="new", written="2026-01-01T11:00:00+00:00")]}
    legacy = {"rendered": [{"frame": 1, "bytes": 10}]}
    assert latest_records([new, old, legacy])[1]["fingerprint"] == "new"
    assert latest_records([legacy, old])[1]["fingerprint"] == "old"


def test_frames_of_one_render_pass_the_stitch_check():
    check_one_render(
        [{"rendered": [made(1, 1), made(2, 1)]}, {"rendered": [made(3, 1)]}], (1, 2, 3)
    )


def test_frames_of_two_renders_are_refused_naming_the_ranges():
    manifests = [
        {"rendered": [made(f, 1) for f in (1, 2, 3, 7)]},
        {"rendered": [made(f, 1, fingerprint="b" * 32) for f in (4, 5, 6)]},
        {"rendered": [made(99, 1, fingerprint="c" * 32)]},  # not a frame of this video
    ]
    with pytest.raises(BadInput) as refused:
        check_one_render(manifests, tuple(range(1, 8)))
    message = str(refused.value)
    assert "2 renders" in message
    assert "frames 1-3, 7: fingerprint aaaaaaaa..." in message
    assert "frames 4-6: fingerprint bbbbbbbb..." in message
    assert "--fresh" in message


def test_earlier_attempts_are_kept():
    earlier = manifest()
    earlier["rendered"] = [{"frame": 1, "attempt": 1}]
    earlier["runs"] = [{"attempt": 1, "outcome": "terminated"}]
    rendered, runs, unreadable = previous_runs(json.dumps(earlier).encode())
    assert unreadable is None
    assert rendered == [{"frame": 1, "attempt": 1}]
    assert runs == [{"attempt": 1, "outcome": "terminated"}]


def test_no_earlier_manifest_means_no_history():
    assert previous_runs(None) == ([], [], None)


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b'{"scene": {"na', "not JSON, or cut short"),
        (b"\xff\xfe", "not JSON, or cut short"),
        (b"[]", "JSON list, not a manifest object"),
        (b'{"name": "x"}', "not a blendbatch render manifest (no scene, frames, fps or extension)"),
    ],
)
def test_an_unreadable_earlier_manifest_vouches_for_nothing(raw, reason):
    assert previous_runs(raw) == ([], [], reason)


def test_unreadable_manifest_names_the_key_and_the_fix():
    with pytest.raises(BadInput) as caught:
        read_manifest(b"", "s3://b/shot/manifests/slice-00007.json", 7)
    assert str(caught.value) == (
        "the render manifest s3://b/shot/manifests/slice-00007.json is unreadable (empty): "
        "delete it, or re-run the render child of slice 7 (AWS_BATCH_JOB_ARRAY_INDEX=7), "
        "which renders its frames again and rewrites it"
    )
