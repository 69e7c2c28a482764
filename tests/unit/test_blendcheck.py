"""A .blend cut before its end block is refused before Blender (which would open it) sees it."""

import gzip

import pytest
import zstandard

from entrypoint.errors import BadInput
from entrypoint.render.blendcheck import check_blend_complete

BODY = b"BLENDER17-01v0500" + b"\x00" * 200
END_5_0 = b"ENDB" + b"\x00" * 28
END_LEGACY_64 = b"ENDB" + b"\x00" * 20
END_LEGACY_32 = b"ENDB" + b"\x00" * 16


@pytest.mark.parametrize(
    "data",
    [
        BODY + END_5_0,
        b"BLENDER-v293" + b"\x00" * 100 + END_LEGACY_64,
        b"BLENDER_v279" + b"\x00" * 100 + END_LEGACY_32,
        gzip.compress(BODY + END_5_0),
        zstandard.ZstdCompressor().compress(BODY + END_5_0),
    ],
    ids=["5.0", "legacy-64-bit", "legacy-32-bit", "gzip", "zstd"],
)
def test_a_whole_file_passes(tmp_path, data):
    path = tmp_path / "scene.blend"
    path.write_bytes(data)
    check_blend_complete(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BODY, "ends without Blender's end-of-file block"),
        (BODY + END_5_0[:10], "ends without Blender's end-of-file block"),
        (gzip.compress(BODY), "ends without Blender's end-of-file block"),
        (gzip.compress(BODY + END_5_0)[:-20], "does not decompress"),
        (zstandard.ZstdCompressor().compress(BODY + END_5_0)[:-8], "truncated"),
        (b"\x28\xb5\x2f\xfd" + b"garbage" * 10, "does not decompress"),
    ],
    ids=["no-end-block", "cut-in-end-block", "gzip-no-end", "gzip-cut", "zstd-cut", "zstd-junk"],
)
def test_a_cut_file_is_refused_with_the_fix(tmp_path, data, message):
    path = tmp_path / "scene.blend"
    path.write_bytes(data)
    with pytest.raises(BadInput) as caught:
        check_blend_complete(path)
    assert message in str(caught.value)
    assert "upload the whole file again" in str(caught.value)


def test_files_that_are_not_blends_are_left_to_blender(tmp_path):
    path = tmp_path / "notes.blend"
    path.write_text("hello")
    check_blend_complete(path)
