"""Stitch's pure parts: frame checks, the encode command, the video check, the previews."""

from fractions import Fraction

import pytest

from entrypoint import encode_plan, previews
from entrypoint.encode_plan import DecodedVideo, encode_command, output_name, pick_codec
from entrypoint.errors import BadInput
from entrypoint.framecheck import FrameProblems, Unreadable, check_extension, image_size
from tests.stitch_kit import png_bytes

PNG = png_bytes(17, 11, 100)


def test_a_whole_png_gives_its_size():
    assert image_size(PNG, "png") == (17, 11)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "0-byte"),
        (PNG[:-5], "truncated"),
        (PNG[:40], "truncated"),
        (PNG[:60] + bytes([PNG[60] ^ 0xFF]) + PNG[61:], "corrupt"),
        (b"GIF89a" + PNG[6:], "not a PNG"),
    ],
    ids=["empty", "cut-in-iend", "cut-in-data", "flipped-byte", "not-png"],
)
def test_broken_pngs_say_why(data, why):
    with pytest.raises(Unreadable, match=why):
        image_size(data, "png")


def test_a_jpeg_gives_its_size_and_a_cut_one_is_truncated():
    sof = b"\xff\xc0\x00\x11\x08" + (36).to_bytes(2, "big") + (64).to_bytes(2, "big") + b"\0" * 10
    jpeg = b"\xff\xd8" + b"\xff\xe0\x00\x04\0\0" + sof + b"\xff\xd9"
    assert image_size(jpeg, "jpg") == (64, 36)
    with pytest.raises(Unreadable, match="truncated"):
        image_size(jpeg[:-2], "jpg")


def test_problems_are_listed_as_ranges_by_kind():
    problems = FrameProblems((12, 13, 14, 40), ((7, "0-byte"), (9, "truncated"), (10, "truncated")))
    assert problems.describe() == "missing 12-14, 40; 0-byte 7; truncated 9-10"
    assert problems.frames == (7, 9, 10, 12, 13, 14, 40)
    assert not FrameProblems()


def test_exr_and_other_formats_are_refused_with_the_fix():
    assert check_extension("png") is None and check_extension("jpg") is None
    assert "OpenEXR" in check_extension("exr")
    assert "PNG or JPEG" in check_extension("tif")


def test_the_h264_command_reads_stdin_at_the_exact_rate():
    command = encode_command(
        "ffmpeg", "png", Fraction(24000, 1001), pick_codec("h264"), None, "o.mp4"
    )
    assert command == [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "png_pipe", "-framerate", "24000/1001", "-i", "-",
        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2,scale=out_color_matrix=bt709:out_range=tv",
        "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p",
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-movflags", "+faststart", "o.mp4",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("codec", "crf", "expected"),
    [("h264", 23, ["-crf", "23"]), ("vp9", None, ["-crf", "31"]), ("prores", None, [])],
    ids=["h264-23", "vp9-default", "prores-none"],
)
def test_quality_follows_the_codec(codec, crf, expected):
    assert encode_plan.quality_args(pick_codec(codec), crf) == expected


@pytest.mark.parametrize(
    ("codec", "crf", "message"),
    [("prores", 20, "no CRF"), ("h264", 60, "outside 0-51"), ("av1", None, "not one of")],
    ids=["prores-crf", "crf-range", "unknown-codec"],
)
def test_impossible_quality_requests_are_bad_input(codec, crf, message):
    with pytest.raises(BadInput, match=message):
        encode_plan.quality_args(pick_codec(codec), crf)


@pytest.mark.parametrize(
    ("name", "codec", "expected"),
    [(None, "h264", "output.mp4"), ("shot", "vp9", "shot.webm"), ("a.mov", "prores", "a.mov")],
    ids=["default", "suffix-added", "suffix-kept"],
)
def test_the_video_name(name, codec, expected):
    assert output_name(name, pick_codec(codec)) == expected


@pytest.mark.parametrize("name", ["a.mp4", "dir/a", "../a", ".hidden"], ids=str)
def test_bad_video_names_are_refused(name):
    with pytest.raises(BadInput, match="--name"):
        output_name(name, pick_codec("vp9"))


def decoded(count, step, base, first=0):
    pts = tuple(first + round(i * step) for i in range(count))
    return DecodedVideo(pts, (round(step),) * count, Fraction(1, base), 64, 36)


def test_a_video_with_every_frame_at_the_rate_passes():
    assert encode_plan.video_problem(decoded(240, 1001, 24000), 240, Fraction(24000, 1001)) is None
    # WebM counts milliseconds: 41/42 ms steps are 24000/1001 rounded, not a wrong rate
    webm = decoded(240, 1001 / 24, 1000)
    assert encode_plan.video_problem(webm, 240, Fraction(24000, 1001)) is None


@pytest.mark.parametrize(
    ("video", "message"),
    [
        (decoded(239, 1001, 24000), "239 frames, not 240"),
        (decoded(240, 512, 12800), "frame 1 is shown at"),  # 25 fps
        (
            decoded(240, 1000, 24000),
            "frame 2 is shown at 1/12 s",
        ),  # 24 fps where 23.976 was expected
    ],
    ids=["short", "25fps", "24-not-23.976"],
)
def test_a_wrong_video_is_named(video, message):
    assert message in encode_plan.video_problem(video, 240, Fraction(24000, 1001))


def test_the_sheet_spreads_12_frames_from_first_to_last():
    frames = tuple(range(1, 480, 2))
    plan = previews.sheet_plan(frames, 1920, 1080)
    assert plan.picks[0] == 0 and plan.picks[-1] == 239 and len(plan.picks) == 12
    assert plan.labels[0] == 1 and plan.labels[-1] == 479
    assert (plan.columns, plan.rows, plan.tile_width, plan.tile_height) == (4, 3, 320, 180)


def test_a_short_sheet_has_one_tile_per_frame():
    plan = previews.sheet_plan((5, 6, 7), 63, 35)
    assert (plan.picks, plan.columns, plan.rows, plan.tile_width) == ((0, 1, 2), 3, 1, 64)


def test_labels_are_seven_segment_boxes():
    boxes = previews.label_boxes("1", 0, 0)
    assert len(boxes) == 3  # the backing box and segments b, c
    assert len(previews.label_boxes("-8", 0, 0)) == 1 + 1 + 7
