"""Each render child's own encode of its slice (`segments/slice-NNNNN.<ext>`), and the stitch's
choice between joining those segments and encoding the whole video again.

Pure: imports no bpy, boto3 or subprocess. A segment is named by its slice (layout.segment_key)
and described by the `segment` record of its slice manifest; the stitch joins the segments only
when every slice has one that holds exactly the frames the manifests call latest, encoded with
the settings the stitch was asked for.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction

from entrypoint.encode_plan import Codec
from entrypoint.layout import segment_key
from entrypoint.manifest import SceneRecord, latest_records

# What decides a frame file's content, from its latest record (fingerprint: the render's
# settings; bytes and written: which render of it; proxy_bytes: its OpenEXR proxy).
_FRAME_FIELDS = ("frame", "fingerprint", "blender", "bytes", "proxy_bytes", "written")


def frames_fingerprint(latest: dict[int, dict], frames: list[int] | tuple[int, ...]) -> str:
    """Which renders of `frames` a segment holds: 32 hex of sha256 over their latest records."""
    rows = [[(latest.get(f) or {}).get(k) for k in _FRAME_FIELDS] for f in frames]
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()[:32]


def segment_extension(codec: Codec) -> str:
    return codec.suffix.lstrip(".")


def segment_record(
    *,
    index: int,
    frames: list[int],
    fingerprint: str,
    codec: Codec,
    crf: int | None,
    size: tuple[int, int],
    rate: Fraction,
    size_bytes: int,
    seconds: float,
) -> dict:
    """The slice manifest's `segment`: what the segment holds and how it was encoded."""
    return {
        "key": segment_key(index, segment_extension(codec)),
        "frames": list(frames),
        "frames_fingerprint": fingerprint,
        "codec": codec.name,
        "crf": crf,
        "width": size[0],
        "height": size[1],
        "rate": f"{rate.numerator}/{rate.denominator}",
        "pix_fmt": codec.pix_fmt,
        "bytes": size_bytes,
        "seconds": round(seconds, 3),
    }


@dataclass(frozen=True)
class JoinPlan:
    """The segments to join, in slice order (keys under the output), and their frame size."""

    keys: tuple[str, ...]
    width: int
    height: int


def choose_join(
    manifests: list[dict],
    record: SceneRecord,
    codec: Codec,
    crf: int | None,
    present: dict[str, int],
) -> JoinPlan | str:
    """The join, or why the whole video must be encoded instead.

    `present` maps the names under segments/ to their sizes. The slices, in index order, must
    cover the video's frames exactly; each must have a segment record whose file is present at
    its size (else missing), whose frames are the manifests' latest renders of them (else
    stale), and whose codec, quality, size, rate and pixel format are the ones asked for and
    its neighbours' (else inconsistent).
    """
    ordered = sorted(manifests, key=lambda m: m.get("index", -1))
    covered = [f for m in ordered for f in m.get("slice") or []]
    if covered != list(record.frames):
        return "the slice manifests do not cover the video's frames once each, in order"
    latest = latest_records(manifests)
    rate = f"{record.rate.numerator}/{record.rate.denominator}"
    wanted = {"codec": codec.name, "crf": crf, "rate": rate, "pix_fmt": codec.pix_fmt}
    keys, sizes = [], set()
    for manifest in ordered:
        index, segment = manifest.get("index"), manifest.get("segment")
        if not isinstance(segment, dict):
            return f"slice {index} has no segment (its child made none)"
        key = segment.get("key")
        name = str(key).rpartition("/")[2]
        if key != segment_key(index, segment_extension(codec)) or name not in present:
            return f"slice {index}'s segment {key} is missing"
        if present[name] != segment.get("bytes"):
            return (
                f"slice {index}'s segment holds {present[name]} bytes, its record says "
                f"{segment.get('bytes')}"
            )
        reason = _stale(segment, manifest.get("slice") or [], latest)
        if reason:
            return f"slice {index}'s segment is stale ({reason})"
        for field, value in wanted.items():
            if segment.get(field) != value:
                return (
                    f"slice {index}'s segment is inconsistent ({field} {segment.get(field)!r}, "
                    f"the video's is {value!r})"
                )
        sizes.add((segment.get("width"), segment.get("height")))
        if len(sizes) > 1:
            return f"slice {index}'s segment is inconsistent (sizes {sorted(sizes)} differ)"
        keys.append(key)
    width, height = sizes.pop()
    return JoinPlan(tuple(keys), int(width), int(height))


def _stale(segment: dict, frames: list[int], latest: dict[int, dict]) -> str | None:
    if segment.get("frames") != list(frames):
        return "it holds other frames than the slice"
    if segment.get("frames_fingerprint") != frames_fingerprint(latest, frames):
        return "its frames were rendered again after it was made"
    return None


def concat_list(paths: list[str]) -> str:
    """The concat demuxer's list file: one `file '<path>'` line each, quotes escaped."""
    return "".join("file '" + p.replace("'", "'\\''") + "'\n" for p in paths)
