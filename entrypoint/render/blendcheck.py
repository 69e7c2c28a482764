"""Is a .blend whole? Checked before Blender opens it.

Pure: imports no bpy, boto3 or ffmpeg. Blender happily opens a file cut just before its final
`ENDB` block (an interrupted copy or upload), so a render could run on a damaged scene; every
complete .blend ends with that block, whatever its compression.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from entrypoint import blendheader
from entrypoint.errors import BadInput

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# The end block's header: 32 bytes (Blender 5.0 files), 24 (8-byte pointers), 20 (4-byte).
END_HEADER_SIZES = (32, 24, 20)
TAIL = 64
CHUNK = 1 << 20


def check_blend_complete(path: Path) -> None:
    """Refuse a .blend that does not end with its `ENDB` block."""
    with path.open("rb") as stream:
        magic = stream.read(7)
        stream.seek(0)
        if magic.startswith(GZIP_MAGIC):
            head, tail = _decompressed_ends(path, lambda: gzip.GzipFile(fileobj=stream))
        elif magic.startswith(ZSTD_MAGIC):
            import zstandard

            head, tail = _decompressed_ends(
                path, lambda: zstandard.ZstdDecompressor().stream_reader(stream)
            )
        elif magic == b"BLENDER":
            head = stream.read(blendheader.HEAD_BYTES)
            stream.seek(0, 2)
            stream.seek(max(0, stream.tell() - TAIL))
            tail = stream.read()
        else:
            return  # not a .blend at all: Blender's own refusal says so
    if not head.startswith(b"BLENDER"):
        return  # a compressed file that holds no .blend: idem
    if blendheader.big_endian(head):
        raise BadInput(f"{path.name} {blendheader.BIG_ENDIAN}")
    if not any(tail[-size:].startswith(b"ENDB") for size in END_HEADER_SIZES):
        raise BadInput(
            f"{path.name} ends without Blender's end-of-file block: it is truncated (an "
            "interrupted copy or upload); upload the whole file again"
        )


def _decompressed_ends(path: Path, open_reader) -> tuple[bytes, bytes]:
    """The first 7 and the last bytes of the decompressed stream."""
    try:
        reader = open_reader()
        head = reader.read(blendheader.HEAD_BYTES)
        tail = _tail(reader, head)
        if not head:  # zstd yields nothing, without an error, from a cut first frame
            raise ValueError("nothing came out")
        return head, tail
    except Exception as error:  # gzip: OSError/EOFError/zlib.error; zstandard: ZstdError
        raise BadInput(
            f"{path.name} is compressed but does not decompress ({error}): it is damaged or "
            "truncated; upload the whole file again"
        ) from None


def _tail(stream, tail: bytes = b"") -> bytes:
    while chunk := stream.read(CHUNK):
        tail = (tail + chunk)[-TAIL:]
    return tail


def read_head(path: Path) -> bytes:
    """The first `HEAD_BYTES` of the .blend in `path`, decompressed (of a zstd file only the
    start of its first frame is read); b"" when they cannot be decompressed."""
    with path.open("rb") as stream:
        magic = stream.read(len(ZSTD_MAGIC))
        stream.seek(0)
        try:
            if magic.startswith(GZIP_MAGIC):
                return gzip.GzipFile(fileobj=stream).read(blendheader.HEAD_BYTES)
            if magic.startswith(ZSTD_MAGIC):
                import zstandard

                reader = zstandard.ZstdDecompressor().stream_reader(stream)
                return reader.read(blendheader.HEAD_BYTES)
        except Exception:  # gzip: OSError/EOFError/zlib.error; zstandard: ZstdError
            return b""
        return stream.read(blendheader.HEAD_BYTES)
