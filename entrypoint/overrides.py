"""Render overrides: the user's words -> Blender's names, and checking what Blender kept.

Pure: imports no bpy, boto3 or ffmpeg. Blender clamps out-of-range values silently
(`resolution_percentage = 0` becomes 1), so every override is read back after it is applied
and a difference is an error, not a surprise in the frames.
"""

from __future__ import annotations

from dataclasses import dataclass

from entrypoint.errors import BadInput

ENGINES = {"cycles": "CYCLES", "eevee": "BLENDER_EEVEE", "workbench": "BLENDER_WORKBENCH"}
# user word -> (Blender file_format, file extension Blender writes)
FORMATS = {
    "png": ("PNG", "png"),
    "jpeg": ("JPEG", "jpg"),
    "jpg": ("JPEG", "jpg"),
    "openexr": ("OPEN_EXR", "exr"),
    "exr": ("OPEN_EXR", "exr"),
}
DEVICES = ("cpu", "cuda", "optix", "hip", "oneapi", "auto")
MAX_THREADS = 1024  # Blender's own limit for a fixed thread count


@dataclass(frozen=True)
class Overrides:
    """What to change in the scene before rendering; None keeps the .blend's value."""

    scene: str | None = None
    camera: str | None = None
    engine: str | None = None
    samples: int | None = None
    resolution_percent: int | None = None
    file_format: str = "PNG"
    threads: int | None = None
    device: str = "auto"


def engine_id(word: str) -> str:
    key = word.strip().lower()
    if key in ENGINES:
        return ENGINES[key]
    if word.strip().upper() in ENGINES.values():
        return word.strip().upper()
    raise BadInput(f"--engine {word!r} is not an engine: use one of {', '.join(ENGINES)}")


def format_id(word: str) -> str:
    key = word.strip().lower().replace("_", "").replace("-", "")
    if key not in FORMATS:
        raise BadInput(f"--format {word!r} is not supported: use PNG, JPEG or OpenEXR")
    return FORMATS[key][0]


def extension_of(file_format: str) -> str:
    return next(ext for fmt, ext in FORMATS.values() if fmt == file_format)


def device_word(word: str) -> str:
    key = word.strip().lower()
    if key not in DEVICES:
        raise BadInput(f"--device {word!r} is unknown: use one of {', '.join(DEVICES)}")
    return key


def check_numbers(overrides: Overrides) -> None:
    """Ranges Blender would otherwise clamp without a word."""
    if overrides.samples is not None and overrides.samples < 1:
        raise BadInput(f"--samples {overrides.samples}: give 1 or more")
    percent = overrides.resolution_percent
    if percent is not None and not 1 <= percent <= 1000:
        raise BadInput(f"--resolution-percent {percent}: give 1 to 1000 (100 is the scene's size)")
    if overrides.threads is not None and not 1 <= overrides.threads <= MAX_THREADS:
        raise BadInput(f"--threads {overrides.threads}: give 1 to {MAX_THREADS}")


def requested(overrides: Overrides) -> dict:
    """The effective-settings keys the overrides pin down, with the values they must read back."""
    wanted: dict = {"file_format": overrides.file_format, "media_type": "IMAGE"}
    for key in ("scene", "camera", "engine", "samples", "resolution_percent", "threads"):
        value = getattr(overrides, key)
        if value is not None:
            wanted[key] = value
    return wanted


def mismatches(wanted: dict, effective: dict) -> list[str]:
    """'samples: asked 4, Blender kept 16' for every override that did not take."""
    return [
        f"{key}: asked {value!r}, Blender kept {effective.get(key)!r}"
        for key, value in wanted.items()
        if effective.get(key) != value
    ]
