"""Stitch's pure parts: frame checks, the encode command, the video check, the previews."""

from fractions import Fraction

import pytest

from entrypoint import encode_plan, layout, previews
from entrypoint.encode_plan import (
    DecodedVideo,
    encode_command,
    numbered_frames,
    output_name,
    pick_codec,
    piped_frames,
)
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
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x12\xff\x00\x34\xff\xd0\x56"
    jpeg = b"\xff\xd8" + b"\xff\xe0\x00\x04\0\0" + sof + sos + b"\xff\xd9"
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


# Pad to even sizes, then RGB -> YUV with the BT.709 matrix: the same for every codec.
TO_VIDEO = "[0]pad=ceil(iw/2)*2:ceil(ih/2)*2[s0];[s0]scale=out_color_matrix=bt709:out_range=tv[s1]"
BT709 = ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]
QUIET_REPLACE = ["-hide_banner", "-loglevel", "error", "-y"]


def test_the_h264_command_reads_stdin_at_the_exact_rate():
    frames = piped_frames("png", Fraction(24000, 1001))
    command = encode_command("ffmpeg", frames, pick_codec("h264"), None, "o.mp4")
    assert command == [
        "ffmpeg", "-f", "png_pipe", "-framerate", "24000/1001", "-i", "-",
        "-filter_complex", TO_VIDEO, "-map", "[s1]",
        "-c:v", "libx264", *BT709, "-crf", "18", "-movflags", "+faststart",
        "-pix_fmt", "yuv420p", "o.mp4", *QUIET_REPLACE,
    ]  # fmt: skip


def test_numbered_jpegs_start_at_their_first_number_and_h265_is_tagged_for_apple():
    frames = numbered_frames("f/%04d.jpg", 7, Fraction(25))
    command = encode_command("ffmpeg", frames, pick_codec("h265"), 28, "o.mp4")
    assert command == [
        "ffmpeg", "-framerate", "25/1", "-start_number", "7", "-i", "f/%04d.jpg",
        "-filter_complex", TO_VIDEO, "-map", "[s1]",
        "-c:v", "libx265", *BT709, "-crf", "28", "-movflags", "+faststart",
        "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-x265-params", "log-level=error",
        "o.mp4", *QUIET_REPLACE,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("codec", "out", "options"),
    [
        ("prores", "o.mov", ["-c:v", "prores_ks", *BT709, "-pix_fmt", "yuv422p10le",
                             "-profile:v", "3"]),
        ("vp9", "o.webm", ["-b:v", "0", "-c:v", "libvpx-vp9", *BT709, "-crf", "31",
                           "-pix_fmt", "yuv420p", "-row-mt", "1"]),
    ],
    ids=["prores", "vp9"],
)  # fmt: skip
def test_each_codec_brings_its_own_flags(codec, out, options):
    command = encode_command(
        "ffmpeg", piped_frames("jpg", Fraction(30)), pick_codec(codec), None, out
    )
    assert command == [
        "ffmpeg", "-f", "jpeg_pipe", "-framerate", "30/1", "-i", "-",
        "-filter_complex", TO_VIDEO, "-map", "[s1]", *options, out, *QUIET_REPLACE,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("codec", "crf", "expected"),
    [("h264", 23, {"crf": 23}), ("vp9", None, {"crf": 31}), ("prores", None, {})],
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


def test_the_sheet_command_tiles_scales_and_labels_each_tile():
    plan = previews.sheet_plan((7,), 63, 35)
    command = previews.sheet_command("ffmpeg", plan, "t/%03d.png", "s.jpg")
    grid = "[0]scale=64:36[s0];[s0]tile=1x1:color=0x202020:margin=4:padding=4[s1];"
    # the backing box at the tile's bottom-left, then segments a, b, c of a "7"
    labels = (
        "[s1]drawbox=8:8:18:26:black@0.7:t=fill[s2];[s2]drawbox=12:12:10:3:white:t=fill[s3];"
        "[s3]drawbox=19:12:3:9:white:t=fill[s4];[s4]drawbox=19:21:3:9:white:t=fill[s5]"
    )
    assert command == [
        "ffmpeg", "-start_number", "0", "-i", "t/%03d.png",
        "-filter_complex", grid + labels, "-map", "[s5]",
        "-frames:v", "1", "-q:v", "3", "-update", "1", "s.jpg", *QUIET_REPLACE,
    ]  # fmt: skip


def test_the_poster_is_one_jpeg_of_one_frame():
    assert previews.poster_command("ffmpeg", "p.png", "o.poster.jpg") == [
        "ffmpeg", "-i", "p.png", "-frames:v", "1", "-q:v", "3", "-update", "1", "o.poster.jpg",
        *QUIET_REPLACE,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("video", "poster", "sheet"),
    [("output.mp4", "output.poster.jpg", "output.sheet.jpg"),
     ("shot.v2.webm", "shot.v2.poster.jpg", "shot.v2.sheet.jpg")],
    ids=["default", "named"],
)  # fmt: skip
def test_the_previews_are_named_after_the_video(video, poster, sheet):
    assert layout.preview_names(video) == (poster, sheet)


def test_labels_are_seven_segment_boxes():
    boxes = previews.label_boxes("1", 0, 0)
    assert len(boxes) == 3  # the backing box and segments b, c
    assert len(previews.label_boxes("-8", 0, 0)) == 1 + 1 + 7
