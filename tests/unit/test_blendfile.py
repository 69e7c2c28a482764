"""Reading scenes and frame ranges from hand-made .blend bytes (no Blender needed)."""

from __future__ import annotations

import gzip
import random
import struct

import pytest
import zstandard

from entrypoint.errors import BadInput
from submitter.blendfile import (
    BlendFileError,
    BlendInfo,
    SceneInfo,
    pick_scene,
    read_blend_file,
    read_blend_info,
)

# --- building .blend bytes -------------------------------------------------------------------


def header(layout: str) -> bytes:
    """layout: "legacy4le", "legacy8be", ... or "v1" (Blender 5.0's 17-byte header)."""
    if layout == "v1":
        return b"BLENDER17-01v0500"
    pointer = "_" if layout[6] == "4" else "-"
    endian = "v" if layout.endswith("le") else "V"
    return f"BLENDER{pointer}{endian}293".encode()


def endian_of(layout: str) -> str:
    return ">" if layout.endswith("be") else "<"


def pointer_size_of(layout: str) -> int:
    return 4 if layout == "legacy4le" or layout == "legacy4be" else 8


def block(layout: str, code: bytes, data: bytes, sdna_index: int = 0) -> bytes:
    e = endian_of(layout)
    if layout == "v1":  # code, SDNAnr, old, len, nr
        head = struct.pack("<4siQqq", code, sdna_index, 0x1000, len(data), 1)
    elif pointer_size_of(layout) == 4:  # code, len, old, SDNAnr, nr
        head = struct.pack(e + "4siIii", code, len(data), 0x1000, sdna_index, 1)
    else:
        head = struct.pack(e + "4siQii", code, len(data), 0x1000, sdna_index, 1)
    return head + data


def rend(layout: str, start: int, end: int, name: str) -> bytes:
    name_size = 256 if layout == "v1" else 64
    data = struct.pack(endian_of(layout) + f"ii{name_size}s", start, end, name.encode())
    return block(layout, b"REND", data)


def blend(layout: str, *blocks: bytes) -> bytes:
    return header(layout) + b"".join(blocks) + block(layout, b"ENDB", b"")


# A tiny SDNA shaped like Blender's: pointers, a function pointer, a 2-D array and a nested
# struct, so member offsets depend on the pointer size exactly as in real files.
TYPES = ["char", "short", "int", "float", "void", "ID", "RenderData", "Scene"]
STRUCTS = {
    "ID": [("void", "*next"), ("char", "name[66]"), ("short", "flag")],
    "RenderData": [
        ("int", "sfra"), ("int", "efra"), ("int", "frame_step"),
        ("short", "frs_sec"), ("short", "pad"), ("float", "frs_sec_base"),
    ],
    "Scene": [("ID", "id"), ("void", "(*callback)()"), ("float", "clip[2][2]"),
              ("RenderData", "r")],
}  # fmt: skip
SCENE_STRUCT_INDEX = 2  # order of STRUCTS


def dna1(layout: str) -> bytes:
    e, p = endian_of(layout), pointer_size_of(layout)
    names = [name for members in STRUCTS.values() for _, name in members]
    id_size, render_size = p + 68, 20
    sizes = [1, 2, 4, 4, 0, id_size, render_size, id_size + p + 16 + render_size]

    def strings(items: list[str]) -> bytes:
        raw = b"".join(item.encode() + b"\0" for item in items)
        return raw + b"\0" * (-len(raw) % 4)

    strc = struct.pack(e + "i", len(STRUCTS))
    for struct_name, members in STRUCTS.items():
        strc += struct.pack(e + "hh", TYPES.index(struct_name), len(members))
        for type_name, name in members:
            strc += struct.pack(e + "hh", TYPES.index(type_name), names.index(name))
    tlen = struct.pack(e + f"{len(sizes)}h", *sizes)
    data = (
        b"SDNA"
        + b"NAME" + struct.pack(e + "i", len(names)) + strings(names)
        + b"TYPE" + struct.pack(e + "i", len(TYPES)) + strings(TYPES)
        + b"TLEN" + tlen + b"\0" * (-len(tlen) % 4)
        + b"STRC" + strc
    )  # fmt: skip
    return block(layout, b"DNA1", data)


def scene_block(layout: str, name: str, start: int, end: int, step: int, fps: int, base: float):
    pointer = "I" if pointer_size_of(layout) == 4 else "Q"
    data = struct.pack(
        endian_of(layout) + f"{pointer}66sh{pointer}4fiiihhf",
        0, b"SC" + name.encode(), 0, 0, 0.0, 0.0, 0.0, 0.0, start, end, step, fps, 0, base,
    )  # fmt: skip
    return block(layout, b"SC\0\0", data, sdna_index=SCENE_STRUCT_INDEX)


def whole_file(layout: str) -> bytes:
    """Two scenes, the second saved as active (so only it has a REND block)."""
    return blend(
        layout,
        rend(layout, 10, 20, "Shot"),
        block(layout, b"GLOB", b"\0" * 16),
        scene_block(layout, "Layout", 1, 250, 1, 30, 1.0),
        scene_block(layout, "Shot", 10, 20, 2, 24, 1.001),
        dna1(layout),
    )


