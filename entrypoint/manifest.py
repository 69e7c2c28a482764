"""The JSON record each render child leaves next to the frames, and reading it back.

Pure: imports no bpy, boto3 or ffmpeg. `stitch` and the submitter learn the scene's frame
list and exact frame rate from these records, never from guesses.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from fractions import Fraction

from entrypoint.errors import BadInput
from entrypoint.fingerprint import short
from entrypoint.frames import format_ranges, frame_rate

# 3: frame records carry fingerprint, blender, checked, written; the top level the fingerprint
# and content id.
FORMAT_VERSION = 3


@dataclass(frozen=True)
class SceneRecord:
    """What every render child of one submission agrees on."""

    name: str
    frames: tuple[int, ...]
    fps: int
    fps_base: float
    extension: str

    @functools.cached_property
    def rate(self) -> Fraction:
        """Exact frame rate: 24 fps with base 1.001 is 24000/1001, not 23.976."""
        return frame_rate(self.fps, self.fps_base)


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
    fingerprint: str | None = None,
    content_id: str | None = None,
    proxies: str | None = None,
    segment: dict | None = None,
) -> bytes:
    """The record of one child: the scene (shared by all) and what this child did.

    `rendered` holds one record per frame render of every attempt so far (frame, seconds,
    bytes, attempt, host, fingerprint, blender, checked, written); `skipped` the frames this
    attempt found done; `runs` one record per attempt (attempt, host, outcome, effective
    settings, devices); `settings`, `fingerprint` and `content_id` the latest attempt's;
    `proxies` the extension of the display-referred proxies under proxies/ (OpenEXR frames:
    `png`, each frame record then has `proxy_bytes`), None without; `segment` the child's
    encode of its slice (entrypoint/segments.py), None until it made one.
    """
    return json.dumps(
        {
            "format": FORMAT_VERSION,
            "index": index,
            "fingerprint": fingerprint,
            "content_id": content_id,
            "scene": scene,
            "extension": extension,
            "proxies": proxies,
            "slice": list(slice_frames),
            "rendered": rendered,
            "skipped": skipped,
            "settings": settings,
            "runs": runs or [],
            "segment": segment,
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


def unreadable_reason(raw: bytes) -> str | None:
    """Why these bytes are not a slice manifest (`empty`, `not JSON`, ...), or None if they are.

    A manifest is JSON of an object with the scene stitch needs.
    """
    if not raw.strip():
        return "empty"
    try:
        manifest = json.loads(raw)
    except ValueError:  # UnicodeDecodeError included
        return "not JSON, or cut short"
    if not isinstance(manifest, dict):
        return f"JSON {type(manifest).__name__}, not a manifest object"
    try:
        _record_of(manifest)
    except BadInput:
        return "not a blendbatch render manifest (no scene, frames, fps or extension)"
    return None


def read_manifest(raw: bytes, uri: str, index: int | None) -> dict:
    """A slice manifest from its bytes; bad input naming it and the fix if it is not one."""
    reason = unreadable_reason(raw)
    if reason is not None:
        raise unreadable(uri, index, reason)
    return json.loads(raw)


def unreadable(uri: str, index: int | None, reason: str) -> BadInput:
    child = f"slice {index}" if index is not None else "its slice"
    return BadInput(
        f"the render manifest {uri} is unreadable ({reason}): delete it, or re-run the render "
        f"child of {child} (AWS_BATCH_JOB_ARRAY_INDEX={index if index is not None else 'N'}), "
        "which renders its frames again and rewrites it"
    )


def previous_runs(raw: bytes | None) -> tuple[list[dict], list[dict], str | None]:
    """(frame records, run records, why unreadable) an earlier attempt of this slice left.

    Each attempt keeps what the ones before it did, so the manifest tells how many times
    every frame was rendered, by which attempt on which host. Records of an unreadable
    manifest cannot vouch for anything: none are kept, and the reason is returned.
    """
    if raw is None:
        return [], [], None
    reason = unreadable_reason(raw)
    if reason is not None:
        return [], [], reason
    earlier = json.loads(raw)
    rendered, runs = earlier.get("rendered"), earlier.get("runs")
    return (
        [r for r in rendered if isinstance(r, dict)] if isinstance(rendered, list) else [],
        [r for r in runs if isinstance(r, dict)] if isinstance(runs, list) else [],
        None,
    )


def latest_records(manifests: list[dict]) -> dict[int, dict]:
    """Frame number -> the record of its latest render, over all the manifests of an output.

    Within a manifest later records are newer; across manifests (slices re-planned with
    another -f) the `written` time decides, and records without one are older than any with.
    """
    latest: dict[int, tuple[tuple[str, int, int], dict]] = {}
    for m, manifest in enumerate(manifests):
        rendered = manifest.get("rendered") if isinstance(manifest, dict) else None
        for position, record in enumerate(rendered if isinstance(rendered, list) else []):
            if not isinstance(record, dict) or not isinstance(record.get("frame"), int):
                continue
            order = (str(record.get("written") or ""), m, position)
            frame = record["frame"]
            if frame not in latest or order > latest[frame][0]:
                latest[frame] = (order, record)
    return {frame: record for frame, (_, record) in latest.items()}


def frames_by_fingerprint(latest: dict[int, dict]) -> dict[str | None, list[int]]:
    """Fingerprint -> the frames whose latest record carries it, each list sorted."""
    groups: dict[str | None, list[int]] = {}
    for frame in sorted(latest):
        groups.setdefault(latest[frame].get("fingerprint"), []).append(frame)
    return groups


def check_one_render(manifests: list[dict], frames: tuple[int, ...]) -> None:
    """Refuse frames whose latest records carry different fingerprints: one video, one render."""
    latest, wanted = latest_records(manifests), set(frames)
    groups = frames_by_fingerprint({f: r for f, r in latest.items() if f in wanted})
    if len(groups) < 2:
        return
    parts = "; ".join(
        f"frames {format_ranges(members)}: fingerprint {short(fingerprint)}"
        for fingerprint, members in sorted(groups.items(), key=lambda item: item[1][0])
    )
    raise BadInput(
        f"not making a video: its frames come from {len(groups)} renders with different "
        f"settings or scene files ({parts}). Re-run the render with the settings you want "
        "(it renders the other frames again), or start over with `--fresh`"
    )


def frames_to_render(
    slice_frames: tuple[int, ...],
    present: dict[int, int],
    recorded: list[dict],
    *,
    fingerprint: str,
    blender: str,
    proxies: dict[int, int] | None = None,
) -> tuple[list[int], list[int], dict[int, str]]:
    """(to render, already done, why each present frame is rendered again) for a slice.

    A frame is done only when it is in the output at the size its latest record gives, and
    that record says it was made with this fingerprint by this Blender and checked complete
    before it was uploaded. A frame no record knows (a lost manifest, another render's file)
    is rendered again: nothing vouches for its pixels. With `proxies` (proxy sizes by frame:
    OpenEXR frames), a frame is done only when its proxy is there too, at its recorded size;
    otherwise the frame is rendered again (the proxy is made from the Render Result).
    """
    latest = latest_records([{"rendered": recorded}])
    todo, done, why = [], [], {}
    for frame in slice_frames:
        if frame not in present:
            todo.append(frame)
            continue
        reason = _stale_reason(present[frame], latest.get(frame), fingerprint, blender)
        if reason is None and proxies is not None:
            reason = _proxy_reason(proxies.get(frame), latest[frame])
        if reason is None:
            done.append(frame)
        else:
            todo.append(frame)
            why[frame] = reason
    return todo, done, why


def _proxy_reason(size: int | None, record: dict) -> str | None:
    if size is None:
        return "its proxy (proxies/) is missing"
    if record.get("proxy_bytes") != size:
        return f"its proxy holds {size} bytes, its record says {record.get('proxy_bytes')}"
    return None


def _stale_reason(size: int, record: dict | None, fingerprint: str, blender: str) -> str | None:
    if size == 0:
        return "the file in the output is empty"
    if record is None:
        return "no manifest records how it was made"
    if record.get("bytes") != size:
        return f"the output holds {size} bytes, its record says {record.get('bytes')}"
    if record.get("fingerprint") != fingerprint:
        return (
            f"made with other settings (fingerprint {short(record.get('fingerprint'))} "
            f"not {short(fingerprint)})"
        )
    if record.get("blender") != blender:
        return f"made by Blender {record.get('blender')}, this is Blender {blender}"
    if record.get("checked") is not True:
        return "it was not checked complete when it was written"
    return None
