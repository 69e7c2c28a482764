"""Reading .blend files that Blender itself wrote (whichever bpy is installed), without bpy here.

bpy is heavy and process-global, so one subprocess writes every variant and reports, as JSON,
what bpy says about each scene; the tests compare our reader against that.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap

import pytest

from submitter.blendfile import (
    PREFIX_BYTES,
    BlendFileError,
    SceneInfo,
    pick_scene,
    read_blend_file,
    read_blend_info,
)
from submitter.sdna import parse_sdna

LONG_NAME = "Shot-" + "x" * 95  # longer than the 63 bytes a REND name had before Blender 5.0

GENERATE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import bpy

    out = Path(sys.argv[1])
    report = {"saved_by": "%d.%d" % bpy.app.version[:2]}

    def setup(scene, start, end, step, fps, fps_base):
        scene.frame_start, scene.frame_end, scene.frame_step = start, end, step
        scene.render.fps, scene.render.fps_base = fps, fps_base

    def save(stem):
        for compress in (False, True):
            name = f"{stem}-{'zstd' if compress else 'plain'}.blend"
            bpy.ops.wm.save_as_mainfile(filepath=str(out / name), compress=compress)
            report[name] = {
                "active": bpy.context.window.scene.name,
                "scenes": [
                    {"name": s.name, "start": s.frame_start, "end": s.frame_end,
                     "step": s.frame_step, "fps": s.render.fps, "fps_base": s.render.fps_base}
                    for s in bpy.data.scenes
                ],
            }

    bpy.ops.wm.read_factory_settings(use_empty=True)
    setup(bpy.context.scene, 3, 17, 2, 24, 1.001)
    save("one-scene")

    setup(bpy.context.scene, 1, 250, 1, 30, 1.0)
    bpy.context.scene.name = "Layout"
    shot = bpy.data.scenes.new(LONG_NAME)
    setup(shot, 101, 180, 1, 30, 1.0)
    setup(bpy.data.scenes.new("Previz"), 0, 48, 3, 25, 1.0)
    bpy.context.window.scene = shot
    save("three-scenes")

    bpy.data.libraries.write(str(out / "library.blend"), {shot})
    (out / "report.json").write_text(json.dumps(report))
    """
).replace("LONG_NAME", repr(LONG_NAME))


@pytest.fixture(scope="module")
def blends(tmp_path_factory):
    """Path of the folder with every variant, and bpy's report of what it saved."""
    folder = tmp_path_factory.mktemp("blends")
    subprocess.run(
        [sys.executable, "-c", GENERATE, str(folder)], check=True, capture_output=True, timeout=120
    )
    return folder, json.loads((folder / "report.json").read_text())


VARIANTS = [
    "one-scene-plain.blend",
    "one-scene-zstd.blend",
    "three-scenes-plain.blend",
    "three-scenes-zstd.blend",
]


def expected_scenes(report: dict) -> list[SceneInfo]:
    """bpy's scenes, the saved-active one first (it alone has a REND block)."""
    scenes = [SceneInfo(**scene) for scene in report["scenes"]]
    return sorted(scenes, key=lambda scene: scene.name != report["active"])


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANTS)
def test_a_128_kib_prefix_gives_the_active_scene_and_its_range(blends, variant):
    # Given the first 128 KiB of a file Blender saved
    folder, report = blends
    data = (folder / variant).read_bytes()[:PREFIX_BYTES]

    # When it is read as a prefix
    info = read_blend_info(data, complete=False)

    # Then it names the saved-active scene with bpy's start and end, and nothing it cannot know
    active = expected_scenes(report[variant])[0]
    assert info.scenes == (SceneInfo(active.name, active.start, active.end),)
    assert (info.version, info.pointer_size, info.little_endian) == (report["saved_by"], 8, True)
    assert info.compression == ("zstd" if "zstd" in variant else "none")


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANTS)
def test_the_whole_file_gives_every_scene_with_step_and_fps_exactly(blends, variant):
    folder, report = blends

    info = read_blend_file(folder / variant)

    assert list(info.scenes) == expected_scenes(report[variant])


def test_the_values_are_the_ones_set_in_blender(blends):
    # (guards the report above: fps_base is stored as a 32-bit float)
    folder, _ = blends
    base_1_001 = struct.unpack("<f", struct.pack("<f", 1.001))[0]

    one = read_blend_file(folder / "one-scene-zstd.blend")
    three = read_blend_file(folder / "three-scenes-plain.blend")

    assert one.scenes == (SceneInfo("Scene", 3, 17, step=2, fps=24, fps_base=base_1_001),)
    assert pick_scene(three, None) == SceneInfo(LONG_NAME, 101, 180, 1, 30, 1.0)
    assert pick_scene(three, "Previz") == SceneInfo("Previz", 0, 48, 3, 25, 1.0)


def test_a_file_written_by_libraries_write_is_refused(blends):
    folder, _ = blends

    with pytest.raises(BlendFileError, match="no REND block.*libraries.write"):
        read_blend_file(folder / "library.blend")


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANTS)
def test_a_few_hundred_bytes_of_prefix_are_enough(blends, variant, record_property):
    # Given a file Blender saved (headless: no thumbnail, which would add ~8 KB)
    folder, _ = blends
    data = (folder / variant).read_bytes()

    # When the shortest prefix that reads is searched for
    needed = shortest_readable_prefix(data)

    # Then it is far below what the submitter fetches
    record_property("prefix_bytes_needed", needed)
    print(f"{variant}: {needed} bytes of prefix needed")
    assert needed <= 2048 < PREFIX_BYTES


def test_our_sdna_walk_adds_up_to_every_struct_size_blender_states(blends):
    # Given the real SDNA of a file of this Blender (pointers, function pointers, arrays)
    folder, _ = blends
    data = (folder / "one-scene-plain.blend").read_bytes()
    dna_at = data.index(b"DNA1")
    length = struct.unpack_from("<q", data, dna_at + 16)[0]
    sdna = parse_sdna(data[dna_at + 32 : dna_at + 32 + length], endian="<", pointer_size=8)

    # Then the member sizes we compute sum to the size Blender records for each struct
    wrong = {
        name: (sum(m.size for m in members), sdna.type_sizes[name])
        for name, members in sdna.structs.items()
        if sum(m.size for m in members) != sdna.type_sizes[name]
    }
    assert len(sdna.structs) > 500
    assert wrong == {}


def shortest_readable_prefix(data: bytes) -> int:
    low, high = 0, len(data)  # read_blend_info fails at `low` bytes and succeeds at `high`
    while high - low > 1:
        middle = (low + high) // 2
        try:
            read_blend_info(data[:middle], complete=False)
            high = middle
        except BlendFileError:
            low = middle
    return high
