"""Which Blender saved a file and the oldest that opens it, from hand-made headers and GLOB blocks.

Real files saved by bpy are read in tests/integration/test_routing.py; here every supported
Blender's header shape is built by hand: 12-byte legacy headers (4.2, 4.5), 17-byte ones (5.0
onwards), plain, gzip and zstd.
"""

from __future__ import annotations

import gzip
import struct

import pytest
import zstandard

from submitter.blendfile import SceneInfo, read_blend_info


def block(header: bytes, code: bytes, data: bytes) -> bytes:
    if len(header) == 17:  # code, SDNAnr, old, len, nr
        return struct.pack("<4siQqq", code, 0, 0x1000, len(data), 1) + data
    return struct.pack("<4siQii", code, len(data), 0x1000, 0, 1) + data  # code, len, old, ...


def glob(subversion: int, minversion: int, minsubversion: int) -> bytes:
    # FileGlobal: char subvstr[4]; short subversion, minversion, minsubversion; char _pad[6]; ...
    return f"{subversion:4d}".encode() + struct.pack("<hhh", subversion, minversion, minsubversion)


def saved_file(header: bytes, glob_data: bytes, thumbnail: bytes = b"") -> bytes:
    name_size = 256 if len(header) == 17 else 64
    rend = struct.pack(f"<ii{name_size}s", 1, 48, b"Shot")
    parts = [header, block(header, b"REND", rend)]
    if thumbnail:
        parts.append(block(header, b"TEST", thumbnail))
    parts += [block(header, b"GLOB", glob_data + b"\0" * 200), block(header, b"ENDB", b"")]
    return b"".join(parts)


def zstd(data: bytes) -> bytes:
    # Blender writes independent frames; the first holds the header, REND and GLOB.
    compressor = zstandard.ZstdCompressor()
    return b"".join(compressor.compress(data[i : i + 4096]) for i in range(0, len(data), 4096))


SAVED_BY = {
    # header, GLOB (subversion, minversion, minsubversion), what the reader says
    "4.2": (b"BLENDER-v402", (60, 306, 11), ((4, 2), 60, (3, 6), 11)),
    "4.5": (b"BLENDER-v405", (92, 306, 13), ((4, 5), 92, (3, 6), 13)),
    "5.0": (b"BLENDER17-01v0500", (119, 405, 85), ((5, 0), 119, (4, 5), 85)),
    "5.1": (b"BLENDER17-01v0501", (20, 405, 85), ((5, 1), 20, (4, 5), 85)),
    "5.3": (b"BLENDER17-01v0503", (7, 502, 4), ((5, 3), 7, (5, 2), 4)),
}
WRAPS = {"none": lambda data: data, "gzip": gzip.compress, "zstd": zstd}


@pytest.mark.parametrize("compression", WRAPS)
@pytest.mark.parametrize("version", SAVED_BY)
def test_saved_by_and_minversion_come_from_header_and_glob(version, compression):
    header, glob_values, (saved_by, subversion, minversion, minsubversion) = SAVED_BY[version]
    data = WRAPS[compression](saved_file(header, glob(*glob_values)))

    info = read_blend_info(data, complete=False)

    assert info.version == version
    assert info.saved_by == saved_by
    assert (info.subversion, info.minversion, info.minsubversion) == (
        subversion,
        minversion,
        minsubversion,
    )
    assert info.compression == compression
    assert info.scenes == (SceneInfo("Shot", 1, 48),)


def test_glob_after_a_thumbnail_is_read_from_a_prefix():
    header = b"BLENDER17-01v0503"
    thumbnail = struct.pack("<ii", 128, 128) + b"\x7f" * (128 * 128 * 4)  # 64 KiB of pixels
    data = zstd(saved_file(header, glob(7, 502, 4), thumbnail))

    info = read_blend_info(data, complete=False)

    assert (info.saved_by, info.minversion, info.minsubversion) == ((5, 3), (5, 2), 4)


def test_a_prefix_that_cuts_glob_still_gives_the_scenes_without_minversion():
    data = saved_file(b"BLENDER17-01v0503", glob(7, 502, 4))
    glob_start = data.index(b"GLOB") + 32

    info = read_blend_info(data[: glob_start + 5], complete=False)

    assert info.saved_by == (5, 3)
    assert info.minversion is None
    assert info.scenes == (SceneInfo("Shot", 1, 48),)


def test_a_file_older_than_2_50_has_no_minversion_where_later_ones_have_it():
    # Blender 2.4x laid FileGlobal out differently: its shorts there mean something else.
    info = read_blend_info(saved_file(b"BLENDER_v249", glob(2, 245, 0)), complete=False)

    assert info.saved_by == (2, 49)
    assert info.minversion is None


def test_a_file_without_glob_has_no_minversion():
    header = b"BLENDER17-01v0500"
    rend = block(header, b"REND", struct.pack("<ii256s", 1, 2, b"S"))
    data = header + rend + block(header, b"DATA", b"\0" * 16)

    info = read_blend_info(data, complete=False)

    assert (info.saved_by, info.subversion, info.minversion) == ((5, 0), None, None)
