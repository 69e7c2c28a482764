"""The bytes of a .blend before its blocks: gzip or zstd compression, undone within bounds.

Pure: imports no bpy, boto3 or subprocess (stdlib and `zstandard` only).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable

import zstandard

from entrypoint.errors import BadInput

# The most a whole .blend may decompress to: beyond it, a file is refused rather than held in
# memory (a render child with the default 8 GiB could not open it either).
MAX_DECOMPRESSED_BYTES = 8 << 30
_INFLATE_CHUNK = 1 << 20

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class BlendFileError(BadInput):
    """The bytes are not a .blend this reader can plan from; the message says what and the fix."""


def decompress(data: bytes, *, limit: int | None) -> tuple[str, bytes]:
    """(compression, the bytes inside), bounded: a prefix read (`limit`) needs that many bytes
    of .blend at most; a whole read (`limit` None) is refused beyond `MAX_DECOMPRESSED_BYTES`.
    A few KB of zstd can declare gigabytes of zeros; neither decoder ever holds more than what
    the reader needs."""
    if data.startswith(GZIP_MAGIC):
        kind, decoder = "gzip", zlib.decompressobj(zlib.MAX_WBITS | 16)
        errors: tuple[type[Exception], ...] = (zlib.error,)
        pending = data

        def read(size: int) -> bytes:
            nonlocal pending
            if decoder.eof:
                return b""
            piece = decoder.decompress(pending, size)
            pending = decoder.unconsumed_tail
            return piece

    elif data.startswith(ZSTD_MAGIC):
        # zstd .blend files are a series of independent frames (plus a skippable seek-table
        # frame at the end), hence read_across_frames. A prefix cut mid-stream still yields
        # the whole blocks before the cut.
        kind = "zstd"
        reader = zstandard.ZstdDecompressor().stream_reader(
            io.BytesIO(data), read_across_frames=True
        )
        read = reader.read
        errors = (zstandard.ZstdError,)
    else:
        return "none", data
    complete = limit is None
    limit = MAX_DECOMPRESSED_BYTES if limit is None else limit
    try:
        raw, more = _inflate(read, limit)
    except errors as error:
        raise BlendFileError(
            f"starts like {kind} data but does not decompress ({error}): the file is damaged; "
            "re-save it from Blender or upload it again"
        ) from None
    if more and complete:
        raise BlendFileError(
            f"{len(data)} bytes of {kind} data decompress to more than {_size(limit)}, more "
            "than a .blend this reader plans from: it is damaged or not a .blend; re-save it "
            "from Blender"
        )
    if not raw:  # zstd decodes whole blocks only: a cut inside the first one yields nothing
        raise BlendFileError(
            f"{len(data)} bytes of {kind} data decompress to nothing: the file is truncated, or "
            "the prefix read was too short"
        )
    if complete and kind == "gzip" and not more and not decoder.eof:
        raise BlendFileError(
            f"the gzip stream ends early after {len(data)} bytes: the file is truncated; "
            "upload it again"
        )
    return kind, raw


def _inflate(read: Callable[[int], bytes], limit: int) -> tuple[bytes, bool]:
    """(at most `limit` bytes from `read`, whether more would follow). Stops at once when the
    first bytes are no .blend header: nothing else would be read from them."""
    pieces: list[bytes] = []
    total = 0
    while total < limit:
        piece = read(min(_INFLATE_CHUNK, limit - total))
        if not piece:
            return b"".join(pieces), False
        pieces.append(piece)
        total += len(piece)
        if len(pieces) == 1 and len(piece) >= 7 and not piece.startswith(b"BLENDER"):
            return piece, False
    return b"".join(pieces), bool(read(1))


def _size(count: int) -> str:
    if count >= 1 << 30 and count % (1 << 30) == 0:
        return f"{count >> 30} GiB"
    return f"{count >> 20} MiB"
