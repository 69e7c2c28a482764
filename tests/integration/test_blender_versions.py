"""Never downgrade silently: the render child and a file saved by a newer Blender than its own.

The "newer" files are saved by the installed bpy, then their header says one minor release
more (and, for Blender's own refusal, their GLOB block's minimum version too); bpy itself
confirms it reads them as the newer version. Nothing assumes which Blender is installed.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoint import blendheader, report, reportpage
from entrypoint.blenderversions import for_file, format_version, job_definition_name
from tests.conftest import ROOT, run_entrypoint
from tests.integration.render_checks import frame_files, manifest

HEADER = re.compile(rb"(BLENDER\d\d[_-]\d\d[vV])(\d{4})")
READ_BACK = """
import json, sys, bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False, use_scripts=False)
print(json.dumps({"app": list(bpy.app.version[:2]), "data": list(bpy.data.version[:2])}))
"""


def number(version: tuple[int, int]) -> int:
    return version[0] * 100 + version[1]


def saved_as(raw: bytes, version: tuple[int, int]) -> bytes:
    """The file with its header saying Blender `version` saved it."""
    match = HEADER.match(raw)
    assert match, raw[:17]  # an uncompressed save of a Blender 5 .blend
    return match[1] + b"%04d" % number(version) + raw[match.end() :]


def needing(raw: bytes, version: tuple[int, int]) -> bytes:
    """The file with its GLOB block's minimum version (`minversion`, `minsubversion`) raised."""
    glob = raw.find(b"GLOB", blendheader.HEAD_BYTES)
    # After the 32-byte block header: subvstr[4], subversion, minversion, minsubversion (short).
    at = glob + 32 + 6
    minimum, _ = struct.unpack_from("<hh", raw, at)
    assert 200 <= minimum < number(version), minimum
    patched = bytearray(raw)
    struct.pack_into("<hh", patched, at, number(version), 0)
    return bytes(patched)


@pytest.fixture(scope="module")
def newer(make_blend, tmp_path_factory) -> dict:
    """Files of one minor release more than the installed Blender, checked with bpy itself."""
    folder = tmp_path_factory.mktemp("newer")
    raw = make_blend(end=2).read_bytes()
    running = blendheader.saved_by(raw[: blendheader.HEAD_BYTES])
    version = (running[0], running[1] + 1)
    files = {"saved": folder / "newer.blend", "needs": folder / "needs-newer.blend"}
    files["saved"].write_bytes(saved_as(raw, version))
    files["needs"].write_bytes(needing(saved_as(raw, version), version))
    read = subprocess.run(
        [sys.executable, "-c", READ_BACK, str(files["saved"])],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert read.returncode == 0, read.stderr
    seen = json.loads(read.stdout.strip().splitlines()[-1])
    assert seen == {"app": list(running), "data": list(version)}
    return {**files, "running": format_version(running), "version": version}


def fix_for(version: tuple[int, int]) -> str:
    target = for_file(version)
    if target is None:  # the installed Blender is the newest blendbatch knows
        return "it is newer than every Blender this blendbatch has an image for"
    definition = job_definition_name("blendbatch", target.version)
    return (
        f"render it with the image for Blender {target.name} (make image "
        f"BLENDER={target.name}, job definition {definition})"
    )


def line_with(text: str, part: str) -> str:
    lines = [line for line in text.splitlines() if part in line]
    assert len(lines) == 1, text
    return lines[0]


def test_a_file_of_a_newer_blender_is_refused_before_blender_opens_it(newer, tmp_path):
    # When the child is given a file saved by a newer Blender than its own
    out = tmp_path / "out"
    result = run_entrypoint("render", "-i", str(newer["saved"]), "-o", str(out), "-f", "2")

    # Then it refuses (exit 2) on one line naming both versions, the image to use and the flag
    assert result.returncode == 2, result.stderr
    saved = format_version(newer["version"])
    line = line_with(result.stderr, f"saved by Blender {saved}")
    assert f"and this image has Blender {newer['running']}" in line
    assert fix_for(newer["version"]) in line and "--allow-older-blender" in line
    assert "Traceback" not in result.stderr
    # before the steps that precede Blender opening the file, and with nothing in the output
    assert "render fingerprint" not in result.stderr
    assert not out.exists() or list(out.rglob("*")) == []


def test_allow_older_blender_renders_and_the_manifest_and_report_say_so(newer, tmp_path):
    # When the same file is rendered with --allow-older-blender
    out = tmp_path / "out"
    result = run_entrypoint(
        "render", "-i", str(newer["saved"]), "-o", str(out), "-f", "2", "--allow-older-blender"
    )

    # Then both frames are rendered, with a warning
    assert result.returncode == 0, result.stderr
    assert "render fingerprint" in result.stderr  # what the refusal above never got to
    assert frame_files(out) == ["0001.png", "0002.png"]
    saved = format_version(newer["version"])
    warning = line_with(result.stderr, "--allow-older-blender: newer.blend was saved by")
    assert "WARNING" in warning and f"older Blender {newer['running']} anyway" in warning
    # and the manifest records the flag and the file's version
    record = manifest(out)
    assert record["settings"]["allow_older_blender"] is True
    assert record["runs"][-1]["settings"]["allow_older_blender"] is True
    assert record["runs"][-1]["saved_by"] == saved
    # and the report shows both
    model = report.build([record], files={"video": "v.mp4", "poster": "p.jpg", "sheet": "s.jpg"})
    assert ["allow_older_blender", "true"] in model["settings"]
    warned = [w for w in model["warnings"] if "rendered by an older Blender than the file's" in w]
    assert len(warned) == 1 and f"saved by Blender {saved}" in warned[0]
    page = reportpage.render(model)
    assert "allow_older_blender" in page
    assert "rendered by an older Blender than the file&#x27;s" in page


def test_blenders_own_refusal_names_the_image_to_use(newer, tmp_path):
    # When the file's minimum version is newer than the child's Blender too, and the user
    # allowed an older Blender (so Blender itself gets to refuse the file)
    out = tmp_path / "out"
    result = run_entrypoint(
        "render", "-i", str(newer["needs"]), "-o", str(out), "-f", "2", "--allow-older-blender"
    )

    # Then it is exit 2 with the same versions and fix, and Blender's words
    assert result.returncode == 2, result.stderr
    saved = format_version(newer["version"])
    line = line_with(result.stderr, "too old to open it")
    assert f"saved by Blender {saved} and this image has Blender {newer['running']}," in line
    assert "newer version" in line and fix_for(newer["version"]) in line
    assert "Traceback" not in result.stderr
    assert not out.exists() or list(out.rglob("*")) == []


CUT_FRAME_2 = """
import sys
from entrypoint.__main__ import main
from entrypoint.render import blender

real = blender.render_frame

def cut(frame):
    path = real(frame)
    if frame == 2:
        path.write_bytes(path.read_bytes()[:-30])  # as if the disk filled up mid-write
    return path

blender.render_frame = cut
sys.exit(main(sys.argv[1:]))
"""


def stamps(out: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "frames").iterdir()}


