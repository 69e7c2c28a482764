"""The frame list of a scene and the slice each array child renders."""

from fractions import Fraction

import pytest

from entrypoint.errors import BadInput
from entrypoint.frames import (
    format_ranges,
    frame_name,
    frames_for_index,
    parse_frame_name,
    scene_frames,
    slice_count,
)


@pytest.mark.parametrize(
    ("start", "end", "step", "expected"),
    [
        (1, 5, 1, (1, 2, 3, 4, 5)),
        (10, 14, 1, (10, 11, 12, 13, 14)),
        (3, 9, 2, (3, 5, 7, 9)),
        (1, 10, 4, (1, 5, 9)),
        (7, 7, 1, (7,)),
        (-2, 1, 1, (-2, -1, 0, 1)),
    ],
    ids=["from-1", "start-not-1", "step-2", "step-does-not-reach-end", "one-frame", "negative"],
)
def test_scene_frames_follow_the_scenes_own_range_and_step(start, end, step, expected):
    assert scene_frames(start, end, step) == expected


def test_narrowing_keeps_the_scenes_step_grid():
    assert scene_frames(1, 9, 2, narrow_start=4, narrow_end=9) == (5, 7, 9)
    assert scene_frames(1, 9, 2, narrow_start=3) == (3, 5, 7, 9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": 5, "end": 1}, "ends (frame 1) before it starts (frame 5)"),
        ({"start": 1, "end": 5, "step": 0}, "frame_step is 0"),
        ({"start": 1, "end": 5, "narrow_start": 4, "narrow_end": 2}, "--start 4 is after --end 2"),
        ({"start": 1, "end": 5, "narrow_start": 8}, "(frames 1-5) is at or after --start 8"),
        ({"start": 5, "end": 9, "narrow_end": 2}, "(frames 5-9) is at or before --end 2"),
        (
            {"start": 1, "end": 9, "step": 4, "narrow_start": 2, "narrow_end": 4},
            "(frames 1-9 by 4) is in --start 2 --end 4",
        ),
    ],
    ids=[
        "end-before-start",
        "step-zero",
        "start-after-end",
        "narrowed-past-end",
        "narrowed-before-start",
        "narrowed-between-steps",
    ],
)
def test_impossible_ranges_are_bad_input_that_says_why(kwargs, message):
    with pytest.raises(BadInput) as caught:
        scene_frames(**kwargs)
    assert message in str(caught.value)


def test_slices_cover_every_frame_once_and_the_last_is_shorter():
    frames = scene_frames(10, 20, 1)  # 11 frames
    slices = [frames_for_index(frames, 4, i) for i in range(slice_count(len(frames), 4))]
    assert slices == [(10, 11, 12, 13), (14, 15, 16, 17), (18, 19, 20)]


def test_slices_of_a_stepped_scene_hold_scene_frame_numbers():
    frames = scene_frames(3, 21, 3)  # 3 6 9 12 15 18 21
    assert frames_for_index(frames, 3, 0) == (3, 6, 9)
    assert frames_for_index(frames, 3, 2) == (21,)


def test_an_index_past_the_last_slice_renders_nothing():
    frames = scene_frames(1, 10)
    assert slice_count(10, 5) == 2
    assert frames_for_index(frames, 5, 2) == ()
    assert frames_for_index(frames, 5, 9999) == ()


def test_a_single_slice_holds_all_frames():
    frames = scene_frames(1, 4)
    assert slice_count(4, 10) == 1
    assert frames_for_index(frames, 10, 0) == frames


@pytest.mark.parametrize("per_job", [0, -3], ids=["zero", "negative"])
def test_frames_per_job_below_one_is_refused(per_job):
    with pytest.raises(BadInput, match=f"frames per job \\(-f\\) is {per_job}"):
        frames_for_index((1, 2), per_job, 0)


def test_a_negative_index_is_refused_with_the_variable_named():
    with pytest.raises(BadInput, match="AWS_BATCH_JOB_ARRAY_INDEX=-1"):
        frames_for_index((1, 2), 1, -1)


@pytest.mark.parametrize(
    ("frame", "name"),
    [(1, "0001.png"), (48, "0048.png"), (12345, "12345.png"), (-3, "-0003.png"), (0, "0000.png")],
    ids=["one", "two-digits", "five-digits", "negative", "zero"],
)
def test_frame_names_are_blender_style_and_parse_back(frame, name):
    assert frame_name(frame) == name
    assert parse_frame_name(name) == frame


@pytest.mark.parametrize("name", ["1.png", "abcd.png", ".0001.png.123.partial", "0001"])
def test_other_names_are_not_frames(name):
    assert parse_frame_name(name) is None


def test_missing_frames_are_reported_as_ranges():
    assert format_ranges([40, 12, 13, 14]) == "12-14, 40"
    assert format_ranges([5]) == "5"
    assert format_ranges([]) == ""


def test_manifest_index_reads_only_slice_manifest_names():
    from entrypoint.layout import manifest_index

    assert manifest_index("slice-00003.json") == 3
    assert manifest_index("slice-12345.json") == 12345
    assert manifest_index("notes.json") is None
    assert manifest_index("slice-.json") is None
    assert manifest_index("slice-٣.json") is None  # an Arabic-Indic digit


F32_1001 = 1.0010000467300415  # 1.001 as Blender keeps it (a 32-bit float)
F32_1E5 = 9.999999747378752e-06  # 1e-5, Blender's smallest fps_base


@pytest.mark.parametrize(
    ("fps", "fps_base", "rate"),
    [
        (24, F32_1001, Fraction(24000, 1001)),
        (60, F32_1001, Fraction(60000, 1001)),
        (1, F32_1E5, Fraction(100_000)),
        (2, F32_1E5, Fraction(200_000)),
        (1, 10_000.0, Fraction(1, 10_000)),
        (25, 1.0, Fraction(25)),
    ],
)
def test_frame_rate_is_exact(fps, fps_base, rate):
    from entrypoint.frames import frame_rate

    assert frame_rate(fps, fps_base) == rate


@pytest.mark.parametrize(
    ("fps", "fps_base", "said"),
    [
        (24, F32_1E5, "is 2.4e+06 frames per second"),
        (0, 1.0, "is 0 frames per second"),
        (-24, 1.0, "is -24 frames per second"),
        (24, 0.0, "is not a number"),
        (24, -1.0, "is not a number"),
        (24, float("nan"), "is not a number"),
        (24, float("inf"), "is not a number"),
        (1, 1_000_000.0, "is 1e-06 frames per second"),
    ],
)
def test_frame_rate_no_video_plays_is_bad_input(fps, fps_base, said):
    from entrypoint.frames import frame_rate

    with pytest.raises(BadInput) as caught:
        frame_rate(fps, fps_base)
    assert str(caught.value) == (
        f"the scene's frame rate (fps {fps} / fps_base {fps_base}) {said}: a video plays "
        "1/10000 to 240000 frames per second; set Frame Rate (and Base) in the scene's Output "
        "Properties to a rate in that range and render again"
    )
