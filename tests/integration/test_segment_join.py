"""Segments: each render child encodes its slice; the stitch joins them by stream copy, or
encodes every frame and says why. Real ffmpeg, real bpy for the render children."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest

from entrypoint.video import ffmpeg_exe, probe
from tests.conftest import run_entrypoint
from tests.stitch_kit import (
    frame_gray,
    gray_of,
    make_segments,
    render_output,
    write_local,
    write_s3,
)

FRAMES = list(range(1, 13))
JOINED = "by stream copy (no frame encoded)"
ENCODED = "running (frames in order on stdin)"


def pix_fmt(video: Path) -> str:
    """The pixel format ffmpeg reports for the video stream."""
    info = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(video)], capture_output=True, text=True
    ).stderr
    line = next(line for line in info.splitlines() if "Video:" in line)
    return line.split("Video:", 1)[1].split(",")[1].strip().split("(")[0]


def segmented_output(root: Path) -> None:
    """3 slices of 4 frames at 24000/1001 fps, each with its child's segment."""
    write_local(root, render_output(FRAMES, width=64, height=36, fps_base=1.001, per_slice=4))
    make_segments(root)


def made(out: Path) -> str:
    """What the report page's Video table says of how the video was made."""
    page = (out / "report.html").read_text()
    return html.unescape(re.search(r"<th>made</th><td><code>(.*?)</code>", page).group(1))


