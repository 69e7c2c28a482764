"""The scene's frame list, the slice an array index renders, and frame file names.

Pure: imports no bpy, boto3 or ffmpeg. Both the container and the submitter plan with it.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from entrypoint.errors import BadInput

FRAME_NAME = re.compile(r"^(-?\d{4,})\.([A-Za-z0-9]+)$")


def scene_frames(
    start: int,
    end: int,
    step: int = 1,
    *,
    narrow_start: int | None = None,
    narrow_end: int | None = None,
) -> tuple[int, ...]:
    """`range(start, end + 1, step)` of the scene, narrowed to `narrow_start..narrow_end`.

    Narrowing keeps the scene's own step grid: a scene 1-9 by 2 narrowed to 4-9 gives 5, 7, 9.
    """
    if step < 1:
        raise BadInput(f"the scene's frame_step is {step}: set it to 1 or more in Blender")
    if end < start:
        raise BadInput(
            f"the scene ends (frame {end}) before it starts (frame {start}): "
            "fix the frame range in Blender"
        )
    check_narrowing(narrow_start, narrow_end)
    lo = start if narrow_start is None else narrow_start
    hi = end if narrow_end is None else narrow_end
    frames = tuple(f for f in range(start, end + 1, step) if lo <= f <= hi)
    if not frames:
        raise BadInput(
            f"no frame of the scene ({describe_range(start, end, step)}) is "
            f"{_asked(narrow_start, narrow_end)}: pick --start/--end inside the scene's range"
        )
    return frames


def _asked(narrow_start: int | None, narrow_end: int | None) -> str:
    if narrow_end is None:
        return f"at or after --start {narrow_start}"
    if narrow_start is None:
        return f"at or before --end {narrow_end}"
    return f"in --start {narrow_start} --end {narrow_end}"


def describe_range(start: int, end: int, step: int = 1) -> str:
    """'frames 1-50' or 'frames 1-49 by 2', for messages."""
    by = f" by {step}" if step != 1 else ""
    return f"frames {start}-{end}{by}"


def slice_count(frame_count: int, frames_per_job: int) -> int:
    """How many array children cover `frame_count` frames at `frames_per_job` each."""
    check_frames_per_job(frames_per_job)
    return math.ceil(frame_count / frames_per_job)


def check_frames_per_job(frames_per_job: int) -> None:
    if frames_per_job < 1:
        raise BadInput(f"frames per job (-f) is {frames_per_job}: give 1 or more")


def check_index(index: int) -> None:
    if index < 0:
        raise BadInput(f"AWS_BATCH_JOB_ARRAY_INDEX={index} is negative: it counts children from 0")


def check_narrowing(narrow_start: int | None, narrow_end: int | None) -> None:
    if narrow_start is not None and narrow_end is not None and narrow_start > narrow_end:
        raise BadInput(
            f"--start {narrow_start} is after --end {narrow_end}: give a start at or before the end"
        )


def frames_for_index(frames: tuple[int, ...], frames_per_job: int, index: int) -> tuple[int, ...]:
    """Slice `index` of the frame list: `frames[index*f:(index+1)*f]`; empty past the last slice."""
    check_frames_per_job(frames_per_job)
    check_index(index)
    return frames[index * frames_per_job : (index + 1) * frames_per_job]


def frame_name(frame: int, extension: str = "png") -> str:
    """Blender-style name: scene frame number padded to 4 digits (`0001.png`, `-0003.png`)."""
    sign = "-" if frame < 0 else ""
    return f"{sign}{abs(frame):04d}.{extension}"


def parse_frame_name(name: str) -> int | None:
    """The frame number of `0001.png`-style names; None for anything else."""
    match = FRAME_NAME.match(name)
    return int(match.group(1)) if match else None


def format_ranges(frames: list[int] | tuple[int, ...]) -> str:
    """Compact runs of consecutive numbers: [12, 13, 14, 40] -> '12-14, 40'."""
    parts: list[str] = []
    ordered = sorted(set(frames))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ", ".join(parts)


# The rates every codec we encode with plays back (measured, docs/design.md); WebM's
# millisecond timestamps hold VP9 to 1000 fps (encode_plan.Codec.max_rate).
MIN_RATE, MAX_RATE = Fraction(1, 10_000), Fraction(240_000)


def frame_rate(fps: object, fps_base: object) -> Fraction:
    """The scene's exact frame rate `fps / fps_base`; bad input if no video can play at it.

    Blender keeps `fps_base` as a 32-bit float (1.001 is 1.00100004673): the base is the
    fraction with the smallest denominator (up to 10**7) within a float32's precision, so
    24 / 1.001 is 24000/1001 and 24 / 1e-5 is 2400000, never a division by 0.
    """
    try:
        base = Fraction(float(fps_base))
        rate = Fraction(int(fps)) / _simplest(base) if base > 0 else None
    except (TypeError, ValueError, OverflowError):
        rate = None
    if rate is None or not MIN_RATE <= rate <= MAX_RATE:
        said = "not a number" if rate is None else f"{float(rate):g} frames per second"
        raise BadInput(
            f"the scene's frame rate (fps {fps} / fps_base {fps_base}) is {said}: a video plays "
            f"{MIN_RATE} to {MAX_RATE} frames per second; set Frame Rate (and Base) in the "
            "scene's Output Properties to a rate in that range and render again"
        )
    return rate


def _simplest(value: Fraction) -> Fraction:
    for bound in (10**4, 10**5, 10**6, 10**7):
        near = value.limit_denominator(bound)
        if near > 0 and abs(near - value) <= value * Fraction(1, 10**6):
            return near
    return value
