"""Frames an earlier render left under an output: how many a new render replaces; `--fresh`.

The submitter computes the new render's fingerprint exactly as the children will
(`entrypoint.fingerprint`) and compares it with the latest record of each frame in the
output's slice manifests, in a local folder (`run`) or in S3 (`submit`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from entrypoint import allowances
from entrypoint.fingerprint import render_fingerprint
from entrypoint.frames import parse_frame_name
from entrypoint.layout import FRAMES_DIR, MANIFESTS_DIR, PROXIES_DIR
from entrypoint.manifest import latest_records
from submitter.plan import RenderPlan

READ_THREADS = 16


def fingerprint_of(render: RenderPlan) -> str | None:
    """The fingerprint the children will stamp on their frames; None when the submitter does
    not know what the pixels come from (no content id)."""
    if render.content_id is None:
        return None
    return render_fingerprint(
        render.content_id,
        render.overrides,
        **allowances.of(render),
    )


def announce(render: RenderPlan, *, fresh: bool, say: Callable[[str], None]) -> None:
    """Before anything starts: `--fresh` empties the output, else say what gets replaced."""
    before_start(render.output_root, fingerprint_of(render), fresh=fresh, say=say)


def replaced(manifests: list[dict], fingerprint: str) -> int:
    """How many frames' latest records carry another fingerprint."""
    latest = latest_records(manifests)
    return sum(1 for record in latest.values() if record.get("fingerprint") != fingerprint)


def before_start(
    root: str, fingerprint: str | None, *, fresh: bool, say: Callable[[str], None]
) -> None:
    """`--fresh`: empty the output's frames and manifests; else say what will be replaced."""
    if fresh:
        frames, others = _remove(root)
        other = f"{others} other file{'' if others == 1 else 's'}"
        say(f"--fresh: removed {_frames(frames)} and {other} of an earlier render from {root}")
        return
    if fingerprint is None:
        return
    count = replaced(read_manifests(root), fingerprint)
    if count:
        say(
            f"{_frames(count)} from an earlier render with other settings will be replaced "
            f"(in {root}; --fresh starts over)"
        )


def _frames(count: int) -> str:
    return f"{count} frame{'' if count == 1 else 's'}"


def read_manifests(root: str) -> list[dict]:
    """The slice manifests under an output (folder or S3); unreadable ones are left out."""
    if root.startswith("s3://"):
        from submitter import aws

        uris = [
            f"s3://{aws.split_s3_uri(root)[0]}/{key}"
            for key in aws.list_keys(f"{root}/{MANIFESTS_DIR}")
            if key.endswith(".json")
        ]
        with ThreadPoolExecutor(READ_THREADS) as pool:
            return [m for m in pool.map(_get_json_or_none, uris) if isinstance(m, dict)]
    folder = Path(root) / MANIFESTS_DIR
    found = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return [m for m in map(_load_or_none, found) if isinstance(m, dict)]


def _get_json_or_none(uri: str) -> dict | None:
    from submitter import aws

    try:
        return aws.get_json(uri)
    except ValueError:  # a manifest cut short: it vouches for nothing
        return None


def _load_or_none(path: Path) -> dict | None:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def _remove(root: str) -> tuple[int, int]:
    """Delete everything under `<root>/frames/`, `proxies/` (the OpenEXR frames' stand-ins)
    and `manifests/`; (frames, others)."""
    frames = others = 0
    for folder in (FRAMES_DIR, PROXIES_DIR, MANIFESTS_DIR):
        names = _delete_folder(root, folder)
        counted = sum(1 for n in names if folder == FRAMES_DIR and parse_frame_name(n) is not None)
        frames, others = frames + counted, others + len(names) - counted
    return frames, others


def _delete_folder(root: str, folder: str) -> list[str]:
    """Delete the files of one folder of the output (not below it); their names."""
    if root.startswith("s3://"):
        from submitter import aws

        bucket = aws.split_s3_uri(root)[0]
        keys = aws.list_keys(f"{root}/{folder}")
        aws.delete_keys(bucket, keys)
        return [k.rpartition("/")[2] for k in keys]
    path = Path(root) / folder
    names = []
    for item in sorted(path.iterdir()) if path.is_dir() else []:
        if item.is_file() or item.is_symlink():
            item.unlink()
            names.append(item.name)
    return names
