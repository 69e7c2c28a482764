"""Finding a .blend's outside files without Blender, checked against files Blender wrote (bpy)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from submitter.depfind import find_dependencies
from submitter.deps import read_references
from tests.conftest import run_cli

BLEND_PATHS = textwrap.dedent(
    """
    import json, sys
    import bpy
    bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False)
    paths = bpy.utils.blend_paths(absolute=True, packed=False, local=False)
    print("PATHS=" + json.dumps(sorted(set(paths))))
    """
)


def blender_paths(blend: Path) -> set[Path]:
    done = subprocess.run(
        [sys.executable, "-c", BLEND_PATHS, str(blend)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("PATHS="))
    return {Path(p) for p in json.loads(line[len("PATHS=") :])}


def by_owner(found):
    return {(d.reference.owner, d.reference.written): d for d in found}


def test_the_reader_finds_every_kind_with_the_path_as_written(make_dep_project):
    project = make_dep_project(odd=True)
    refs = read_references(project.blend.read_bytes(), blend_name="shot.blend")
    got = {(r.kind, r.owner, r.written, r.packed) for r in refs}
    abs_png = str(project.shared / "abs.png")
    assert got == {
        ("image", "IMchecker", "//textures/checker.png", False),
        ("image", "IMabs", abs_png, False),
        ("image-sequence", "IMseq", "//seq/tex_0001.png", False),
        ("udim", "IMudim", "//udim/tile.<UDIM>.png", False),
        ("image", "IMpacked", str(project.folder / "packed" / "inside.png"), True),
        ("image", "IMwindows", "C:\\textures\\a.png", False),
        ("image", "IMunc", "\\\\server\\share\\b.png", False),
        ("library", "LIprops.blend", "//lib/props.blend", False),
        ("cache", "CFanim.abc", "//cache/anim.abc", False),
        ("font", "VFDejaVu Sans Book", "//fonts/DejaVuSans.ttf", False),
        ("sound", "SObeep.wav", "//sounds/beep.wav", False),
        ("image-sequence", "MCclip", "//strips/frame_0001.png", False),
        ("strip", "SCScene", "//strips/frame_0001.png", False),
        ("strip", "SCScene", "//strips/frame_0002.png", False),
        ("strip", "SCScene", "//strips/frame_0003.png", False),
        ("volume", "VOsmoke", "//vdb/smoke_0001.vdb", False),
        ("bake", "OBFluid", "//fluid_cache", False),
        ("bake", "OBBaked", "//bakes/geo", False),
        ("bake", "OBBaked", "//bakes/custom", False),
        ("bake", "OBEmitter", "//points", False),
    }
    udim = next(r for r in refs if r.kind == "udim")
    assert udim.tiles == (1001, 1002)
    assert next(r for r in refs if r.kind == "volume").sequence


def test_the_resolver_gives_each_file_its_status_and_size(make_dep_project):
    project = make_dep_project(odd=True)
    found = by_owner(find_dependencies(project.blend))
    folder = project.folder

    def check(owner, written, path, files, status="found"):
        dep = found[(owner, written)]
        assert (dep.path, dep.files, dep.status) == (path, tuple(files), status)
        assert dep.size == sum(f.stat().st_size for f in files)

    check("IMchecker", "//textures/checker.png", folder / "textures/checker.png",
          [folder / "textures/checker.png"])  # fmt: skip
    abs_png = project.shared / "abs.png"
    check("IMabs", str(abs_png), abs_png, [abs_png])
    seq = [folder / f"seq/tex_000{n}.png" for n in (1, 2, 3)]
    check("IMseq", "//seq/tex_0001.png", seq[0], seq)
    tiles = [folder / f"udim/tile.{n}.png" for n in (1001, 1002)]
    check("IMudim", "//udim/tile.<UDIM>.png", folder / "udim/tile.<UDIM>.png", tiles)
    check("CFanim.abc", "//cache/anim.abc", folder / "cache/anim.abc", [folder / "cache/anim.abc"])
    vdb = [folder / f"vdb/smoke_000{n}.vdb" for n in (1, 2, 3)]
    check("VOsmoke", "//vdb/smoke_0001.vdb", vdb[0], vdb)
    check("OBFluid", "//fluid_cache", folder / "fluid_cache",
          [folder / "fluid_cache/data/fluid_data_0001.vdb"])  # fmt: skip
    check(
        "OBBaked", "//bakes/custom", folder / "bakes/custom", [folder / "bakes/custom/0001.bphys"]
    )
    check("OBEmitter", "//points", folder / "points", [folder / "points/dust_000001_00.bphys"])
    packed = found[("IMpacked", str(folder / "packed" / "inside.png"))]
    assert (packed.status, packed.files, packed.size) == ("packed", (), 0)
    for owner, written in (("IMwindows", "C:\\textures\\a.png"),
                           ("IMunc", "\\\\server\\share\\b.png")):  # fmt: skip
        assert (found[(owner, written)].status, found[(owner, written)].path) == ("missing", None)


def test_a_librarys_own_texture_resolves_relative_to_the_library(dep_project):
    found = by_owner(find_dependencies(dep_project.blend))
    props = found[("IMprops.png", "//textures/props.png")]
    assert props.referrer == dep_project.folder / "lib" / "props.blend"
    assert props.path == dep_project.folder / "lib" / "textures" / "props.png"
    assert props.status == "found"


def test_our_list_agrees_with_blenders_own(dep_project):
    ours = {d.path for d in find_dependencies(dep_project.blend) if d.status != "packed"}
    assert ours == blender_paths(dep_project.blend)


def test_deps_lists_a_complete_project_and_exits_0(dep_project):
    done = run_cli("deps", str(dep_project.blend))
    assert done.returncode == 0, done.stderr
    assert "IMchecker" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("13 outside files: 13 found, 0 missing")


def test_deps_json_has_every_dependency_and_a_summary(dep_project):
    done = run_cli("deps", str(dep_project.blend), "--json", "--frames", "1-3")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["format"] == 1
    assert document["summary"]["missing"] == 0
    assert len(document["dependencies"]) == document["summary"]["dependencies"] == 13
    checker = next(d for d in document["dependencies"] if d["owner"] == "IMchecker")
    assert checker == {
        "kind": "image",
        "owner": "IMchecker",
        "written": "//textures/checker.png",
        "packed": False,
        "referrer": str(dep_project.blend),
        "path": str(dep_project.folder / "textures" / "checker.png"),
        "files": [str(dep_project.folder / "textures" / "checker.png")],
        "status": "found",
        "size": (dep_project.folder / "textures" / "checker.png").stat().st_size,
        "missing_reason": None,
    }


def test_a_deleted_library_texture_is_missing_and_deps_exits_2(make_dep_project):
    project = make_dep_project(delete="lib/textures/props.png")
    done = run_cli("deps", str(project.blend))
    assert done.returncode == 2
    gone = project.folder / "lib" / "textures" / "props.png"
    assert f"of IMprops.png in {project.folder / 'lib' / 'props.blend'}: no file {gone}" in (
        done.stderr
    )
    assert "--allow-missing" in done.stderr
    assert "Traceback" not in done.stderr


def test_windows_paths_are_missing_with_the_reason(make_dep_project):
    project = make_dep_project(odd=True)
    done = run_cli("deps", str(project.blend))
    assert done.returncode == 2
    assert "C:\\textures\\a.png was written on Windows" in done.stderr
    assert "\\\\server\\share\\b.png was written on Windows" in done.stderr


def test_bad_frames_are_refused_with_exit_2(dep_project):
    done = run_cli("deps", str(dep_project.blend), "--frames", "9-3")
    assert done.returncode == 2
    assert "ends before it starts" in done.stderr
