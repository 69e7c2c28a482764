"""`render`: one array child renders its slice of the scene, frame by frame, into the output.

Orchestration only: Blender is reached through `entrypoint.render.blender`, storage through
`entrypoint.storage`. Cheap checks run before anything is downloaded, and nothing is written
to the output until the first frame is done, so bad input leaves the output untouched.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from entrypoint.errors import BadInput, Terminated, disk_full
from entrypoint.frames import (
    check_frames_per_job,
    check_index,
    check_narrowing,
    frame_rate,
    frames_for_index,
    parse_frame_name,
    scene_frames,
    slice_count,
)
from entrypoint.layout import (
    FRAMES_DIR,
    MANIFESTS_DIR,
    PASSES_DIR,
    check_output_names,
    frame_key,
    manifest_key,
)
from entrypoint.manifest import frames_to_render, previous_runs, slice_manifest
from entrypoint.overrides import extension_of, mismatches, requested
from entrypoint.render import blender, outside, scenecheck, texcache
from entrypoint.render.blendcheck import check_blend_complete
from entrypoint.render.project import Project, fetch_project
from entrypoint.render.provenance import Provenance, check_frame_file, provenance
from entrypoint.render.stopping import StopSignal
from entrypoint.render.uploads import FrameUploader, put_passes
from entrypoint.settings import RenderSettings
from entrypoint.storage import Location, parse_location, split_file_uri

log = logging.getLogger(__name__)


def run_render(settings: RenderSettings) -> None:
    # Under a file size limit, a write past it then fails with EFBIG instead of killing us.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    output = _check_request(settings)
    with tempfile.TemporaryDirectory(prefix="blendbatch-render-") as tmp:
        try:
            _render_slice(settings, output, Path(tmp))
        except OSError as error:
            full = disk_full(error, tmp)
            if full is None:
                raise
            raise full from None


def _render_slice(settings: RenderSettings, output: Location, tmp: Path) -> None:
    stop = StopSignal(settings.stop_grace)
    extension = extension_of(settings.overrides.file_format)
    # Not overlapped with Blender's start-up: a thread importing boto3 (dlopen of C
    # extensions) while `import bpy` runs deadlocked on the loader lock vs the GIL.
    project, done_before = _fetch(settings, output, extension, tmp)
    check_blend_complete(project.blend)
    made = provenance(settings, project.blend)
    blender.open_blend(project.blend, allow_scripts=settings.allow_scripts)
    meta = blender.select_scene(settings.overrides.scene)
    frame_rate(meta.fps, meta.fps_base)  # a rate no video plays: refused before any frame
    remapped = outside.remap(project.manifest, project.folder) if project.manifest else []
    frames = scene_frames(
        meta.frame_start,
        meta.frame_end,
        meta.frame_step,
        narrow_start=settings.narrow_start,
        narrow_end=settings.narrow_end,
    )
    _check_total(frames, settings.total_frames)
    render_dir = tmp / "render"
    render_dir.mkdir()
    effective = _apply(settings, render_dir)
    texcache.keep_out_of_inputs(tmp / "texture-cache")
    found = scenecheck.check_scene(settings, tmp, tmp / PASSES_DIR)
    meta = blender.active_scene()  # the resolution the frames really have
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
    log.info(
        "slice %d: frames %d-%d (%d frames) of scene %r",
        settings.index,
        mine[0],
        mine[-1],
        len(mine),
        meta.name,
    )
    missing = _check_outside(mine, settings.allow_missing, project.folder)
    scene = dataclasses.asdict(meta) | {"frames": list(frames)}
    job = SliceJob(settings, output, scene, mine, effective, render_dir, done_before, made)
    job.run_record |= {"remapped": remapped, "missing": missing, **found}
    stop.on_abandon(job.abandon)
    job.run(stop)


@dataclasses.dataclass(frozen=True)
class DoneBefore:
    """What earlier attempts left in the output: frame sizes by number, their manifest."""

    present: dict[int, int]
    manifest: bytes | None


def _fetch(
    settings: RenderSettings, output: Location, extension: str, workdir: Path
) -> tuple[Project, DoneBefore]:
    project = fetch_project(
        settings.input_uri, settings.deps_uri, workdir, input_etag=settings.input_etag
    )
    present = {}
    linked = output.links(FRAMES_DIR)  # not ours: rendered again, the link replaced
    for name, size in output.list_dir(FRAMES_DIR).items():
        frame = parse_frame_name(name)
        if frame is not None and name.endswith("." + extension) and name not in linked:
            present[frame] = size
    key = manifest_key(settings.index)
    name = key.rpartition("/")[2]
    earlier = name in output.list_dir(MANIFESTS_DIR) and name not in output.links(MANIFESTS_DIR)
    return project, DoneBefore(present, output.get_bytes(key) if earlier else None)


def _check_outside(frames: list[int], allow_missing: bool, folder: Path) -> list[dict]:
    """Refuse (before any frame) to render with an outside file missing, unless allowed."""
    missing = outside.find_missing(frames, folder)
    lines = [f"  {m['kind']} {m['name']!r}: {m['path']}" for m in missing]
    if missing and not allow_missing:
        raise BadInput(
            f"{len(missing)} outside file(s) the frames need are missing:\n"
            + "\n".join(lines)
            + "\nadd them to the project and submit with --upload, or pass --allow-missing "
            "to render without them"
        )
    for item in missing:
        log.warning(
            "--allow-missing: rendering without the missing %s %r: %s",
            item["kind"],
            item["name"],
            item["path"],
        )
    return missing


def _check_request(settings: RenderSettings) -> Location:
    """Everything that can be judged before downloading the .blend."""
    output = parse_location(settings.output_uri)
    check_output_names(output.uri)
    split_file_uri(settings.input_uri)
    check_frames_per_job(settings.frames_per_job)
    check_index(settings.index)
    check_narrowing(settings.narrow_start, settings.narrow_end)
    return output


def _apply(settings: RenderSettings, render_dir: Path) -> dict:
    """Apply the overrides and the device, then insist that Blender kept every one of them."""
    overrides = settings.overrides
    blender.apply_overrides(overrides, render_dir)
    devices = blender.use_device(overrides.device)
    effective = blender.effective_settings() | {"device": overrides.device, "devices": devices}
    problems = mismatches(requested(overrides), effective)
    if problems:
        raise BadInput(
            "Blender did not take these overrides: " + "; ".join(problems) + ": pick values the "
            "scene and this Blender support"
        )
    effective |= {
        "blender": blender.version(),
        "allow_scripts": settings.allow_scripts,
        "allow_file_output": settings.allow_file_output,
        "allow_unbaked": settings.allow_unbaked,
        "allow_older_blender": settings.allow_older_blender,
    }
    log.info("devices: %s", ", ".join(devices))
    log.info("effective settings: %s", effective)
    return effective


class SliceJob:
    """One attempt at one slice: resume, render, upload behind, keep the manifest current."""

    def __init__(
        self, settings, output, scene, frames, effective, render_dir, before, made
    ) -> None:
        self.settings, self.output, self.scene, self.frames = settings, output, scene, frames
        self.made: Provenance = made
        self.effective, self.render_dir, self.present = effective, render_dir, before.present
        self.extension = extension_of(effective["file_format"])
        self.rendered, runs, unreadable = previous_runs(before.manifest)
        if unreadable:
            log.warning(
                "the slice's earlier manifest %s is unreadable (%s): its records cannot be "
                "trusted; rendering the slice's frames again",
                output.child_uri(manifest_key(settings.index)),
                unreadable,
            )
        self.run_record = {
            "attempt": settings.attempt,
            "host": settings.host,
            "started": _now(),
            "outcome": "running",
            "rendered": [],
            "skipped": [],
            "settings": effective,
        }
        self.runs = [*runs, self.run_record]
        self.manifest_lock = threading.Lock()
        self.commit_lock = threading.Lock()
        self.uploader = FrameUploader(output, self._uploaded)

    def run(self, stop: StopSignal) -> None:
        todo, done, why = frames_to_render(
            self.frames,
            self.present,
            self.rendered,
            fingerprint=self.made.fingerprint,
            blender=self.made.blender,
        )
        self.run_record["skipped"] = done
        for frame in done:
            log.info("frame %d: already in the output, skipped", frame)
        for frame, reason in why.items():
            log.info("frame %d: %s; rendering again", frame, reason)
        try:
            for frame in todo:
                if stop.requested.is_set():
                    raise Terminated(f"terminated before frame {frame}; finished frames are saved")
                self.uploader.raise_if_failed()
                with stop.frame_in_flight():
                    log.info("frame %d: rendering", frame)
                    began = time.monotonic()
                    path = blender.render_frame(frame)
                    seconds = time.monotonic() - began
                self._commit(frame, path, seconds)
            self.uploader.close()
        except Terminated:
            self._finish("terminated")
            raise
        except BaseException as error:
            self._finish(f"failed: {error}")
            raise
        self._finish("complete")

    def abandon(self) -> None:
        """From the SIGTERM watcher: keep the frame in flight out, save what is finished."""
        self.commit_lock.acquire()  # never released: the process exits
        self._finish("terminated (the frame in flight was abandoned)")
        shutil.rmtree(self.render_dir, ignore_errors=True)

    def _commit(self, frame: int, path: Path, seconds: float) -> None:
        size = check_frame_file(frame, path, self.extension)
        log.info("frame %d: %.2f s, %d bytes", frame, seconds, size)
        record = {
            "frame": frame,
            "seconds": round(seconds, 3),
            "bytes": size,
            "attempt": self.settings.attempt,
            "host": self.settings.host,
            "fingerprint": self.made.fingerprint,
            "blender": self.made.blender,
            "checked": True,
        }
        if self.settings.allow_file_output:
            passes = self.render_dir.parent / PASSES_DIR
            record["passes"] = put_passes(self.output, passes, frame) if passes.is_dir() else []
        with self.commit_lock:
            self.uploader.submit(path, frame_key(frame, self.extension), record)

    def _uploaded(self, record: dict) -> None:
        with self.manifest_lock:
            self.rendered.append(record | {"written": _now(precise=True)})
            self.run_record["rendered"].append(record["frame"])
            self._write_manifest()

    def _finish(self, outcome: str) -> None:
        try:
            self.uploader.close()
        except BaseException as error:
            outcome = outcome if outcome.startswith("failed") else f"failed: {error}"
        with self.manifest_lock:
            self.run_record["outcome"] = outcome
            self.run_record["finished"] = _now()
            self._write_manifest()

    def _write_manifest(self) -> None:
        data = slice_manifest(
            index=self.settings.index,
            scene=self.scene,
            slice_frames=self.frames,
            extension=self.extension,
            rendered=self.rendered,
            skipped=self.run_record["skipped"],
            settings=self.effective,
            runs=self.runs,
            fingerprint=self.made.fingerprint,
            content_id=self.made.content_id,
        )
        self.output.put_bytes(data, manifest_key(self.settings.index))


def _now(*, precise: bool = False) -> str:
    moment = datetime.datetime.now(datetime.UTC)
    return moment.isoformat(timespec="microseconds" if precise else "seconds")


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