def test_frames_another_blender_release_made_are_rendered_again(make_blend, tmp_path):
    # Given two frames rendered, whose records then say another Blender release made them
    out = tmp_path / "out"
    args = ["render", "-i", str(make_blend(end=2)), "-o", str(out), "-f", "2"]
    assert run_entrypoint(*args).returncode == 0
    path = out / "manifests" / "slice-00000.json"
    record = json.loads(path.read_text())
    running = format_version(blendheader.saved_by(make_blend(end=2).read_bytes()[:17]))
    other = "4.2.1" if running != "4.2" else "4.5.1"
    for frame in record["rendered"]:
        frame["blender"] = other
    path.write_text(json.dumps(record))
    before = stamps(out)

    # When an attempt renders frame 1 and then fails on frame 2
    failed = subprocess.run(
        [sys.executable, "-c", CUT_FRAME_2, *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip

    # Then it said once why both are rendered again, replaced frame 1 and kept the finished
    # frame 2 (never overwritten by a failed attempt)
    assert failed.returncode == 1, failed.stderr
    said = f"frames 1-2 were rendered by Blender {other[:3]}, this is {running}: rendering them"
    assert failed.stderr.count(said) == 1
    after = stamps(out)
    assert after["0001.png"] != before["0001.png"] and after["0002.png"] == before["0002.png"]
    latest = {r["frame"]: r["blender"] for r in manifest(out)["rendered"]}
    assert latest[2] == other and latest[1].startswith(running + ".")

    # When the slice runs again
    again = run_entrypoint(*args)

    # Then only frame 2 is rendered again, and every frame is now this Blender's
    assert again.returncode == 0, again.stderr
    assert f"frame 2 was rendered by Blender {other[:3]}, this is {running}" in again.stderr
    runs = manifest(out)["runs"]
    assert (runs[-1]["rendered"], runs[-1]["skipped"]) == ([2], [1])
    assert stamps(out)["0002.png"] != before["0002.png"]
    latest = {r["frame"]: r["blender"] for r in manifest(out)["rendered"]}
    assert all(v.startswith(running + ".") for v in latest.values())
