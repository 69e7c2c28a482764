"""What the render children recorded about a scene's outside files, as status lines.

Pure: imports no bpy, boto3 or subprocess; slice manifests in, text out.
"""

from __future__ import annotations

SHOWN_MISSING = 10  # files named on the status line; the rest are counted


def outside_lines(manifests: list[dict]) -> list[str]:
    """What the children recorded about outside files, from each slice manifest's latest run:
    how many paths they pointed at fetched copies, and the files missing (rendered anyway with
    --allow-missing). Nothing when no child has recorded it."""
    runs = [m["runs"][-1] for m in manifests if isinstance(m.get("runs"), list) and m["runs"]]
    runs = [r for r in runs if isinstance(r, dict) and ("remapped" in r or "missing" in r)]
    if not runs:
        return []
    remapped = {
        _key(r, ("kind", "name", "written")) for run in runs for r in _list(run, "remapped")
    }
    missing = sorted({_missing_name(m) for run in runs for m in _list(run, "missing")})
    line = f"  outside files: {len(remapped)} remapped; "
    if not missing:
        return [line + "none missing"]
    named = ", ".join(missing[:SHOWN_MISSING])
    more = f" and {len(missing) - SHOWN_MISSING} more" if len(missing) > SHOWN_MISSING else ""
    return [line + f"{len(missing)} missing (allowed): {named}{more}"]


def _list(run: dict, field: str) -> list[dict]:
    items = run.get(field)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _key(item: dict, fields: tuple[str, ...]) -> tuple:
    return tuple(str(item.get(f)) for f in fields)


def _missing_name(item: dict) -> str:
    """`textures/gone.png (image 'gone.png')`: the path inside the project when the child
    knew it, else the path it looked at."""
    where = item.get("layout") or item.get("path")
    return f"{where} ({item.get('kind')} {item.get('name')!r})"
