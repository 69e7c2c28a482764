"""`-f auto`: how many frames each child renders, so each runs about the target time.

Pure: imports no bpy, boto3 or subprocess. A child pays its start-up (container, Blender,
scene load) once, then renders its frames: with `u` seconds of start-up and `s` a frame, a
child of `f` frames runs `u + f * s`. The choice is the `f` nearest the target, at least 1,
with no more children than AWS Batch allows, then evened out over the children it needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from entrypoint.errors import BadInput

AUTO = "auto"
DEFAULT_TARGET_MINUTES = 4.0
MAX_CHILDREN = 10_000


def parse_frames_per_job(text: str) -> int | None:
    """`-f N` -> N; `-f auto` -> None (chosen from an estimate)."""
    if text.strip().lower() == AUTO:
        return None
    try:
        value = int(text)
    except ValueError:
        raise BadInput(
            f"-f {text!r} is not a number of frames: give frames per child (e.g. -f 10) or "
            "-f auto (chosen from `blendbatch estimate`)"
        ) from None
    if value < 1:
        raise BadInput(f"frames per job (-f) is {value}: give 1 or more")
    return value


def fewest_allowed(frames: int, max_children: int = MAX_CHILDREN) -> int:
    """The fewest frames per child that keeps `frames` within `max_children` children."""
    return max(1, math.ceil(frames / max_children))


@dataclass(frozen=True)
class Choice:
    frames_per_child: int
    children: int
    child_seconds: float  # a full child
    reasons: tuple[str, ...]


def choose(
    frames: int,
    startup_seconds: float,
    frame_seconds: float,
    target_minutes: float = DEFAULT_TARGET_MINUTES,
    max_children: int = MAX_CHILDREN,
) -> Choice:
    """Frames per child for `frames` frames (see the module's docstring)."""
    if target_minutes <= 0:
        raise BadInput(f"--target-minutes {target_minutes:g}: give more than 0")
    target = target_minutes * 60
    room = target - startup_seconds
    reasons = [
        f"target {target_minutes:g} min = {target:g} s a child; start-up {startup_seconds:.2f} s, "
        f"{frame_seconds:.2f} s a frame (medians)"
    ]
    if frame_seconds <= 0:
        wanted = frames
        reasons.append("frames take no measurable time: one child renders them all")
    elif room < frame_seconds:
        wanted = 1
        reasons.append(
            f"start-up alone leaves {room:.2f} s, less than one frame: 1 frame per child"
        )
    else:
        wanted = max(1, round(room / frame_seconds))
        reasons.append(f"({target:g} - {startup_seconds:.2f}) / {frame_seconds:.2f} = {wanted}")
    if wanted > frames:
        reasons.append(f"the render has {frames} frames: one child renders them all")
        wanted = frames
    least = fewest_allowed(frames, max_children)
    if wanted < least:
        reasons.append(f"{frames} frames in at most {max_children} children: {least} per child")
        wanted = least
    children = math.ceil(frames / wanted)
    even = math.ceil(frames / children)
    if even != wanted:
        reasons.append(f"{frames} frames over {children} children: {even} per child evens them")
    child = startup_seconds + even * frame_seconds
    plural = "child" if children == 1 else "children"
    reasons.append(f"{even} frames per child, {children} {plural} of about {child:.1f} s")
    return Choice(even, children, child, tuple(reasons))
