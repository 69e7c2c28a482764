"""The JSON record each render child leaves next to the frames, and reading it back.

Pure: imports no bpy, boto3 or ffmpeg. `stitch` and the submitter learn the scene's frame
list and exact frame rate from these records, never from guesses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction

from entrypoint.errors import BadInput

FORMAT_VERSION = 2


@dataclass(frozen=True)
class SceneRecord:
    """What every render child of one submission agrees on."""

    name: str
    frames: tuple[int, ...]
    fps: int
    fps_base: float
    extension: str

    @property
    def rate(self) -> Fraction:
        """Exact frame rate: 24 fps with base 1.001 is 24000/1001, not 23.976."""
        return Fraction(self.fps) / Fraction(self.fps_base).limit_denominator(10000)


def slice_manifest(
    *,
    index: int,
    scene: dict,
    slice_frames: tuple[int, ...],
    extension: str,
    rendered: list[dict],
    skipped: list[int],
    settings: dict,
    runs: list[dict] | None = None,
) -> bytes:
    """The record of one child: the scene (shared by all) and what this child did.

    `rendered` holds one record per frame render of every attempt so far (frame, seconds,
    bytes, attempt, host); `skipped` the frames this attempt found done; `runs` one record per
    attempt (attempt, host, outcome, effective settings, devices); `settings` the latest one's.
    """
    return json.dumps(
        {
            "format": FORMAT_VERSION,
            "index": index,
            "scene": scene,
            "extension": extension,
            "slice": list(slice_frames),
            "rendered": rendered,
            "skipped": skipped,
            "settings": settings,
            "runs": runs or [],
        },
        indent=2,
    ).encode()


def scene_record(manifests: list[dict]) -> SceneRecord:
    """The one scene all manifests describe; disagreeing children mean mixed submissions."""
    if not manifests:
        raise BadInput("no render manifest found: run the render job into this output first")
    records = {_record_of(m) for m in manifests}
    if len(records) > 1:
        names = ", ".join(sorted(f"{r.name} ({len(r.frames)} frames)" for r in records))
        raise BadInput(
            f"the manifests describe different renders ({names}): "
            "use a fresh output location for each submission"
        )
    return records.pop()


def _record_of(manifest: dict) -> SceneRecord:
    try:
        scene = manifest["scene"]
        return SceneRecord(
            name=scene["name"],
            frames=tuple(scene["frames"]),
            fps=int(scene["fps"]),
            fps_base=float(scene["fps_base"]),
            extension=manifest["extension"],
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BadInput(
            f"a render manifest is malformed ({error!r}): re-run the render job"
        ) from None


def previous_runs(raw: bytes | None) -> tuple[list[dict], list[dict]]:
    """(frame records, run records) an earlier attempt of this slice left, oldest first.

    Each attempt keeps what the ones before it did, so the manifest tells how many times
    every frame was rendered, by which attempt on which host.
    """
    if raw is None:
        return [], []
    try:
        earlier = json.loads(raw)
        return list(earlier.get("rendered", [])), list(earlier.get("runs", []))
    except (ValueError, AttributeError, TypeError):
        return [], []


def frames_to_render(
    slice_frames: tuple[int, ...],
    present: dict[int, int],
    recorded: list[dict],
) -> tuple[list[int], list[int]]:
    """(to render, already done) for a slice, given the output's frame sizes by frame number.

    A frame counts as done when it is in the output, is not empty, and has the size the last
    attempt that rendered it recorded (if any did). Writes are atomic, so this is a second line
    of defence against a file someone else put there.
    """
    sizes = {r["frame"]: r.get("bytes") for r in recorded if "frame" in r}
    todo, done = [], []
    for frame in slice_frames:
        size = present.get(frame, 0)
        ok = size > 0 and sizes.get(frame) in (None, size)
        (done if ok else todo).append(frame)
    return todo, done
