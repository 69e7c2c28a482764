"""The job report's warnings: what the children were allowed to do, and what looks wrong.

Pure: imports no bpy, boto3 or subprocess. From the slice manifests and the report model's bars
and children (entrypoint/report.py).
"""

from __future__ import annotations

from entrypoint.blenderversions import UnknownVersion, can_render, parse_version
from entrypoint.frames import format_ranges

SHOWN_MISSING = 20  # outside files named one by one in the warnings; the rest are counted


def index(manifest: dict) -> int:
    """The child a slice manifest is from; -1 when it names none."""
    index = manifest.get("index")
    return index if isinstance(index, int) else -1


def _latest_runs(manifests: list[dict]) -> list[dict]:
    runs = [m.get("runs") for m in sorted(manifests, key=index)]
    return [r[-1] for r in runs if isinstance(r, list) and r and isinstance(r[-1], dict)]


def warnings(manifests, bars, children, gaps: str | None) -> list[str]:
    warnings = []
    if gaps:
        warnings.append(
            f"--allow-gaps: frames {gaps} are NOT in the video; the frame before each "
            "(or the first good one) is held in their place"
        )
    latest = _latest_runs(manifests)
    missing = _distinct(
        (str(f.get("kind")), str(f.get("name")), str(f.get("path")))
        for run in latest
        for f in run.get("missing") or []
        if isinstance(f, dict)
    )
    for kind, name, path in missing[:SHOWN_MISSING]:
        warnings.append(f"--allow-missing: rendered without the {kind} {name!r}: {path}")
    if len(missing) > SHOWN_MISSING:
        warnings.append(f"--allow-missing: {len(missing) - SHOWN_MISSING} more missing files")
    for name in _distinct(str(n) for run in latest for n in run.get("unbaked") or []):
        warnings.append(
            f"--allow-unbaked: {name} is simulated from each child's first frame, so its "
            "frames depend on -f"
        )
    for saved, blender in _distinct(_older_blender(run) for run in latest):
        if saved:
            warnings.append(
                f"--allow-older-blender: rendered by an older Blender than the file's (saved "
                f"by Blender {saved}, rendered by Blender {blender}): what {saved} added may "
                "be missing from the frames"
            )
    nodes = _distinct(
        (str(n.get("tree")), str(n.get("node")))
        for run in latest
        for n in run.get("file_outputs") or []
        if isinstance(n, dict)
    )
    for tree, node in nodes:
        warnings.append(
            f"--allow-file-output: the File Output node {node!r} of {tree!r} wrote files "
            "(kept under passes/)"
        )
    versions: dict[str, list[int]] = {}
    for bar in bars:
        if bar["blender"]:
            versions.setdefault(str(bar["blender"]), []).append(bar["frame"])
    if len(versions) > 1:
        parts = ", ".join(f"{v} (frames {format_ranges(f)})" for v, f in sorted(versions.items()))
        warnings.append(f"frames were made by different Blender versions: {parts}")
    for child in children:
        for run in child["runs"]:
            if run["state"] == "running":
                warnings.append(
                    f"child {child['child']} attempt {run['attempt']} recorded no end (its "
                    "process was killed, or is still running)"
                )
    return warnings


def _older_blender(run: dict) -> tuple[str, str] | tuple[None, None]:
    """(saved-by, rendering Blender) of a run whose Blender is older than the file's."""
    settings = run.get("settings") if isinstance(run.get("settings"), dict) else {}
    saved, blender = run.get("saved_by"), settings.get("blender")
    try:
        if not can_render(parse_version(str(saved)), parse_version(str(blender))):
            return str(saved), str(blender)
    except UnknownVersion:
        pass
    return None, None


def _distinct(items) -> list:
    seen: list = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
