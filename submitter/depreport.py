"""What `blendbatch deps` prints: a table for people, a stable JSON for programs, the missing list.

Pure: imports no bpy, boto3 or subprocess; `Dependency` records in, text and plain data out.
"""

from __future__ import annotations

import re

from entrypoint.errors import BadInput
from submitter.deps import Dependency, why_missing

JSON_FORMAT = 1
_FRAMES = re.compile(r"^(-?\d+)(?:-(-?\d+))?$")


def parse_frames(text: str) -> tuple[int, ...]:
    """`A-B` (or a single frame `A`) -> the frames A..B."""
    match = _FRAMES.match(text.strip())
    if match is None:
        raise BadInput(f"--frames {text!r} is not A-B (e.g. 1-250) or one frame number")
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) is not None else start
    if end < start:
        raise BadInput(f"--frames {text!r} ends before it starts: write the lower frame first")
    return tuple(range(start, end + 1))


def as_json(found: list[Dependency]) -> dict:
    """The `deps --json` document (schema in docs/design.md, "Dependencies")."""
    return {
        "format": JSON_FORMAT,
        "dependencies": [
            {
                "kind": d.reference.kind,
                "owner": d.reference.owner,
                "written": d.reference.written,
                "packed": d.reference.packed,
                "referrer": str(d.referrer),
                "path": None if d.path is None else str(d.path),
                "files": [str(p) for p in d.files],
                "status": d.status,
                "size": d.size,
                "missing_reason": why_missing(d) if d.status == "missing" else None,
            }
            for d in found
        ],
        "summary": summary(found),
    }


def summary(found: list[Dependency]) -> dict:
    counts = {status: sum(d.status == status for d in found) for status in _STATUSES}
    files = {p for d in found for p in d.files}
    return {
        "dependencies": len(found),
        **counts,
        "files": len(files),
        # A file named twice (the sequencer strip and the clip of one image series) counts once.
        "bytes": sum({d.files: d.size for d in found}.values()),
    }


def table(found: list[Dependency]) -> str:
    rows = [("KIND", "AS WRITTEN", "RESOLVED", "STATUS", "SIZE", "REFERRER")]
    for d in found:
        resolved = "-" if d.path is None else str(d.path)
        if len(d.files) > 1:
            resolved += f" ({len(d.files)} files)"
        where = f"{d.referrer.name} {d.reference.owner}"
        rows.append(
            (d.reference.kind, d.reference.written, resolved, d.status, _size(d.size), where)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    widths.append(0)
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    total = summary(found)
    lines.append(
        f"{total['dependencies']} outside files: {total['found']} found, {total['missing']} "
        f"missing, {total['packed']} packed; {total['files']} files, {_size(total['bytes'])}"
    )
    return "\n".join(lines)


def missing_message(missing: list[Dependency]) -> str:
    lines = [f"{len(missing)} outside file(s) the scene needs are missing:"]
    for d in missing:
        lines.append(
            f"  {d.reference.kind} '{d.reference.written}' of {d.reference.owner} in "
            f"{d.referrer}: {why_missing(d)}"
        )
    lines.append(
        "put each file where the path points (or fix the path in Blender), or pass "
        "--allow-missing to submit/run to render without them"
    )
    return "\n".join(lines)


_STATUSES = ("found", "missing", "packed")


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB"):
        if count < 1024:
            return f"{count} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"
