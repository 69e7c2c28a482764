"""What the render tests look at in an output folder: complete images, manifests, leftovers."""

from __future__ import annotations

import json
import struct
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def frame_files(out: Path) -> list[str]:
    folder = out / "frames"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def is_complete_png(path: Path) -> bool:
    data = path.read_bytes()
    return data[:8] == PNG_MAGIC and data[-12:-4] == b"\x00\x00\x00\x00IEND"


def manifest(out: Path, index: int = 0) -> dict:
    return json.loads((out / "manifests" / f"slice-{index:05d}.json").read_text())


def stamps(out: Path) -> dict[str, tuple[bytes, int]]:
    """Each frame's bytes and modification time (ns)."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted((out / "frames").iterdir())
    }
