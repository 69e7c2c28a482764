"""Frames made with other settings or another .blend are never reused, and the user is told."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import boto3

from entrypoint.fingerprint import render_fingerprint
from entrypoint.overrides import Overrides
from submitter import cas
from submitter.depfind import find_dependencies
from tests.conftest import ROOT, run_cli, run_entrypoint
from tests.integration.render_checks import frame_files, manifest
from tests.stitch_kit import render_output, write_local, write_s3

REPLACED = "frames from an earlier render with other settings will be replaced"


def run_into(blend: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    result = run_cli("run", "-i", str(blend), "-o", str(out), "-n", "shot", "-f", "2",
                     "--workers", "1", *extra)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def identity(root: Path) -> dict[str, tuple[int, int]]:
    """Each frame's inode and modification time (ns): a rewrite changes both."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (root / "frames").iterdir()}


def test_rerun_renders_again_only_what_other_settings_made(make_blend, tmp_path):
    # Given a 2-frame scene rendered once
    blend = tmp_path / "scene.blend"
    shutil.copy(make_blend(end=2), blend)
    first = run_into(blend, tmp_path)
    root = tmp_path / "shot"
    before = identity(root)
    assert REPLACED not in first.stdout + first.stderr

    # When it runs again unchanged
    again = run_into(blend, tmp_path)

    # Then nothing is rendered again and nothing is said about replacing
    assert identity(root) == before
    assert REPLACED not in again.stdout + again.stderr
    assert manifest(root)["runs"][-1]["rendered"] == []
    assert manifest(root)["runs"][-1]["skipped"] == [1, 2]

    # When it runs with other samples
    changed = run_into(blend, tmp_path, "--samples", "2")

    # Then the user is told up front, and every frame is rendered again (new files)
    assert f"2 {REPLACED}" in changed.stdout
    assert changed.stdout.index(REPLACED) < changed.stdout.index("rendering 2 frames")
    after = identity(root)
    assert all(after[name] != before[name] for name in before)
    record = manifest(root)
    assert record["runs"][-1]["rendered"] == [1, 2]
    assert [r["frame"] for r in record["rendered"]] == [1, 2, 1, 2]
    assert {r["fingerprint"] for r in record["rendered"][2:]} == {record["fingerprint"]}
    assert record["rendered"][0]["fingerprint"] != record["fingerprint"]
    assert all(r["checked"] is True and r["blender"] for r in record["rendered"])
    log = (root / "logs" / "render-00000.log").read_text()
    assert "frame 1: made with other settings (fingerprint" in log

    # When it starts over with --fresh
    fresh = run_into(blend, tmp_path, "--samples", "2", "--fresh")

    # Then it says what it removed, and renders everything into the empty output
    assert "--fresh: removed 2 frames and 1 other file of an earlier render" in fresh.stdout
    assert REPLACED not in fresh.stdout
    assert [run["rendered"] for run in manifest(root)["runs"]] == [[1, 2]]
    assert (root / "output.mp4").is_file() and (root / "logs").is_dir()


def test_a_changed_blend_at_the_same_path_is_rendered_again(make_blend, tmp_path):
    # Given a scene rendered once
    blend = tmp_path / "scene.blend"
    shutil.copy(make_blend(end=2), blend)
    run_into(blend, tmp_path)
    before = identity(tmp_path / "shot")

    # When the .blend is replaced by another one and the same command runs again
    shutil.copy(make_blend(end=2, samples=2), blend)
    changed = run_into(blend, tmp_path)

    # Then the user is told, and both frames are rendered again
    assert f"2 {REPLACED}" in changed.stdout
    after = identity(tmp_path / "shot")
    assert all(after[name] != before[name] for name in before)
    assert manifest(tmp_path / "shot")["runs"][-1]["rendered"] == [1, 2]


def test_stitch_refuses_frames_of_two_renders_and_writes_nothing(tmp_path):
    # Given frames 1-3 and 7 of one render, 4-6 of another, in two slices
    frames = list(range(1, 8))
    marks = {f: ("b" * 32 if 4 <= f <= 6 else "a" * 32) for f in frames}
    write_local(tmp_path, render_output(frames, per_slice=4, fingerprints=marks))
    listing = sorted(p.name for p in tmp_path.rglob("*"))

    # When stitch runs
    result = run_entrypoint("stitch", "-i", str(tmp_path), "-o", str(tmp_path))

    # Then it refuses with exit 2, naming each render's frames and the fix
    assert result.returncode == 2, result.stderr
    assert "frames 1-3, 7: fingerprint aaaaaaaa..." in result.stderr
    assert "frames 4-6: fingerprint bbbbbbbb..." in result.stderr
    assert "--fresh" in result.stderr and "Re-run the render" in result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == listing


