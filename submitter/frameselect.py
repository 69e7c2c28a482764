"""Which frames a render produces, as the child will list them, and `--frames A-B`.

Pure: imports no bpy, boto3 or subprocess. `submit`, `run` and `estimate` count frames here
with the child's own `entrypoint.frames.scene_frames`, so the plan and the children agree.
"""

from __future__ import annotations

import re

from entrypoint.errors import BadInput
from entrypoint.frames import scene_frames
from submitter import blendfile


def count_frames(
    info: blendfile.BlendInfo | None,
    scene: str | None,
    step: int | None,
    frames: tuple[int, int] | None,
) -> int:
    """How many frames the render produces, as the child will count them (`render_frames`)."""
    return len(render_frames(info, scene, step, frames))


def render_frames(
    info: blendfile.BlendInfo | None,
    scene: str | None,
    step: int | None,
    frames: tuple[int, int] | None,
) -> tuple[int, ...]:
    """The frames the render produces, as the child will list them: the scene's range by its
    step (or `--step`), narrowed to `--frames`. `info` None: a dry run that did not read the
    .blend lists `--frames` by `--step` alone."""
    lo, hi = frames if frames else (None, None)
    if info is None:
        if frames is None:
            raise BadInput(
                "a dry run does not read the .blend in S3: pass --frames A-B (and --step), "
                "or --upload LOCAL.blend"
            )
        return tuple(scene_frames(frames[0], frames[1], step or 1))
    picked = blendfile.pick_scene(info, scene)
    effective = step or picked.step or 1
    return tuple(scene_frames(picked.start, picked.end, effective, narrow_start=lo, narrow_end=hi))


def parse_frames(text: str) -> tuple[int, int]:
    """`--frames A-B` (or a single frame `A`; negative frames as in `-5--1`)."""
    match = re.fullmatch(r"\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*)?", text)
    if not match:
        raise BadInput(f"--frames {text!r} is not a range: write it as A-B, e.g. --frames 1-250")
    start = int(match[1])
    end = int(match[2]) if match[2] is not None else start
    if end < start:
        raise BadInput(f"--frames {text}: {end} is before {start}; write the lower frame first")
    return start, end
