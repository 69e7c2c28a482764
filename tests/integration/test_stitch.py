"""`stitch`: the right video or none at all, with real ffmpeg, from S3 (moto) and folders."""

import signal
import subprocess
import sys
from fractions import Fraction

import pytest

from entrypoint.video import ffmpeg_exe, probe
from tests.conftest import ROOT, run_entrypoint
from tests.stitch_kit import frame_gray, gray_of, render_output, write_local, write_s3


def s3_keys(bucket: str, prefix: str) -> list[str]:
    import boto3

    pages = (
        boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    )
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def test_1200_stepped_frames_from_s3_become_an_exact_ntsc_video(bucket, tmp_path):
    # Given 1,200 frames 9001, 9003, ... 11399 (4 then 5 digits, step 2) of an odd size
    # at 24000/1001 fps in S3, from 12 render children
    frames = list(range(9001, 11400, 2))
    write_s3(bucket, "shot", render_output(frames, fps=24, fps_base=1.001))

    # When stitch runs on it
    uri = f"s3://{bucket}/shot"
    result = run_entrypoint("stitch", "-i", uri, "-o", uri)

    # Then a padded video of every frame at exactly 24000/1001 fps is in S3, in frame order
    assert result.returncode == 0, result.stderr
    video = tmp_path / "output.mp4"
    import boto3

    boto3.client("s3").download_file(bucket, "shot/output.mp4", str(video))
    facts = probe(video)
    assert (facts.frames, facts.rate, facts.width, facts.height) == (
        1200, Fraction(24000, 1001), 18, 12
    )  # fmt: skip
    position_of_10001 = frames.index(10001)
    assert abs(frame_gray(video, position_of_10001) - gray_of(position_of_10001)) <= 4
    # And the previews lie next to it
    assert {"shot/output.poster.jpg", "shot/output.sheet.jpg"} <= set(s3_keys(bucket, "shot/"))


def break_missing(files):
    for f in (12, 13, 14, 40):
        del files[f"frames/{f:04d}.png"]


def break_empty(files):
    files["frames/0007.png"] = b""


def break_truncated(files):
    files["frames/0009.png"] = files["frames/0009.png"][:-20]


def break_size(files):
    from tests.stitch_kit import png_bytes

    files["frames/0020.png"] = png_bytes(16, 16, 128)


def break_several(files):
    break_missing(files)
    break_empty(files)
    break_truncated(files)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (break_missing, "missing 12-14, 40"),
        (break_empty, "0-byte 7"),
        (break_truncated, "truncated 9"),
        (break_size, "wrong size (16x16, not the first's) 20"),
        (break_several, "missing 12-14, 40; 0-byte 7; truncated 9"),
    ],
    ids=["missing", "0-byte", "truncated", "wrong-size", "all-listed-at-once"],
)
def test_bad_frames_are_refused_and_no_video_is_left(bucket, damage, message):
    # Given 48 frames in S3 with some damaged
    files = render_output(list(range(1, 49)))
    damage(files)
    write_s3(bucket, "shot", files)

    # When stitch runs on them
    uri = f"s3://{bucket}/shot"
    result = run_entrypoint("stitch", "-i", uri, "-o", uri)

    # Then it refuses (exit 2, never retried), names the frames, and writes nothing
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "--allow-gaps" in result.stderr
    assert not [k for k in s3_keys(bucket, "shot/") if k.startswith("shot/output")]


def test_allow_gaps_holds_the_previous_frame_and_says_so(tmp_path):
    # Given 10 frames with 5 and 6 missing
    files = render_output(list(range(1, 11)), fps=30)
    del files["frames/0005.png"], files["frames/0006.png"]
    write_local(tmp_path, files)

    # When stitch runs with --allow-gaps
    result = run_entrypoint("stitch", "-i", str(tmp_path), "-o", str(tmp_path), "--allow-gaps")

    # Then the video keeps all 10 time slots, frame 4 shown in place of 5 and 6, loudly
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stderr and "missing 5-6" in result.stderr
    video = tmp_path / "output.mp4"
    assert (probe(video).frames, probe(video).rate) == (10, Fraction(30))
    assert [abs(frame_gray(video, p) - gray_of(3)) <= 4 for p in (3, 4, 5)] == [True] * 3
    assert abs(frame_gray(video, 6) - gray_of(6)) <= 4


