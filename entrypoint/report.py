"""The job report's data: the slice manifests of an output -> one plain dict a page is drawn from.

Pure: imports no bpy, boto3 or subprocess. Everything comes from what the render children
recorded (frame records and run records, entrypoint/manifest.py) plus the names and facts the
stitch knows (the video, its previews, the frames `--allow-gaps` let through).
"""

from __future__ import annotations

import datetime
import json
from fractions import Fraction

from entrypoint import reportwarnings
from entrypoint.manifest import latest_records, scene_record
from entrypoint.reportwarnings import index

MODEL_FORMAT = 1


def build(
    manifests: list[dict],
    *,
    files: dict[str, str],
    video: dict | None = None,
    gaps: str | None = None,
    price_per_hour: float | None = None,
    price_source: str | None = None,
) -> dict:
    """The report model of one output.

    `files` names the video and its previews (`video`, `poster`, `sheet`: relative to the
    report); `video` holds the stitch's own settings and facts (codec, crf, ...); `gaps` is
    the stitch's description of frames `--allow-gaps` held over; `price_per_hour` (per child,
    i.e. per running job; `price_source` says where it came from) gives an estimated cost of
    the children's running time; without one the cost is None and `cost_note` says how to
    get one (never a cost of 0).
    """
    scene = scene_record(manifests)
    latest = latest_records([_tagged(m) for m in manifests])
    counts: dict[int, int] = {}
    for m in manifests:
        for r in _records(m):
            counts[r["frame"]] = counts.get(r["frame"], 0) + 1
    children = [_child(m) for m in sorted(manifests, key=index)]
    outcome = {(c["child"], run["attempt"]): run["state"] for c in children for run in c["runs"]}
    bars = [
        _bar(position, frame, latest.get(frame), counts.get(frame, 0), scene.rate, outcome)
        for position, frame in enumerate(scene.frames)
    ]
    _place_on_timeline(children)
    runs = [run for c in children for run in c["runs"]]
    every = [r for m in manifests for r in _records(m)]
    render_seconds = sum(_number(r.get("seconds")) for r in every)
    child_seconds = sum(run["end"] - run["start"] for run in runs)
    totals = {
        "frames": len(scene.frames),
        "renders": len(every),
        "render_seconds": round(render_seconds, 3),
        "render_hours": round(render_seconds / 3600, 4),
        "child_seconds": round(child_seconds, 3),
        "wall_seconds": round(max((run["end"] for run in runs), default=0.0), 3),
        "children": len(children),
        "retries": sum(1 for run in runs if run["attempt"] > 1),
        "reclaims": sum(1 for run in runs if run["state"] == "terminated"),
    }
    totals |= cost(child_seconds, price_per_hour, price_source)
    blender = sorted({str(b["blender"]) for b in bars if b["blender"]})
    return {
        "format": MODEL_FORMAT,
        "scene": {
            "name": scene.name,
            "frames": len(scene.frames),
            "first": scene.frames[0] if scene.frames else None,
            "last": scene.frames[-1] if scene.frames else None,
            "rate": str(scene.rate),
            "extension": scene.extension,
            "proxies": _proxies(manifests),
        },
        "files": dict(files),
        "video": dict(video or {}),
        "bars": bars,
        "children": children,
        "totals": totals,
        "settings": _settings(manifests),
        "blender": blender,
        "warnings": reportwarnings.warnings(manifests, bars, children, gaps),
    }


UNKNOWN_COST = (
    "unknown (pass --price-per-hour and --vcpus, or --instance, to `blendbatch estimate` for "
    "this render before it runs: the report takes the price of its stored estimate)"
)
PRICES_CHANGE = "an estimate: prices change (Spot by the hour and zone)"


def cost(child_seconds: float, price_per_hour: float | None, source: str | None) -> dict:
    """The totals' cost: children's hours x the price of a child-hour, or unknown."""
    if price_per_hour is None:
        return {"cost": None, "price_per_hour": None, "cost_note": UNKNOWN_COST}
    note = source or "price given"
    if "prices change" not in note:
        note = f"{note}; {PRICES_CHANGE}"
    return {
        "cost": round(child_seconds / 3600 * price_per_hour, 4),
        "price_per_hour": price_per_hour,
        "cost_note": note,
    }