# Big-endian files are refused (Blender 5.0 cannot open them): tests/unit/test_submit_limits.py.
LAYOUTS = ["legacy4le", "legacy8le", "v1"]
V1_REND = rend("v1", 1, 10, "Scene")


# --- a prefix: the REND blocks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "pointer_size", "little_endian", "version"),
    [
        ("legacy4le", 4, True, "2.93"),
        ("legacy8le", 8, True, "2.93"),
        ("v1", 8, True, "5.0"),
    ],
    ids=["4-byte-little", "8-byte-little", "blender-5.0"],
)
def test_prefix_gives_header_facts_and_the_rend_scenes(
    layout, pointer_size, little_endian, version
):
    # Given a file whose header is followed by two REND blocks
    data = blend(
        layout,
        rend(layout, 1, 250, "Scene"),
        rend(layout, -5, 40, "Scène 2"),
        block(layout, b"TEST", b"\0" * 64),
    )

    # When only a prefix is read
    info = read_blend_info(data, complete=False)

    # Then the header facts and both scenes in file order come back, without step or fps
    assert info == BlendInfo(
        version=version,
        pointer_size=pointer_size,
        little_endian=little_endian,
        compression="none",
        scenes=(SceneInfo("Scene", 1, 250), SceneInfo("Scène 2", -5, 40)),
    )


@pytest.mark.parametrize(
    ("digits", "version"),
    [(b"279", "2.79"), (b"280", "2.80"), (b"300", "3.0"), (b"405", "4.5")],
    ids=["2.79", "2.80", "3.0", "4.5"],
)
def test_version_is_written_as_blender_shows_it(digits, version):
    data = b"BLENDER-v" + digits + rend("legacy8le", 1, 2, "S") + block("legacy8le", b"GLOB", b"")

    assert read_blend_info(data, complete=False).version == version


def test_a_scene_name_longer_than_63_bytes_fits_blender_5_rend():
    name = "a-very-long-scene-name-" * 5
    data = blend("v1", rend("v1", 1, 2, name))

    assert read_blend_info(data, complete=False).scenes[0].name == name


def test_a_prefix_that_ends_inside_a_later_block_is_enough():
    data = blend("v1", rend("v1", 3, 9, "Scene"), block("v1", b"TEST", b"\x01" * 10_000))

    info = read_blend_info(data[:500], complete=False)

    assert info.scenes == (SceneInfo("Scene", 3, 9),)


# --- compression -----------------------------------------------------------------------------


def zstd_frames(data: bytes, first_frame: int, frame_size: int = 4096) -> bytes:
    """Independent frames, the way Blender writes zstd .blend files: the first one holds the
    header, REND and what follows up to `first_frame` bytes."""
    compressor = zstandard.ZstdCompressor()
    rest = [data[i : i + frame_size] for i in range(first_frame, len(data), frame_size)]
    return b"".join(compressor.compress(chunk) for chunk in [data[:first_frame], *rest])


NOISE = random.Random(0).randbytes(50_000)  # does not compress: prefixes really cut the stream
LEGACY_REND = rend("legacy8le", 5, 15, "Scene")
FIRST_FRAME = 12 + len(LEGACY_REND) + 24 + 16  # header, REND, GLOB block


@pytest.mark.parametrize(
    ("compression", "wrap"),
    [
        ("gzip", gzip.compress),
        ("zstd", lambda data: zstd_frames(data, FIRST_FRAME)),
    ],
    ids=["gzip", "zstd"],
)
@pytest.mark.parametrize("prefix", [None, 2000], ids=["whole", "prefix-2000"])
def test_compressed_files_are_read_from_a_prefix(compression, wrap, prefix):
    # Given a compressed file with a large incompressible block after the REND
    raw = blend(
        "legacy8le",
        LEGACY_REND,
        block("legacy8le", b"GLOB", b"\0" * 16),
        block("legacy8le", b"TEST", NOISE),
    )
    data = wrap(raw)[:prefix]

    # When the (cut) compressed bytes are read
    info = read_blend_info(data, complete=False)

    # Then the compression is named and the REND scene is there
    assert info.compression == compression
    assert info.scenes == (SceneInfo("Scene", 5, 15),)


