"""What the render tests look at in an output folder: complete images, manifests, leftovers."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

from entrypoint.framecheck import Unreadable, image_size


def frame_files(out: Path) -> list[str]:
    folder = out / "frames"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def size_of(path: Path) -> tuple[int, int]:
    """(width, height) of a whole image file, by stitch's own check; raises Unreadable if not."""
    return image_size(path.read_bytes(), path.suffix.lstrip("."))


def is_whole(data: bytes, extension: str = "png") -> bool:
    """Whether stitch's own check (entrypoint.framecheck) takes these bytes as a whole image."""
    try:
        image_size(data, extension)
    except Unreadable:
        return False
    return True


def manifest(out: Path, index: int = 0) -> dict:
    return json.loads((out / "manifests" / f"slice-{index:05d}.json").read_text())


def stamps(out: Path) -> dict[str, tuple[bytes, int]]:
    """Each frame's bytes and modification time (ns)."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted((out / "frames").iterdir())
    }


def pixels(png: bytes) -> tuple[int, int, bytes]:
    """Decode an 8-bit RGB/RGBA PNG (what Blender writes) to raw rows."""
    pos, chunks, header = 8, [], None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, color = header[:4]
    assert depth == 8 and color in (2, 6), header
    bpp = 3 if color == 2 else 4
    raw, stride, rows, prev = zlib.decompress(b"".join(chunks)), width * bpp, [], bytes(width * bpp)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, b"".join(rows)