@pytest.mark.parametrize(
    ("codec", "name", "suffix"),
    [("h264", None, ".mp4"), ("h265", "shot", ".mp4"), ("prores", "shot.mov", ".mov"),
     ("vp9", "shot", ".webm")],
    ids=["h264", "h265", "prores", "vp9"],
)  # fmt: skip
def test_each_codec_gives_every_frame_at_the_exact_rate(tmp_path, codec, name, suffix):
    # Given 12 frames 1, 3, ... 23 (step 2) of 65x37 at 30000/1001 fps in a folder
    frames = list(range(1, 24, 2))
    files = render_output(frames, width=65, height=37, fps=30, fps_base=1.001)
    write_local(tmp_path / "in", files)

    # When stitch encodes them with the codec
    extra = ["--name", name] if name else []
    result = run_entrypoint(
        "stitch", "-i", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--codec", codec, *extra
    )

    # Then decoding the result gives 12 frames at 30000/1001 fps (WebM: to the millisecond)
    assert result.returncode == 0, result.stderr
    video = tmp_path / "out" / ((name or "output").removesuffix(suffix) + suffix)
    facts = probe(video)
    assert (facts.frames, facts.width, facts.height) == (12, 66, 38)
    assert abs(facts.rate - Fraction(30000, 1001)) < Fraction(1, 100)
    if codec != "vp9":
        assert facts.rate == Fraction(30000, 1001)
    assert abs(frame_gray(video, 11) - gray_of(11)) <= 4
    assert "-framerate 30000/1001" in result.stderr


def test_openexr_frames_without_proxies_are_refused_with_the_reason(tmp_path):
    write_local(tmp_path, render_output([1, 2, 3], extension="exr"))
    result = run_entrypoint("stitch", "-i", str(tmp_path), "-o", str(tmp_path))
    assert result.returncode == 2
    assert "the frames are OpenEXR" in result.stderr
    assert "have no display-referred proxies (proxies/)" in result.stderr
    assert "--format OpenEXR" in result.stderr and "render PNG or JPEG frames" in result.stderr
    assert not list(tmp_path.glob("output*"))


def test_the_previews_show_the_frames(tmp_path):
    # Given 30 frames
    write_local(tmp_path, render_output(list(range(1, 31)), width=64, height=36))

    # When stitched
    result = run_entrypoint("stitch", "-i", str(tmp_path), "-o", str(tmp_path))

    # Then the poster is the middle frame, and the sheet is a 4x3 grid of labelled tiles
    assert result.returncode == 0, result.stderr
    poster = probe(tmp_path / "output.poster.jpg")
    assert (poster.width, poster.height) == (64, 36)
    assert abs(frame_gray(tmp_path / "output.poster.jpg", 0) - gray_of(15)) <= 4
    sheet = probe(tmp_path / "output.sheet.jpg")
    assert (sheet.width, sheet.height) == (4 * 64 + 5 * 4, 3 * 36 + 4 * 4)


def test_jpeg_frames_are_checked_and_encoded(tmp_path):
    # Given 6 JPEG frames (as Blender writes them: 0001.jpg ...) and the manifest
    files = render_output(list(range(1, 7)), extension="jpg")
    write_local(tmp_path, {k: v for k, v in files.items() if k.startswith("manifests/")})
    (tmp_path / "frames").mkdir()
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc=size=65x37:rate=25", "-frames:v", "6", "-start_number", "1",
         str(tmp_path / "frames" / "%04d.jpg")],
        check=True,
    )  # fmt: skip

    # When stitched, then again after cutting the end off frame 4
    good = run_entrypoint("stitch", "-i", str(tmp_path), "-o", str(tmp_path / "good"))
    jpeg = tmp_path / "frames" / "0004.jpg"
    jpeg.write_bytes(jpeg.read_bytes()[:-100])
    bad = run_entrypoint("stitch", "-i", str(tmp_path), "-o", str(tmp_path / "bad"))

    # Then the whole frames make a 6-frame video and the cut one is refused by number
    assert good.returncode == 0, good.stderr
    facts = probe(tmp_path / "good" / "output.mp4")
    assert (facts.frames, facts.rate, facts.width, facts.height) == (6, Fraction(24), 66, 38)
    assert bad.returncode == 2 and "truncated 4" in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_sigterm_stops_stitch_with_143_and_delivers_nothing(tmp_path):
    # Given a stitch busy encoding 600 frames
    write_local(tmp_path, render_output(list(range(1, 601)), width=320, height=180))
    command = [sys.executable, "-m", "entrypoint", "stitch", "-i", str(tmp_path),
               "-o", str(tmp_path / "out")]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    for line in process.stderr:
        if "frames in order on stdin" in line:
            break

    # When SIGTERM arrives (Spot reclaim, job terminated)
    process.send_signal(signal.SIGTERM)
    rest = process.stderr.read()

    # Then it exits 143 (retried), says why, and no video or preview is in the output
    assert process.wait(timeout=30) == 143, rest
    assert "SIGTERM" in rest
    assert not (tmp_path / "out").exists()