def price_of(estimate: dict | None, fingerprint: str | None) -> tuple[float | None, str | None]:
    """(price of a child-hour, where it came from) from a stored estimate of this render
    (`blendbatch estimate`'s JSON, format 1); (None, None) when there is none or it does not
    match the fingerprint."""
    if not isinstance(estimate, dict) or estimate.get("fingerprint") != fingerprint:
        return None, None
    try:
        projection = estimate["projection"]
        price = projection["price"]
        per_hour = float(price["per_child_hour"])
        source = f"{projection['vcpus']} vCPUs a child, {price['source']}"
    except (KeyError, TypeError, ValueError):
        return None, None
    return per_hour, f"{source} (from estimate {fingerprint[:8]}...)"


def _proxies(manifests: list[dict]) -> str | None:
    """The proxies' extension when every child made them (OpenEXR frames), else None."""
    kinds = {m.get("proxies") for m in manifests}
    return kinds.pop() if len(kinds) == 1 else None


def _records(manifest: dict) -> list[dict]:
    rendered = manifest.get("rendered")
    if not isinstance(rendered, list):
        return []
    return [r for r in rendered if isinstance(r, dict) and isinstance(r.get("frame"), int)]


def _tagged(manifest: dict) -> dict:
    """The manifest with each frame record knowing its child (the manifest's index)."""
    return {"rendered": [r | {"child": index(manifest)} for r in _records(manifest)]}


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _bytes(value) -> int | None:
    """A byte count from a manifest; None for anything else (older manifests carry none)."""
    valid = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return value if valid else None


def _attempt(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def _state(outcome) -> str:
    """A run's outcome in one word: complete, terminated (a Spot reclaim), failed, running."""
    text = str(outcome or "running")
    for state in ("complete", "terminated", "failed"):
        if text.startswith(state):
            return state
    return "running"


def _bar(position, frame, record, renders, rate: Fraction, outcome) -> dict:
    record = record or {}
    child, attempt = record.get("child"), _attempt(record.get("attempt"))
    seconds = record.get("seconds")
    return {
        "frame": frame,
        "time": round(float(position / rate), 6),  # where the frame starts in the video
        "seconds": _number(seconds) if seconds is not None else None,
        "child": child,
        "attempt": attempt if record else None,
        "host": record.get("host"),
        "blender": record.get("blender"),
        "peak_rss_bytes": _bytes(record.get("peak_rss_bytes")),
        "renders": renders,
        "retried": bool(record) and attempt > 1,
        "reclaimed": outcome.get((child, attempt)) == "terminated",
    }


def _time(text) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _child(manifest: dict) -> dict:
    runs = manifest.get("runs") if isinstance(manifest.get("runs"), list) else []
    written: dict[int, list[str]] = {}
    for r in _records(manifest):
        if r.get("written"):
            written.setdefault(_attempt(r.get("attempt")), []).append(str(r["written"]))
    shown = []
    for run in runs:
        if not isinstance(run, dict):
            continue
        attempt = _attempt(run.get("attempt"))
        # A killed process records no end: its last uploaded frame is the last sign of life.
        last = max(written.get(attempt, []), default=None)
        shown.append(
            {
                "attempt": attempt,
                "host": run.get("host"),
                "started": run.get("started"),
                "finished": run.get("finished"),
                "until": run.get("finished") or last or run.get("started"),
                "outcome": str(run.get("outcome") or "running"),
                "state": _state(run.get("outcome")),
                "rendered": len(run.get("rendered") or []),
                "skipped": len(run.get("skipped") or []),
            }
        )
    return {"child": index(manifest), "frames": len(manifest.get("slice") or []), "runs": shown}


def _place_on_timeline(children: list[dict]) -> None:
    """Give each run `start` and `end` in seconds from the first child's start."""
    runs = [run for c in children for run in c["runs"]]
    starts = [t for run in runs if (t := _time(run["started"]))]
    origin = min(starts, default=None)
    for run in runs:
        began, until = _time(run["started"]), _time(run["until"])
        start = (began - origin).total_seconds() if began and origin else 0.0
        end = (until - origin).total_seconds() if until and origin else start
        run["start"], run["end"] = round(start, 3), round(max(start, end), 3)
        del run["until"]


def _settings(manifests: list[dict]) -> list[list[str]]:
    """[key, value] of the children's effective settings; values that differ are all shown."""
    values: dict[str, list[str]] = {}
    for m in sorted(manifests, key=index):
        settings = m.get("settings") if isinstance(m.get("settings"), dict) else {}
        for key, value in settings.items():
            text = value if isinstance(value, str) else json.dumps(value)
            if text not in values.setdefault(str(key), []):
                values[str(key)].append(text)
    return [[key, " | ".join(shown)] for key, shown in sorted(values.items())]
