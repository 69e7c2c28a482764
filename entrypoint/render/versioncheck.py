"""Never render a file in an older Blender than the one that saved it without being told to.

An older Blender opens a newer file with "expect loss of data" and may render it wrong with
exit 0 (an object that goes through a node it lacks is missing from every frame). The rule is
`blenderversions.can_render`, the same as the submitter's; the child judges the file by its
header before Blender opens it. Frames of two Blenders never mix in one slice's resume either.
"""

from __future__ import annotations

import logging
from pathlib import Path

from entrypoint import blendheader
from entrypoint.blenderversions import (
    DEFAULT_BASE,
    UnknownVersion,
    Version,
    can_render,
    for_file,
    format_version,
    job_definition_name,
    newer_than_every_image,
    parse_version,
)
from entrypoint.errors import BadInput
from entrypoint.frames import format_ranges
from entrypoint.manifest import latest_records
from entrypoint.render.blendcheck import read_head
from entrypoint.settings import RenderSettings

log = logging.getLogger(__name__)

ALLOW = "--allow-older-blender"


def check_file(path: Path, blender: Version, settings: RenderSettings) -> dict:
    """Refuse (BadInput) a file saved by a newer Blender than `blender`, unless allowed.

    Returns what the run record keeps: `saved_by` (empty when the header is not a .blend's:
    Blender's own refusal then names the problem).
    """
    saved = blendheader.saved_by(read_head(path))
    if saved is None:
        return {}
    if not can_render(saved, blender):
        if not settings.allow_older_blender:
            raise BadInput(
                f"{path.name} was saved by Blender {format_version(saved)} and this image has "
                f"Blender {format_version(blender)}, which may render it wrong without an error "
                f"(what {format_version(saved)} added is lost): {fix(saved)}, or pass {ALLOW} "
                "to render it anyway"
            )
        log.warning(
            "%s: %s was saved by Blender %s; rendering it with this older Blender %s anyway: "
            "what %s added may render differently or not at all",
            ALLOW,
            path.name,
            format_version(saved),
            format_version(blender),
            format_version(saved),
        )
    return {"saved_by": format_version(saved)}


def blender_refused(path: Path, blender: Version, text: str) -> str:
    """Blender's own refusal (the file's minimum version is newer than it), with the fix."""
    saved = blendheader.saved_by(read_head(path))
    said = f"Blender says: {text.strip()}"
    if saved is None:
        return (
            f"Blender {format_version(blender)} cannot open {path.name}: it was saved by a "
            f"newer Blender ({said}); render it with the image for that Blender "
            "(make image BLENDER=X.Y)"
        )
    return (
        f"Blender cannot open {path.name}: it was saved by Blender {format_version(saved)} and "
        f"this image has Blender {format_version(blender)}, too old to open it ({said}): "
        f"{fix(saved)}"
    )


def fix(saved: Version) -> str:
    """Where a file saved by Blender `saved` renders: the image of a Blender new enough."""
    target = for_file(saved)
    if target is None:
        return f"it is {newer_than_every_image(saved)}"
    return (
        f"render it with the image for Blender {target.name} (make image BLENDER={target.name}, "
        f"job definition {job_definition_name(DEFAULT_BASE, target.version)})"
    )


def say_resume(done: list[int], why: dict[int, str], recorded: list[dict], blender: str) -> None:
    """Log the frames resume skips, and why present frames are rendered again: the frames
    another Blender release made in one line per release (their pixels must not mix with this
    Blender's in one video), any other reason frame by frame."""
    for frame in done:
        log.info("frame %d: already in the output, skipped", frame)
    latest = latest_records([{"rendered": recorded}])
    mine = _release(blender)
    others: dict[str, list[int]] = {}
    for frame, reason in why.items():
        theirs = _release((latest.get(frame) or {}).get("blender"))
        if mine is not None and theirs is not None and theirs != mine:
            others.setdefault(theirs, []).append(frame)
        else:
            log.info("frame %d: %s; rendering again", frame, reason)
    for theirs, frames in sorted(others.items()):
        one = len(frames) == 1
        log.info(
            "%s rendered by Blender %s, this is %s: rendering %s again",
            f"frame {frames[0]} was" if one else f"frames {format_ranges(frames)} were",
            theirs,
            mine,
            "it" if one else "them",
        )


def _release(version) -> str | None:
    """The release of a recorded version (5.0.1 -> 5.0); None for anything else."""
    try:
        return format_version(parse_version(str(version))) if version else None
    except UnknownVersion:
        return None
