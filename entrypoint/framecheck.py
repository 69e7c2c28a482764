"""Is a rendered frame file whole, and how big is it? Plus the report of the bad ones.

Pure: imports no bpy, boto3 or ffmpeg. ffmpeg silently drops a truncated or corrupt PNG
from a sequence (the video then shows its neighbour twice), so stitch checks each file
itself before feeding it to the encoder: a PNG's chunks and checksums, and its image data
inflated to the exact length its header implies; a JPEG's segments through EOI.
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
    pos, header, image = len(PNG_SIGNATURE), None, []
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        end = pos + 8 + length
        if end + 4 > len(data):
            break
        (crc,) = struct.unpack_from(">I", data, end)
        if zlib.crc32(data[pos + 4 : end]) != crc:
            raise Unreadable("corrupt")
        if kind == b"IHDR" and length == 13:
            header = struct.unpack_from(">IIBBBBB", data, pos + 8)
        elif kind == b"IDAT":
            image.append(memoryview(data)[pos + 8 : end])
        elif kind == b"IEND":
            if header is None or not image:
                raise Unreadable("corrupt")
            _check_png_pixels(header, image)
            return header[0], header[1]
        pos = end + 4
    raise Unreadable("truncated")


# PNG colour type -> samples per pixel (gray, RGB, palette, gray+alpha, RGBA) and allowed depths.
PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
# Adam7 passes: (first column, first row, column step, row step).
ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
INFLATE_CHUNK = 1 << 20


def png_data_length(width: int, height: int, depth: int, colour: int, interlace: int) -> int:
    """Bytes the IDAT stream inflates to: per row a filter byte and the packed pixels, per
    Adam7 pass for an interlaced image (an empty pass has no rows)."""
    if colour not in PNG_SAMPLES or depth not in PNG_DEPTHS[colour] or interlace not in (0, 1):
        raise Unreadable("corrupt")
    bits = PNG_SAMPLES[colour] * depth
    passes = ADAM7 if interlace else ((0, 0, 1, 1),)
    total = 0
    for x0, y0, dx, dy in passes:
        columns, rows = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if columns > 0 and rows > 0:
            total += rows * (1 + -(-(columns * bits) // 8))
    return total


def _check_png_pixels(header: tuple[int, ...], image: list[memoryview]) -> None:
    """Inflate the image data (chunk by chunk, never all of it at once): it must be one whole
    zlib stream (its checksum is checked) of exactly the length the header implies, with a
    valid filter type on every row. ffmpeg drops a frame that fails this without a word."""
    width, height, depth, colour, _, _, interlace = header
    if width == 0 or height == 0:
        raise Unreadable("corrupt")
    expected = png_data_length(width, height, depth, colour, interlace)
    stride = 0 if interlace else 1 + -(-(width * PNG_SAMPLES[colour] * depth) // 8)
    inflater, got = zlib.decompressobj(), 0
    try:
        for piece in (*image, b""):  # b"": what zlib still holds after the last piece
            out = inflater.decompress(piece, INFLATE_CHUNK)
            while out:
                if stride and max(out[(-got) % stride :: stride], default=0) > 4:
                    raise Unreadable("corrupt image data (a row filter type is not 0-4)")
                got += len(out)
                if got > expected:
                    raise Unreadable(f"corrupt image data (more than {expected} bytes)")
                out = inflater.decompress(inflater.unconsumed_tail, INFLATE_CHUNK)
    except zlib.error:
        raise Unreadable("corrupt image data (it does not inflate)") from None
    if not inflater.eof:
        raise Unreadable("corrupt image data (the compressed stream is cut short)")
    if got != expected:
        raise Unreadable(f"corrupt image data ({got} bytes, not {expected})")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the segments through EOI: SOF gives the size; after each SOS, the entropy-coded
    data runs to the next marker that is neither a stuffed 0xFF00 nor a restart marker."""
    if not data.startswith(b"\xff\xd8"):
        raise Unreadable("not a JPEG")
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise Unreadable("truncated")
    pos, size, scanned = 2, None, False
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            raise Unreadable("corrupt")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill bytes before a marker
            pos += 1
            continue
        if marker == 0xD9:
            if size is None or not scanned:
                raise Unreadable("corrupt")
            return size
        if pos + 4 > len(data):
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2 or pos + 2 + length > len(data):
            raise Unreadable("corrupt")
        if marker in JPEG_SOF and length >= 7:
            height, width = struct.unpack_from(">HH", data, pos + 5)
            size = (width, height)
        pos += 2 + length
        if marker == 0xDA:
            if size is None:
                raise Unreadable("corrupt")
            scanned = True
            pos = _after_entropy_data(data, pos)
    raise Unreadable("truncated")


def _after_entropy_data(data: bytes, pos: int) -> int:
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise Unreadable("truncated")
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
            continue
        return pos


def check_extension(extension: str) -> str | None:
    """Why frames of this kind cannot become a video by themselves, or None if they can."""
    ext = extension.lower()
    if ext in ENCODABLE:
        return None
    if ext == "exr":
        return (
            "the frames are OpenEXR: scene-linear light without Blender's view transform, so "
            "a video made from them would not look like the render (too dark, clipped "
            "highlights), and these have no display-referred proxies (proxies/). Render them "
            "again with this version's --format OpenEXR (it writes a proxy per frame), render "
            "PNG or JPEG frames for the video (Output Properties > File Format), or grade the "
            "EXRs in a compositor"
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
