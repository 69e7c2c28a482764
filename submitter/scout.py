"""Scout frames on this machine, and where estimates are kept.

Each scout is the real render child (`python -m entrypoint render --start F --end F -f 1`,
the command `blendbatch run` would give it) in its own temporary output, one at a time so they
do not share the cores: the child's manifest gives the frame's own seconds, the process's wall
time the rest (start-up), `wait4` its peak memory. The scout frames become a contact sheet.

An estimate is stored under the output (`estimates/<fingerprint>.json` and `.sheet.jpg`) and
copied to this machine's cache (`$XDG_CACHE_HOME/blendbatch/estimates/`), where a dry run,
which calls no AWS, finds it too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from entrypoint import previews, video
from entrypoint.errors import BadInput
from entrypoint.frames import frame_name
from entrypoint.layout import MANIFESTS_DIR, estimate_keys
from entrypoint.overrides import extension_of
from submitter import estimate, local, plan

NO_BLENDER = (
    "rendering scout frames here needs Blender's Python module (bpy), which this Python does "
    "not have: install the render extra (pip install 'blendbatch[render]')"
)


def require_blender(why: str = NO_BLENDER) -> None:
    """BadInput naming the `render` extra unless bpy can be imported here (not imported now:
    it takes seconds; the scouts import it in their own processes)."""
    try:
        found = importlib.util.find_spec("bpy") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise BadInput(why)


def has_blender() -> bool:
    try:
        require_blender()
    except BadInput:
        return False
    return True


def render_scouts(
    render: plan.RenderPlan, frames: tuple[int, ...], workdir: Path, say: Callable[[str], None]
) -> tuple[tuple[estimate.Scout, ...], dict]:
    """Render each of `frames` in its own child; (the scouts, the last child's run record)."""
    scouts, run = [], {}
    for frame in frames:
        child = _scout_plan(render, frame, workdir)
        argv = [sys.executable, "-m", "entrypoint", *plan.render_command(child)]
        scout, run = _one(argv, Path(child.output_root), frame, say)
        scouts.append(scout)
    return tuple(scouts), run


def _scout_plan(render: plan.RenderPlan, frame: int, workdir: Path) -> plan.RenderPlan:
    from dataclasses import replace

    return replace(
        render,
        name=f"scout-{frame_name(frame, 'x')[:-2]}",
        output_uri=str(workdir),
        frames_per_job=1,
        frame_count=1,
        frame_range=(frame, frame),
        make_video=False,  # a scout measures the frame: it makes no segment
    )


def _one(
    argv: list[str], root: Path, frame: int, say: Callable[[str], None]
) -> tuple[estimate.Scout, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_BATCH_JOB_")}
    root.mkdir(parents=True)
    log = root / "child.log"
    say(f"  scout frame {frame}: {shlex.join(argv)}")
    began = time.monotonic()
    with log.open("w") as sink:
        child = subprocess.Popen(
            argv, env=env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        # wait4, not wait: the rusage of this child alone (RUSAGE_CHILDREN is the max of all).
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - began
    if child.returncode != 0:
        raise local._failure([local.ChildResult(f"scout {frame}", child.returncode, wall, log)])
    manifest = json.loads((root / MANIFESTS_DIR / "slice-00000.json").read_bytes())
    record = [r for r in manifest["rendered"] if r["frame"] == frame][-1]
    scout = estimate.Scout(
        frame=frame,
        seconds=float(record["seconds"]),
        wall_seconds=round(wall, 3),
        peak_rss_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
    )
    say(
        f"  scout frame {frame}: {scout.seconds:.2f} s rendering, "
        f"{scout.startup_seconds:.2f} s start-up, {scout.peak_rss_bytes / 2**20:.0f} MiB peak"
    )
    return scout, manifest["runs"][-1]


def contact_sheet(
    render: plan.RenderPlan, frames: tuple[int, ...], workdir: Path, size: tuple[int, int]
) -> Path | None:
    """The scout frames on one labelled sheet; None for OpenEXR (no display transform)."""
    ext = extension_of(render.overrides.file_format or "PNG")
    found = {
        frame: Path(_scout_plan(render, frame, workdir).output_root) / "frames" for frame in frames
    }
    return sheet_of({f: folder / frame_name(f, ext) for f, folder in found.items()}, workdir, size)


def sheet_of(files: dict[int, Path], workdir: Path, size: tuple[int, int]) -> Path | None:
    """A labelled sheet of the frame files (frame -> file); None for OpenEXR frames."""
    frames = tuple(files)
    ext = files[frames[0]].suffix.lstrip(".")
    if ext == "exr":
        return None
    tiles = workdir / "sheet"
    tiles.mkdir()
    sheet_plan = previews.sheet_plan(frames, *size)
    for n, index in enumerate(sheet_plan.picks):
        shutil.copyfile(files[frames[index]], tiles / f"{n:03d}.{ext}")
    out = workdir / "scouts.sheet.jpg"
    pattern = str(tiles / f"%03d.{ext}")
    video.make_picture(previews.sheet_command(video.ffmpeg_exe(), sheet_plan, pattern, str(out)))
    return out


def measured(render: plan.RenderPlan, run: dict) -> dict:
    """Where and how the scouts ran: a projection is only as good as this."""
    settings = run.get("settings", {})
    return {
        "host": socket.gethostname(),
        "cpus": os.cpu_count() or 1,
        "threads": render.overrides.threads or os.cpu_count() or 1,
        "blender": settings.get("blender"),
        "load_average": round(os.getloadavg()[0], 2),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "blendbatch" / "estimates"


def store(root: str, made: estimate.Estimate, sheet: Path | None) -> str | None:
    """Write the estimate (and its sheet) under the output and in the cache; the sheet's
    location, which the stored JSON names."""
    json_key, sheet_key = estimate_keys(made.fingerprint)
    sheet_at = f"{root}/{sheet_key}" if sheet else None
    document = estimate.to_json(_with_sheet(made, sheet_at))
    if root.startswith("s3://"):
        from submitter import aws

        if sheet:
            aws.upload_file(str(sheet), sheet_at)
        aws.put_json(f"{root}/{json_key}", document)
    else:
        if sheet:
            _atomic(Path(sheet_at), sheet.read_bytes())
        _atomic(Path(root) / json_key, json.dumps(document, indent=2).encode())
    _atomic(cache_dir() / f"{made.fingerprint}.json", json.dumps(document, indent=2).encode())
    return sheet_at


def _with_sheet(made: estimate.Estimate, sheet: str | None) -> estimate.Estimate:
    from dataclasses import replace

    return replace(made, sheet=sheet)


def _atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".", delete=False) as temporary:
        temporary.write(data)
    os.replace(temporary.name, path)


def find_stored(
    root: str, fingerprint: str, *, may_call_aws: bool
) -> tuple[estimate.Estimate, str] | None:
    """(a stored estimate for this fingerprint, where it was), looking under the output
    (an S3 output only when AWS may be called) and then in this machine's cache."""
    json_key, _ = estimate_keys(fingerprint)
    places = []
    if not root.startswith("s3://"):
        places.append(str(Path(root) / json_key))
    elif may_call_aws:
        places.append(f"{root}/{json_key}")
    places.append(str(cache_dir() / f"{fingerprint}.json"))
    for place in places:
        document = _read(place)
        if document is None:
            continue
        try:
            found = estimate.from_json(document)
        except ValueError:
            continue
        if found.fingerprint == fingerprint:
            return found, place
    return None


def _read(place: str) -> dict | None:
    if place.startswith("s3://"):
        from submitter import aws

        try:
            return aws.get_json(place)
        except ValueError:  # cut short: not an estimate
            return None
    try:
        return json.loads(Path(place).read_bytes())
    except (OSError, ValueError):
        return None