TRUNCATING_RENDER = """
import sys
from entrypoint.__main__ import main
from entrypoint.render import blender

real = blender.render_frame

def truncated(frame):
    path = real(frame)
    if frame == 2:
        path.write_bytes(path.read_bytes()[:-30])  # as if the disk filled up mid-write
    return path

blender.render_frame = truncated
sys.exit(main(sys.argv[1:]))
"""


def test_a_frame_written_incomplete_is_never_published(make_blend, tmp_path):
    # Given a render whose second frame comes out of Blender cut short
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", TRUNCATING_RENDER, "render", "-i", str(make_blend(end=3)),
         "-o", str(out), "-f", "3"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip

    # Then the child fails retryably, frame 2 is not in the output, and no record claims it
    assert result.returncode == 1, result.stderr
    assert "frame 2: Blender wrote an incomplete png file (truncated" in result.stderr
    assert frame_files(out) == ["0001.png"]
    record = manifest(out)
    assert [r["frame"] for r in record["rendered"]] == [1]
    assert record["runs"][-1]["outcome"].startswith("failed: frame 2")


def test_exr_frames_are_checked_so_a_retry_skips_them(make_blend, tmp_path):
    # Given OpenEXR frames rendered once
    out = tmp_path / "out"
    args = ["render", "-i", str(make_blend(end=2)), "-o", str(out), "-f", "2", "--format", "exr"]
    assert run_entrypoint(*args).returncode == 0
    assert all(r["checked"] for r in manifest(out)["rendered"])

    # When the slice runs again
    again = run_entrypoint(*args)

    # Then both are skipped
    assert again.returncode == 0, again.stderr
    assert manifest(out)["runs"][-1]["skipped"] == [1, 2]


def test_submit_says_what_it_replaces_and_fresh_empties_only_frames_and_manifests(
    make_blend, bucket, batch_queue, tmp_path
):
    # Given an S3 output holding 3 frames of another render and 2 of this one, and other files
    blend = make_blend(end=5)
    # (what the pixels come from: the hash of the manifest of the .blend and its outside files)
    project = cas.prepare(blend, find_dependencies(blend), allow_missing=False, say=print)
    mine = render_fingerprint(
        project.content_id, Overrides(), allow_scripts=False, allow_missing=False
    )
    marks = {1: "0" * 32, 2: "0" * 32, 3: "0" * 32, 4: mine, 5: mine}
    write_s3(bucket, "renders/shot", render_output([1, 2, 3, 4, 5], fingerprints=marks))
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="renders/shot/output.mp4", Body=b"an earlier video")
    s3.put_object(Bucket=bucket, Key="renders/shot/frames-notes.txt", Body=b"not a frame")
    s3.put_object(Bucket=bucket, Key="renders/shot/proxies/0001.png", Body=b"an EXR's proxy")
    args = ["submit", "-i", f"s3://{bucket}/scenes/shot.blend", "-o", f"s3://{bucket}/renders",
            "-f", "3", "-n", "shot", "-q", batch_queue["queue"],
            "-d", batch_queue["job_definition"], "--upload", str(blend), "--json"]  # fmt: skip

    # When it is submitted again with the same settings
    result = run_cli(*args)

    # Then it says up front that the 3 frames of the other render will be replaced
    assert result.returncode == 0, result.stderr
    assert f"3 {REPLACED}" in result.stderr
    assert len(json.loads(result.stdout)) == 2

    # When it is submitted with --fresh
    fresh = run_cli(*args, "--fresh")

    # Then the frames, their proxies and the manifests are gone, and nothing else
    assert fresh.returncode == 0, fresh.stderr
    assert "--fresh: removed 5 frames and 2 other files of an earlier render" in fresh.stderr
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert [k for k in keys if "/frames/" in k or "/manifests/" in k or "/proxies/" in k] == []
    assert "renders/shot/output.mp4" in keys and "renders/shot/frames-notes.txt" in keys
    assert "scenes/shot.blend" in keys
