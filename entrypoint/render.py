"""`render`: one array child renders its slice of the scene, frame by frame, into the output.

Orchestration only: Blender is reached through `entrypoint.blender`, storage through
`entrypoint.storage`.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import tempfile
import threading
import time
from pathlib import Path

from entrypoint import blender
from entrypoint.errors import BadInput, Terminated
from entrypoint.frames import frame_name, frames_for_index, scene_frames, slice_count
from entrypoint.layout import FRAMES_DIR, frame_key, manifest_key
from entrypoint.manifest import slice_manifest
from entrypoint.settings import RenderSettings
from entrypoint.storage import fetch_file, parse_location

log = logging.getLogger(__name__)


def run_render(settings: RenderSettings) -> None:
    output = parse_location(settings.output_uri)
    stop = _stop_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="blendbatch-render-") as tmp:
        blend = fetch_file(settings.input_uri, Path(tmp))
        blender.open_blend(blend)
        meta = blender.active_scene()
        frames = scene_frames(meta.frame_start, meta.frame_end, meta.frame_step)
        _check_total(frames, settings.total_frames)
        mine = frames_for_index(frames, settings.frames_per_job, settings.index)
        if not mine:
            count = slice_count(len(frames), settings.frames_per_job)
            log.info(
                "AWS_BATCH_JOB_ARRAY_INDEX=%d is past the last slice: %d frames at %d per job "
                "give %d slices (0-%d); nothing to render",
                settings.index,
                len(frames),
                settings.frames_per_job,
                count,
                count - 1,
            )
            return
        render_dir = Path(tmp) / "render"
        render_dir.mkdir()
        extension = blender.prepare_still_output(render_dir)
        log.info(
            "slice %d: frames %d-%d (%d frames) of scene %r",
            settings.index,
            mine[0],
            mine[-1],
            len(mine),
            meta.name,
        )
        present = output.list_dir(FRAMES_DIR)
        rendered, skipped = [], []
        for frame in mine:
            if stop.is_set():
                raise Terminated(f"terminated before frame {frame}; finished frames are saved")
            if present.get(frame_name(frame, extension), 0) > 0:
                log.info("frame %d: already in the output, skipped", frame)
                skipped.append(frame)
                continue
            rendered.append(_render_one(frame, extension, output, settings))
        scene = dataclasses.asdict(meta) | {"frames": list(frames)}
        output.put_bytes(
            slice_manifest(
                index=settings.index,
                scene=scene,
                slice_frames=mine,
                extension=extension,
                rendered=rendered,
                skipped=skipped,
                settings={"frames_per_job": settings.frames_per_job, "blender": blender.version()},
            ),
            manifest_key(settings.index),
        )


def _render_one(frame: int, extension: str, output, settings: RenderSettings) -> dict:
    began = time.monotonic()
    path = blender.render_frame(frame)
    seconds = time.monotonic() - began
    size = path.stat().st_size
    output.put_file(path, frame_key(frame, extension))
    path.unlink()
    log.info("frame %d: %.2f s, %d bytes", frame, seconds, size)
    return {
        "frame": frame,
        "seconds": round(seconds, 3),
        "bytes": size,
        "attempt": settings.attempt,
        "host": settings.host,
    }


def _check_total(frames: tuple[int, ...], total: int | None) -> None:
    """`-t` is the frame count the submission planned its array for.

    Fewer planned than the scene has would leave frames no child renders: refuse it.
    """
    if total is None:
        return
    if total < 1:
        raise BadInput(f"-t {total}: the total frame count must be 1 or more")
    if total < len(frames):
        raise BadInput(
            f"-t {total} but the scene has {len(frames)} frames: the array was planned too "
            "small and some frames would never render; resubmit (blendbatch reads the count)"
        )
    if total > len(frames):
        log.warning(
            "-t %d but the scene has %d frames: children past the end will idle", total, len(frames)
        )


def _stop_on_sigterm() -> threading.Event:
    """Batch sends SIGTERM on Spot reclaim or termination; we stop between frames.

    Python as PID 1 ignores SIGTERM without a handler, so one is always installed.
    """
    stop = threading.Event()

    def handle(signum, _frame):
        log.warning("received signal %d: finishing the frame in flight, then stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    return stop
