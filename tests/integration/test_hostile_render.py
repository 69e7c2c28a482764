"""Hostile scenes and a full disk in the render child: refused with exit 2 naming the cause and
the opt-in, or rendered as Blender would; nothing written outside the output, no traceback.

With BLENDBATCH_CASE_TABLE=FILE set, each case appends `id | exit code | message` to FILE
(the format of test_hostile_input.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import boto3
import pytest

from entrypoint.framecheck import check_whole, image_size
from tests.conftest import run_entrypoint
from tests.integration.hostile_scenes import build_scene
from tests.integration.render_checks import frame_files, manifest


def record(case: str, result: subprocess.CompletedProcess) -> None:
    if table := os.environ.get("BLENDBATCH_CASE_TABLE"):
        last = (result.stderr.strip().splitlines() or [""])[-1].split(": ", 1)[-1]
        with open(table, "a") as sink:
            sink.write(f"{case} | {result.returncode} | {last}\n")


def render(blend: Path, out: Path, *args: str, env: dict | None = None):
    return run_entrypoint("render", "-i", str(blend), "-o", str(out), "-f", "2", *args, env=env)


@pytest.fixture(scope="module")
def base(make_blend) -> Path:
    return make_blend(end=4)


@pytest.fixture(scope="module")
def scene(base, tmp_path_factory):
    """KIND -> a .blend of that hostile variant (built once per module)."""
    folder = tmp_path_factory.mktemp("hostile")
    built: dict[str, Path] = {}

    def make(kind: str, *args: str) -> Path:
        if kind not in built:
            built[kind] = build_scene(base, folder / f"{kind}.blend", kind, *args)
        return built[kind]

    return make


REFUSED = [
    (
        "render-all-view-layers-off",
        "layers-off",
        [],
        "every view layer of scene 'Demo' ('ViewLayer') has 'Use for Rendering' off, so every "
        "frame would be blank: turn it on for a view layer in Blender and save",
    ),
    (
        "render-osl-without-allow-scripts",
        "osl",
        [],
        "OSL Script nodes ('Cube': node 'Shady'), whose shader code comes from the file: render "
        "with --allow-scripts if you trust it",
    ),
    (
        "render-unbaked-cloth",
        "cloth",
        [],
        "'Cube' (cloth 'Cloth'). Each render job would simulate from its own first frame, so "
        "frames would depend on -f: bake it in Blender first (and save), or render with "
        "--allow-unbaked",
    ),
    ("render-unbaked-rigid-body", "rigid-body", [], "'Demo' (rigid body world)"),
    ("render-unbaked-particles", "particles", [], "'Cube' (particle system 'Particles')"),
    ("render-unbaked-simulation-nodes", "sim-nodes", [], "'Cube' (simulation nodes 'Sim')"),
    (
        "render-zero-pixels",
        None,
        ["--resolution-percent", "1"],
        "scene 'Demo' would render 0 x 0 pixels (64 x 36 at 1 %): Blender cannot render an "
        "empty image; use --resolution-percent 3 or more",
    ),
    (
        "render-65536-square",
        "huge",
        [],
        "scene 'Demo' renders 65536 x 65536 pixels (65536 x 65536 at 100 %); ",
    ),
]


@pytest.mark.parametrize(("case", "kind", "args", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_scene_that_cannot_give_the_frames_is_refused(
    base, scene, tmp_path, case, kind, args, message
):
    out = tmp_path / "out"
    result = render(scene(kind) if kind else base, out, *args)
    record(case, result)
    assert result.returncode == 2, result.stderr[-3000:]
    assert message in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert not out.exists(), "a refused render wrote output (a manifest, a frame)"


def test_too_large_names_the_memory_and_the_fix(scene, tmp_path):
    result = render(scene("huge"), tmp_path / "out")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "2 pass(es) of float RGBA need at least 192.0 GiB but the job has " in result.stderr
    assert ": lower --resolution-percent or give the job more memory" in result.stderr


def test_a_sequencer_only_scene_renders_its_strips(scene, tmp_path):
    out = tmp_path / "out"
    result = render(scene("sequencer-only"), out)
    record("render-sequencer-only", result)
    assert result.returncode == 0, result.stderr[-3000:]
    assert frame_files(out) == ["0001.png", "0002.png"]
    assert image_size((out / "frames" / "0001.png").read_bytes(), "png") == (64, 36)
    assert "Traceback" not in result.stderr


def test_allow_unbaked_renders_and_is_recorded(scene, tmp_path):
    out = tmp_path / "out"
    result = render(scene("cloth"), out, "--allow-unbaked")
    record("render-unbaked-cloth-allowed", result)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "--allow-unbaked: 'Cube' (cloth 'Cloth') is simulated" in result.stderr
    run = manifest(out)["runs"][-1]
    assert run["unbaked"] == ["'Cube' (cloth 'Cloth')"]
    assert run["settings"]["allow_unbaked"] is True
    assert frame_files(out) == ["0001.png", "0002.png"]


def test_a_packed_simulation_bake_is_accepted(scene, tmp_path):
    result = render(scene("sim-nodes-baked"), tmp_path / "out")
    record("render-simulation-nodes-baked", result)
    assert result.returncode == 0, result.stderr[-3000:]
    assert frame_files(tmp_path / "out") == ["0001.png", "0002.png"]
    blends = scene("sim-nodes-baked").parent
    assert not [p.name for p in blends.iterdir() if p.name.startswith("blendcache")]


def test_a_file_output_node_is_muted_unless_allowed(base, tmp_path):
    sibling = tmp_path / "other-render" / "frames"
    sibling.mkdir(parents=True)
    (sibling / "0001.png").write_bytes(b"someone else's frame")
    blend = build_scene(base, tmp_path / "leak.blend", "file-output", sibling)
    out = tmp_path / "out"
    result = render(blend, out)
    record("render-file-output-muted", result)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"File Output node 'Leak' (Compositing) would write to '{sibling}': muted" in (
        result.stderr
    )
    assert sorted(p.name for p in sibling.iterdir()) == ["0001.png"]
    assert (sibling / "0001.png").read_bytes() == b"someone else's frame"
    assert manifest(out)["runs"][-1]["file_outputs"][0]["kept"] is False

    allowed = tmp_path / "allowed"
    result = render(blend, allowed, "--allow-file-output")
    record("render-file-output-allowed", result)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in sibling.iterdir()) == ["0001.png"]
    files = (allowed / "passes").rglob("*")
    passes = sorted(p.relative_to(allowed).as_posix() for p in files if p.is_file())
    assert passes == [
        "passes/0001/Compositing.Leak/stolen_.exr",
        "passes/0002/Compositing.Leak/stolen_.exr",
    ]
    frames = {r["frame"]: r["passes"] for r in manifest(allowed)["rendered"]}
    assert frames[1] == ["passes/0001/Compositing.Leak/stolen_.exr"]
    assert "Traceback" not in result.stderr


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs: the job's temporary folder on a disk that fills."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], check=True)
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_frame_cut_by_a_full_disk_is_never_published(make_blend, tiny_disk, tmp_path):
    # Noise at 320x180 makes PNGs larger than the 64 KiB disk; the .blend is read in place.
    blend = make_blend(width=320, height=180, end=2)
    out = tmp_path / "out"
    result = render(blend, out, env={"TMPDIR": str(tiny_disk)})
    record("render-disk-full-while-writing-a-frame", result)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "frame 1: Blender wrote an incomplete png file" in result.stderr
    assert "Give the job more disk (a larger volume for its temporary folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert frame_files(out) == []
    assert list(tiny_disk.iterdir()) == [], "partial files were left on the disk"
    done = manifest(out)
    assert done["rendered"] == []
    assert done["runs"][-1]["outcome"].startswith("failed: frame 1: Blender wrote an incomplete")

    again = render(blend, out)
    assert again.returncode == 0, again.stderr[-3000:]
    assert frame_files(out) == ["0001.png", "0002.png"]
    for name in frame_files(out):
        check_whole((out / "frames" / name).read_bytes(), "png")


def test_a_full_disk_while_downloading_is_retryable(make_blend, bucket, tiny_disk, tmp_path):
    boto3.client("s3").upload_file(str(make_blend(end=4)), bucket, "scenes/shot.blend")
    out = tmp_path / "out"
    result = render(f"s3://{bucket}/scenes/shot.blend", out, env={"TMPDIR": str(tiny_disk)})
    record("render-disk-full-while-downloading", result)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "is full (No space left on device): give the job more disk" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(tiny_disk.iterdir()) == []


def test_the_flags_reach_the_manifest_settings(base, tmp_path):
    out = tmp_path / "out"
    result = render(base, out, "--allow-file-output")
    assert result.returncode == 0, result.stderr[-3000:]
    settings = json.loads((out / "manifests" / "slice-00000.json").read_text())["runs"][-1][
        "settings"
    ]
    assert (settings["allow_file_output"], settings["allow_unbaked"]) == (True, False)
