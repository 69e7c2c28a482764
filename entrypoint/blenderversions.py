"""The Blender releases blendbatch renders with, and the one rule that picks a release for a file.

Pure: imports no bpy, boto3 or subprocess. Every Blender release is declared once here (its bpy
wheel, the Python that wheel needs and the Debian release that ships that Python); the images,
their locks, the `render` extra's pins, the job-definition names and the stack's defaults are
derived from this table.

The rule, the same in the submitter and in the render child: a file renders in a Blender whose
major.minor is at least the file's saved-by version. An older Blender opens a newer file with
"expect loss of data" and may render it wrong with exit 0; `minversion` (the oldest Blender that
can open the file at all) only explains why Blender itself refuses a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Version = tuple[int, int]  # (major, minor): 5.3 -> (5, 3), 2.93 -> (2, 93)


@dataclass(frozen=True)
class Release:
    version: Version
    bpy: str  # the bpy wheel on PyPI
    python: str  # the only Python that wheel exists for
    debian: str  # the Debian release whose python3 is that Python (the image's base)
    lts: bool = False

    @property
    def name(self) -> str:
        return format_version(self.version)


RELEASES: tuple[Release, ...] = (
    Release((4, 2), "4.2.23", "3.11", "bookworm", lts=True),
    Release((4, 5), "4.5.15", "3.11", "bookworm", lts=True),
    Release((5, 0), "5.0.1", "3.11", "bookworm"),
    Release((5, 1), "5.1.2", "3.13", "trixie"),
    Release((5, 2), "5.2.3", "3.13", "trixie", lts=True),
    Release((5, 3), "5.3.0", "3.13", "trixie"),
)
NEWEST: Release = RELEASES[-1]
NEWEST_LTS: Release = [r for r in RELEASES if r.lts][-1]
# What the stack registers job definitions for when told nothing else.
STACK_DEFAULT: tuple[Release, ...] = tuple(dict.fromkeys((NEWEST_LTS, NEWEST)))

# The job-definition base name when the user names none (`<base>-blender-X-Y`).
DEFAULT_BASE = "blendbatch"

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)(?:\.\d+)?\s*$")


class UnknownVersion(ValueError):
    """Text that is not a Blender version, or a version blendbatch has no image for."""


def parse_version(text: str) -> Version:
    """`"5.3"`, `"5.3.0"` or `"2.93"` -> (major, minor)."""
    match = _VERSION.match(text)
    if not match:
        raise UnknownVersion(f"{text!r} is not a Blender version: give MAJOR.MINOR, e.g. 5.3")
    return int(match[1]), int(match[2])


def format_version(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def release(text_or_version: str | Version) -> Release:
    """The supported release with exactly this major.minor."""
    version = (
        parse_version(text_or_version) if isinstance(text_or_version, str) else text_or_version
    )
    for candidate in RELEASES:
        if candidate.version == version:
            return candidate
    raise UnknownVersion(
        f"Blender {format_version(version)} is not one blendbatch has an image for; "
        f"supported: {supported_text()}"
    )


def newest_per_python() -> dict[str, Release]:
    """Python version -> the newest release whose bpy wheel runs on it (the `render` extra)."""
    return {r.python: r for r in RELEASES}  # RELEASES is oldest first: the last one wins


def supported_text() -> str:
    return ", ".join(r.name + (" LTS" if r.lts else "") for r in RELEASES)


def can_render(saved_by: Version, blender: Version) -> bool:
    """The rule: a Blender renders a file saved by the same or an older Blender."""
    return tuple(blender) >= tuple(saved_by)


def pick(saved_by: Version, available: tuple[Version, ...] | list[Version]) -> Version | None:
    """The oldest available Blender that can render the file, or None when all are older.

    The oldest that qualifies is the file's own version when it is available: the closest to
    what the artist saw.
    """
    fitting = sorted(v for v in available if can_render(saved_by, v))
    return fitting[0] if fitting else None


def for_file(saved_by: Version) -> Release | None:
    """The supported release a file saved by `saved_by` renders in (None: newer than all)."""
    version = pick(saved_by, [r.version for r in RELEASES])
    return None if version is None else release(version)


def newer_than_every_image(saved_by: Version) -> str:
    """Why a file saved by `saved_by` has no image new enough, and the fixes: the words of both
    `submit`'s refusal and the render child's, so the two cannot drift."""
    saved = format_version(saved_by)
    return (
        f"newer than every Blender this blendbatch has an image for (the newest is "
        f"{NEWEST.name}): update blendbatch to one with an image for Blender {saved}, or open "
        f"the file in Blender {NEWEST.name} and save it there (what the newer Blender added is "
        "dropped)"
    )


def job_definition_name(base: str, version: Version) -> str:
    """`blendbatch-blender-5-3`: the job definition that runs Blender `version`'s image."""
    return f"{base}-blender-{version[0]}-{version[1]}"


def job_definition_version(name: str) -> Version | None:
    """The Blender version a routed job-definition name ends with (None when it has none)."""
    match = re.search(r"-blender-(\d+)-(\d+)$", name)
    return (int(match[1]), int(match[2])) if match else None