def stitch(root: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    out.mkdir(exist_ok=True)
    return run_entrypoint("stitch", "-i", str(root), "-o", str(out), *extra)


def test_segments_are_joined_and_equal_a_full_encode_of_the_same_frames(tmp_path):
    # Given a render output whose three slices each have their segment
    root = tmp_path / "shot"
    segmented_output(root)

    # When stitch runs, and again with --reencode
    joined = stitch(root, tmp_path / "joined")
    full = stitch(root, tmp_path / "full", "--reencode")

    # Then the first joined the segments without encoding a frame, the second encoded them all
    assert joined.returncode == 0, joined.stderr
    assert f"joined 3 segments {JOINED}" in joined.stderr
    assert ENCODED not in joined.stderr
    assert full.returncode == 0, full.stderr
    assert "full encode of every frame: --reencode" in full.stderr and ENCODED in full.stderr
    # and each report page says how its video was made
    assert made(tmp_path / "joined") == "joined from 3 segments by stream copy"
    assert made(tmp_path / "full") == "every frame encoded: --reencode"
    # and the joined video decodes fully, across both joins, to the same frames and times
    a, b = tmp_path / "joined/output.mp4", tmp_path / "full/output.mp4"
    decoded, reference = probe(a), probe(b)
    assert decoded.frames == 12
    assert (decoded.pts, decoded.durations, decoded.time_base) == (
        reference.pts,
        reference.durations,
        reference.time_base,
    )
    assert pix_fmt(a) == pix_fmt(b) == "yuv420p"
    for position in (3, 4, 7, 8):  # either side of each join shows its own frame
        assert abs(frame_gray(a, position) - gray_of(position)) <= 3
    assert (tmp_path / "joined/output.poster.jpg").is_file()
    assert (tmp_path / "joined/output.sheet.jpg").is_file()


def test_segments_in_s3_are_joined(bucket, tmp_path):
    # Given a segmented render output in S3
    root = tmp_path / "shot"
    segmented_output(root)
    write_s3(bucket, "shot", {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.*")})

    # When stitch runs on it
    uri = f"s3://{bucket}/shot"
    result = run_entrypoint("stitch", "-i", uri, "-o", uri)

    # Then the segments were joined and the video is in S3 with every frame
    assert result.returncode == 0, result.stderr
    assert f"joined 3 segments {JOINED}" in result.stderr
    import boto3

    boto3.client("s3").download_file(bucket, "shot/output.mp4", str(tmp_path / "v.mp4"))
    assert probe(tmp_path / "v.mp4").frames == 12


def _missing(root: Path) -> None:
    (root / "segments/slice-00001.mp4").unlink()


def _stale(root: Path) -> None:
    manifest = json.loads((root / "manifests/slice-00002.json").read_text())
    again = dict(manifest["rendered"][0], written="2030-01-01T00:00:00.000000+00:00")
    manifest["rendered"].append(again)  # frame 9 rendered again after the segment was made
    (root / "manifests/slice-00002.json").write_text(json.dumps(manifest))


def _inconsistent(root: Path) -> None:
    make_segments(root, crf=30, only={0})


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (_missing, "slice 1's segment segments/slice-00001.mp4 is missing"),
        (_stale, "slice 2's segment is stale (its frames were rendered again after it was made)"),
        (_inconsistent, "slice 0's segment is inconsistent (crf 30, the video's is 18)"),
    ],
    ids=["missing", "stale", "inconsistent"],
)
def test_a_segment_that_cannot_be_joined_makes_a_full_encode_that_says_why(tmp_path, damage, why):
    # Given a segmented render output with one segment missing, stale or encoded otherwise
    root = tmp_path / "shot"
    segmented_output(root)
    damage(root)

    # When stitch runs
    result = stitch(root, tmp_path / "out")

    # Then it encoded every frame, saying why, and the video has every frame
    assert result.returncode == 0, result.stderr
    assert f"full encode of every frame instead of joining segments: {why}" in result.stderr
    assert ENCODED in result.stderr and JOINED not in result.stderr
    assert probe(tmp_path / "out/output.mp4").frames == 12
    assert made(tmp_path / "out") == f"every frame encoded: {why}"


def render(blend: Path, out: Path, index: int, *extra: str) -> subprocess.CompletedProcess:
    return run_entrypoint(
        "render", "-i", str(blend), "-o", str(out), "-f", "3", *extra, index=index
    )


def test_children_make_verified_segments_the_stitch_joins_even_after_a_resume(make_blend, tmp_path):
    # Given a 6-frame scene whose slice 1 an earlier child rendered without segment options
    blend = make_blend(end=6, fps=24, fps_base=1.001)
    out = tmp_path / "out"
    earlier = render(blend, out, 1)
    assert earlier.returncode == 0, earlier.stderr
    assert not (out / "segments").exists()

    # When both children run with the stitch's codec options, then the stitch
    children = [render(blend, out, i, "--codec", "h264") for i in (0, 1)]
    result = run_entrypoint("stitch", "-i", str(out), "-o", str(out))

    # Then each child made and verified its segment, slice 1 from the frames already there
    for child in children:
        assert child.returncode == 0, child.stderr
        assert "segment verified by its packets: 3 frames at 24000/1001 fps" in child.stderr
    assert "frame 4: already in the output, skipped" in children[1].stderr
    segment = json.loads((out / "manifests/slice-00001.json").read_text())["segment"]
    assert segment["frames"] == [4, 5, 6] and segment["key"] == "segments/slice-00001.mp4"
    assert (segment["codec"], segment["crf"], segment["pix_fmt"]) == ("h264", 18, "yuv420p")
    assert (segment["width"], segment["height"], segment["rate"]) == (64, 36, "24000/1001")
    assert segment["bytes"] == (out / "segments/slice-00001.mp4").stat().st_size
    # and the stitch joined them into every frame at the scene's exact rate
    assert result.returncode == 0, result.stderr
    assert f"joined 2 segments {JOINED}" in result.stderr
    assert probe(out / "output.mp4").frames == 6


def test_openexr_children_encode_their_proxies(make_blend, tmp_path):
    # Given a scene rendered as OpenEXR by one child with the stitch's codec options
    blend = make_blend(end=3)
    out = tmp_path / "out"
    child = render(blend, out, 0, "--format", "OpenEXR", "--codec", "h264")

    # When the stitch runs
    result = run_entrypoint("stitch", "-i", str(out), "-o", str(out))

    # Then the segment was made from the PNG proxies and joined
    assert child.returncode == 0, child.stderr
    assert "-f png_pipe" in child.stderr  # the proxies, never the EXR masters
    assert json.loads((out / "manifests/slice-00000.json").read_text())["segment"]["frames"] == [
        1,
        2,
        3,
    ]
    assert result.returncode == 0, result.stderr
    assert f"joined 1 segments {JOINED}" in result.stderr
    assert probe(out / "output.mp4").frames == 3


def test_children_without_codec_options_make_no_segment_and_stitch_encodes(make_blend, tmp_path):
    # Given a child run as an older submitter (or --no-video) runs it: no --codec
    blend = make_blend(end=3)
    out = tmp_path / "out"
    child = render(blend, out, 0)

    # When the stitch runs
    result = run_entrypoint("stitch", "-i", str(out), "-o", str(out))

    # Then there is no segment and the stitch encoded every frame, saying why
    assert child.returncode == 0, child.stderr
    assert not (out / "segments").exists()
    assert json.loads((out / "manifests/slice-00000.json").read_text())["segment"] is None
    assert result.returncode == 0, result.stderr
    assert "slice 0 has no segment" in result.stderr and ENCODED in result.stderr
