"""Render overrides: one table, `ROWS`, from which every use of an override is derived.

Pure: imports no bpy, boto3 or subprocess. A row declares an override once: its name, type,
choices, help, check, whether it changes the pixels and the effective-settings key it reads
back as. From the rows come the `Overrides` type (checked when it is made), the options of
`python -m entrypoint render` and of `blendbatch submit/run`, the child's argv and the
read-back comparison; each row's Blender setter is in `entrypoint/render/blender.py`
(`SETTERS`, keyed by the row's name). Blender clamps out-of-range values silently
(`resolution_percentage = 0` becomes 1), so every override is read back after it is applied
and a difference is an error, not a surprise in the frames.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, make_dataclass, replace
from typing import Any

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


def engine_id(flag: str, word: str) -> str:
    key = word.strip().lower()
    if key in ENGINES:
        return ENGINES[key]
    if word.strip().upper() in ENGINES.values():
        return word.strip().upper()
    raise BadInput(f"{flag} {word!r} is not an engine: use one of {', '.join(ENGINES)}")


def format_id(flag: str, word: str) -> str:
    key = word.strip().lower().replace("_", "").replace("-", "")
    if key not in FORMATS:
        raise BadInput(f"{flag} {word!r} is not supported: use PNG, JPEG or OpenEXR")
    return FORMATS[key][0]


def device_word(flag: str, word: str) -> str:
    key = word.strip().lower()
    if key not in DEVICES:
        raise BadInput(f"{flag} {word!r} is unknown: use one of {', '.join(DEVICES)}")
    return key


def _between(low: int, high: int | None, note: str = "") -> Callable[[str, int], int]:
    """A check for whole numbers Blender would clamp into `low..high` without a word."""

    def check(flag: str, value: int) -> int:
        if value < low or (high is not None and value > high):
            span = f"{low} or more" if high is None else f"{low} to {high}"
            raise BadInput(f"{flag} {value}: give {span}{note}")
        return value

    return check


@dataclass(frozen=True)
class Row:
    name: str  # the `Overrides` attribute; the option is --name-with-dashes unless `flag`
    kind: type  # str, int, or bool (an on/off pair: --name/--no-name)
    help: str
    pixels: bool  # changes the rendered pixels (a render fingerprint's input)
    reads_back_as: str | None  # its effective-settings key; None: its own step checks it
    normalize: Callable[[str, Any], Any] | None = None  # (flag, value) -> Blender's value
    choices: tuple[str, ...] = ()  # the words shown; `normalize` also takes aliases, any case
    default: Any = None  # None keeps the .blend's value
    flag: str | None = None

    @property
    def option(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")


ROWS: tuple[Row, ...] = (
    Row(
        "scene",
        str,
        "the scene to render (default: the file's active scene)",
        pixels=True,
        reads_back_as="scene",
    ),
    Row(
        "camera",
        str,
        "the camera object to render through (default: the scene's)",
        pixels=True,
        reads_back_as="camera",
    ),
    Row(
        "engine",
        str,
        "render engine (default: the scene's)",
        pixels=True,
        reads_back_as="engine",
        normalize=engine_id,
        choices=tuple(ENGINES),
    ),
    Row(
        "samples",
        int,
        "render samples, 1 or more (Cycles, EEVEE)",
        pixels=True,
        reads_back_as="samples",
        normalize=_between(1, None),
    ),
    Row(
        "resolution_percent",
        int,
        "scale of the scene's resolution, 1-1000",
        pixels=True,
        reads_back_as="resolution_percent",
        normalize=_between(1, 1000, " (100 is the scene's size)"),
    ),
    Row(
        "file_format",
        str,
        "frame format (default PNG)",
        pixels=True,
        reads_back_as="file_format",
        normalize=format_id,
        choices=("PNG", "JPEG", "OpenEXR"),
        default="PNG",
        flag="--format",
    ),
    Row(
        "threads",
        int,
        "render threads (default: Blender's automatic count)",
        pixels=False,
        reads_back_as="threads",
        normalize=_between(1, MAX_THREADS),
    ),
    Row(
        "device",
        str,
        "render device (default auto: the best GPU found, else CPU)",
        pixels=False,
        reads_back_as=None,  # use_device checks it: a GPU asked for and absent is an error
        normalize=device_word,
        choices=DEVICES,
        default="auto",
    ),
    Row(
        "persistent_data",
        bool,
        "keep Cycles' scene data between a child's frames: faster frames, more memory "
        "(default: on when a child's slice has 2 or more frames)",
        pixels=False,
        reads_back_as="persistent_data",
    ),
    Row(
        "denoise",
        bool,
        "denoise Cycles renders (default: the scene's setting)",
        pixels=True,
        reads_back_as="denoise",
    ),
)
PIXEL_FIELDS: tuple[str, ...] = tuple(row.name for row in ROWS if row.pixels)
# What every render pins whatever the rows say: one image file per frame, never a video.
ALWAYS_READ_BACK = {"media_type": "IMAGE"}


def _check(self) -> None:
    for row in ROWS:
        value = getattr(self, row.name)
        if value is not None and row.normalize is not None:
            object.__setattr__(self, row.name, row.normalize(row.option, value))


Overrides = make_dataclass(
    "Overrides",
    [(row.name, row.kind | None, field(default=row.default)) for row in ROWS],
    frozen=True,
    namespace={"__post_init__": _check},
)
Overrides.__module__ = __name__
Overrides.__doc__ = """What to change in the scene before rendering, one field per row of `ROWS`;
None keeps the .blend's value. Values are checked and put in Blender's words when it is made
(`engine="eevee"` becomes "BLENDER_EEVEE"); a bad one raises BadInput naming the option."""


def from_options(values: Mapping[str, Any]) -> Overrides:
    """The overrides among parsed options (argparse or typer); an option not given is None."""
    return Overrides(
        **{row.name: values[row.name] for row in ROWS if values.get(row.name) is not None}
    )


def to_argv(overrides: Overrides) -> tuple[str, ...]:
    """The options of `python -m entrypoint render` that ask for `overrides`, in table order."""
    args: list[str] = []
    for row in ROWS:
        value = getattr(overrides, row.name)
        if value is None or value == row.default:
            continue
        if row.kind is bool:
            args.append(row.option if value else "--no-" + row.option[2:])
        else:
            args += [row.option, str(value)]
    return tuple(args)


def for_slice(overrides: Overrides, slice_length: int) -> Overrides:
    """The overrides a child of `slice_length` frames applies: persistent data not asked for
    either way is on for 2 or more frames (Cycles then syncs only what changed between frames)
    and off for one, where there is nothing to keep it for."""
    if overrides.persistent_data is not None:
        return overrides
    return replace(overrides, persistent_data=slice_length > 1)


def extension_of(file_format: str) -> str:
    return next(ext for fmt, ext in FORMATS.values() if fmt == file_format)


def requested(overrides: Overrides) -> dict:
    """The effective-settings keys the overrides pin down, with the values they must read back."""
    wanted = dict(ALWAYS_READ_BACK)
    for row in ROWS:
        value = getattr(overrides, row.name)
        if row.reads_back_as is not None and value is not None:
            wanted[row.reads_back_as] = value
    return wanted


def mismatches(wanted: dict, effective: dict) -> list[str]:
    """'samples: asked 4, Blender kept 16' for every override that did not take."""
    return [
        f"{key}: asked {value!r}, Blender kept {effective.get(key)!r}"
        for key, value in wanted.items()
        if effective.get(key) != value
    ]
