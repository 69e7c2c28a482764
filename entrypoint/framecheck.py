"""Is a rendered frame file whole, and how big is it? Plus the report of the bad ones.

Pure: imports no bpy, boto3 or ffmpeg. ffmpeg silently drops a truncated or corrupt PNG
from a sequence, so stitch checks each file itself before feeding it to the encoder.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from entrypoint.frames import format_ranges

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, ...): they carry the image size.
JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
ENCODABLE = ("png", "jpg", "jpeg")


class Unreadable(Exception):
    """The frame file is not a whole image; the message says why (`truncated`, `0-byte`)."""


@dataclass(frozen=True)
class FrameProblems:
    """Frames stitch cannot use, by kind: `missing` numbers, and `unreadable` number -> why."""

    missing: tuple[int, ...] = ()
    unreadable: tuple[tuple[int, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.missing or self.unreadable)

    @property
    def frames(self) -> tuple[int, ...]:
        return tuple(sorted({*self.missing, *(f for f, _ in self.unreadable)}))

    def describe(self) -> str:
        """`missing 12-14, 40; truncated 7; 0-byte 9-10` (each kind as ranges)."""
        parts = [f"missing {format_ranges(self.missing)}"] if self.missing else []
        by_reason: dict[str, list[int]] = {}
        for frame, reason in self.unreadable:
            by_reason.setdefault(reason, []).append(frame)
        parts += [f"{reason} {format_ranges(frames)}" for reason, frames in by_reason.items()]
        return "; ".join(parts)


def image_size(data: bytes, extension: str) -> tuple[int, int]:
    """(width, height) of a whole PNG or JPEG file; raises Unreadable otherwise."""
    if not data:
        raise Unreadable("0-byte")
    ext = extension.lower()
    if ext == "png":
        return _png_size(data)
    if ext in ("jpg", "jpeg"):
        return _jpeg_size(data)
    raise Unreadable(f"not encodable ({extension})")


def _png_size(data: bytes) -> tuple[int, int]:
    if not data.startswith(PNG_SIGNATURE):
        raise Unreadable("not a PNG")
    # Walk the chunks: each is length, type, body, CRC; a whole file ends exactly after IEND.
    pos, size = len(PNG_SIGNATURE), None
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        end = pos + 8 + length
        if end + 4 > len(data):
            break
        (crc,) = struct.unpack_from(">I", data, end)
        if zlib.crc32(data[pos + 4 : end]) != crc:
            raise Unreadable("corrupt")
        if kind == b"IHDR":
            size = struct.unpack_from(">II", data, pos + 8)
        if kind == b"IEND":
            if size is None:
                raise Unreadable("corrupt")
            return size
        pos = end + 4
    raise Unreadable("truncated")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    if not data.startswith(b"\xff\xd8"):
        raise Unreadable("not a JPEG")
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise Unreadable("truncated")
    pos = 2
    while pos + 9 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if marker in JPEG_SOF:
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return width, height
        pos += 2 + length
    raise Unreadable("corrupt")


def check_extension(extension: str) -> str | None:
    """Why frames of this kind cannot become a video by themselves, or None if they can."""
    ext = extension.lower()
    if ext in ENCODABLE:
        return None
    if ext == "exr":
        return (
            "the frames are OpenEXR: scene-linear light without Blender's view transform, so "
            "a video made from them would not look like the render (too dark, clipped "
            "highlights). Render PNG or JPEG frames for the video (Output Properties > File "
            "Format), or grade the EXRs in a compositor"
        )
    return (
        f"the frames are .{extension}: stitch encodes PNG or JPEG frames; set the scene's "
        "file format to PNG or JPEG and render again"
    )


EXR_MAGIC = b"\x76\x2f\x31\x01"
EXR_TILED, EXR_MULTIPART = 0x200, 0x1000


def check_whole(data: bytes, extension: str) -> None:
    """Raises Unreadable unless `data` is a whole frame file: PNG, JPEG or OpenEXR.

    The render checks each frame with it before the frame leaves the machine.
    """
    if extension.lower() == "exr":
        _check_exr(data)
    else:
        image_size(data, extension)


def _check_exr(data: bytes) -> None:
    """A single-part OpenEXR is whole when every chunk its offset table names is in the file.

    The offset table follows the header; the first chunk follows the table, so the first
    offset also says how long the table is.
    """
    if not data:
        raise Unreadable("0-byte")
    if not data.startswith(EXR_MAGIC) or len(data) < 8:
        raise Unreadable("not an OpenEXR")
    (flags,) = struct.unpack_from("<I", data, 4)
    if flags & EXR_MULTIPART:
        raise Unreadable("multi-part OpenEXR (not checked)")
    pos = 8
    while True:  # attributes: name\0 type\0 size body, ended by an empty name
        name_end = data.find(b"\0", pos)
        if name_end < 0:
            raise Unreadable("truncated")
        if name_end == pos:
            pos += 1
            break
        type_end = data.find(b"\0", name_end + 1)
        if type_end < 0 or type_end + 5 > len(data):
            raise Unreadable("truncated")
        (size,) = struct.unpack_from("<i", data, type_end + 1)
        pos = type_end + 5 + size
    if pos + 8 > len(data):
        raise Unreadable("truncated")
    (first,) = struct.unpack_from("<Q", data, pos)
    count = (first - pos) // 8
    if first < pos + 8 or (first - pos) % 8 or first > len(data):
        raise Unreadable("truncated" if first > len(data) else "corrupt")
    head = 20 if flags & EXR_TILED else 8  # tile x, y, level x, level y | y; then data size
    end = 0
    for (offset,) in struct.iter_unpack("<Q", data[pos : pos + count * 8]):
        if offset + head > len(data):
            raise Unreadable("truncated")
        (size,) = struct.unpack_from("<i", data, offset + head - 4)
        end = max(end, offset + head + size)
    if end > len(data):
        raise Unreadable("truncated")
