"""What the render tests look at in an output folder: complete images, manifests, leftovers."""

from __future__ import annotations

import json
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