def test_a_zstd_prefix_cut_inside_the_first_block_asks_for_a_longer_prefix():
    # zstd decodes a compressed block only once all of it has arrived
    thumbnail = block("v1", b"TEST", b"thumbnail pixels " * 2000)
    data = zstd_frames(blend("v1", V1_REND, thumbnail), first_frame=20_000)
    first_frame_size = len(zstd_frames(blend("v1", V1_REND, thumbnail)[:20_000], 20_000))

    with pytest.raises(BlendFileError, match="decompress to nothing.*prefix read was too short"):
        read_blend_info(data[: first_frame_size // 2], complete=False)


@pytest.mark.parametrize(
    "wrap",
    [gzip.compress, lambda data: zstd_frames(data, 300, frame_size=300)],
    ids=["gzip", "zstd-many-frames"],
)
def test_compressed_whole_files_give_step_and_fps(wrap):
    info = read_blend_info(wrap(whole_file("v1")), complete=True)

    assert pick_scene(info, None) == SceneInfo("Shot", 10, 20, 2, 24, struct_float(1.001))


# --- the whole file: step and fps from the Scene blocks, via the file's SDNA ------------------


def struct_float(value: float) -> float:
    """`value` as Blender stores it (a 32-bit float)."""
    return struct.unpack("f", struct.pack("f", value))[0]


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_whole_file_adds_step_fps_and_the_scenes_without_rend(layout):
    # Given a file with two scenes, "Shot" saved as active
    data = whole_file(layout)

    # When the whole file is read
    info = read_blend_info(data, complete=True)

    # Then the active scene comes first with its step and fps, then the other scene
    assert info.scenes == (
        SceneInfo("Shot", 10, 20, step=2, fps=24, fps_base=struct_float(1.001)),
        SceneInfo("Layout", 1, 250, step=1, fps=30, fps_base=1.0),
    )


def test_read_blend_file_reads_a_local_file(tmp_path):
    path = tmp_path / "shot.blend"
    path.write_bytes(whole_file("v1"))

    assert read_blend_file(path).scenes[0].step == 2


def test_read_blend_file_names_a_missing_path(tmp_path):
    with pytest.raises(BlendFileError, match="cannot read .*missing.blend"):
        read_blend_file(tmp_path / "missing.blend")


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "complete", "message"),
    [
        (b"", False, "empty.*not a .blend"),
        (random.Random(1).randbytes(300), False, "not a .blend file; pass the .blend"),
        (b"PK\x03\x04" + b"\0" * 100, False, r"starts with b'PK\\x03\\x04.*\(a zip\?\)"),
        (b"BLENDER99-02v0600" + V1_REND, False, "header this reader does not know"),
        (gzip.compress(b"hello world"), False, "inside gzip data.*not a .blend"),
        (b"\x1f\x8b" + b"\0" * 30, False, "gzip data but does not decompress"),
        (b"\x28\xb5\x2f\xfd" + b"\xff" * 30, False, "zstd data but does not decompress"),
        (header("v1"), False, "ends at byte 17 before any REND block"),
        (header("legacy4le"), False, "ends at byte 12 before any REND block"),
        ((header("v1") + V1_REND)[:100], False, "block b'REND' needs 264 bytes from byte 49"),
        (header("v1") + V1_REND, False, "right after 1 REND block.*longer prefix"),
        (blend("v1", block("v1", b"GLOB", b"")), False, "no REND block.*File > Save"),
        (blend("v1", V1_REND), True, "without its DNA1 block: the file is truncated"),
        (blend("v1", block("v1", b"REND", b"\0" * 4)), False, "too short"),
        (whole_file("v1")[:-40], True, "needs .* bytes from byte .* but the data ends"),
    ],
    ids=[
        "empty",
        "random-bytes",
        "zip",
        "unknown-blender-header",
        "gzip-of-something-else",
        "broken-gzip",
        "broken-zstd",
        "5.0-header-only",
        "legacy-header-only",
        "truncated-mid-rend",
        "prefix-ends-after-rend",
        "no-rend",
        "whole-file-without-dna",
        "rend-too-short",
        "whole-file-truncated-in-dna",
    ],
)
def test_refusals_say_what_was_found_and_the_fix(data, complete, message):
    with pytest.raises(BlendFileError, match=message):
        read_blend_info(data, complete=complete)


def test_a_truncated_gzip_whole_file_is_refused():
    data = gzip.compress(whole_file("legacy8le"))[:-20]

    with pytest.raises(BlendFileError, match="gzip stream ends early"):
        read_blend_info(data, complete=True)


def test_refusals_are_bad_input_so_batch_never_retries_them():
    with pytest.raises(BadInput) as caught:
        read_blend_info(b"not a blend", complete=False)

    assert caught.value.exit_code == 2


# --- picking a scene -------------------------------------------------------------------------

INFO = BlendInfo("5.0", 8, True, "none", (SceneInfo("Shot", 1, 9), SceneInfo("Layout", 1, 250)))


@pytest.mark.parametrize(
    ("name", "expected"),
    [(None, "Shot"), ("Shot", "Shot"), ("Layout", "Layout")],
    ids=["none-is-saved-active", "active-by-name", "other-by-name"],
)
def test_pick_scene(name, expected):
    assert pick_scene(INFO, name).name == expected


def test_pick_scene_unknown_name_lists_the_scene_names():
    with pytest.raises(
        BlendFileError, match="no scene named 'Lighting'; the file has 'Shot', 'Layout'"
    ):
        pick_scene(INFO, "Lighting")


def test_pick_scene_from_a_prefix_says_only_the_active_scene_is_known():
    info = read_blend_info(blend("v1", V1_REND), complete=False)

    with pytest.raises(BlendFileError, match="only the saved-active scene is known"):
        pick_scene(info, "Other")
