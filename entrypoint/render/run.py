"""`render`: one array child renders its slice of the scene, frame by frame, into the output.

Orchestration only: Blender is reached through `entrypoint.render.blender`, storage through
`entrypoint.storage`. Cheap checks run before anything is downloaded, and nothing is written
to the output until the first frame is done, so bad input leaves the output untouched.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import tempfile
from pathlib import Path

from entrypoint.errors import BadInput, disk_full
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
    PASSES_DIR,
    PROXIES_DIR,
    check_output_names,
    manifest_key,
)
from entrypoint.overrides import extension_of, for_slice, mismatches, requested
from entrypoint.render import (
    blender,
    outside,
    proxies,
    scenecheck,
    segment,
    texcache,
    versioncheck,
)
from entrypoint.render.blendcheck import check_blend_complete
from entrypoint.render.devices import use_device
from entrypoint.render.project import Project, fetch_project
from entrypoint.render.provenance import provenance
from entrypoint.render.slicejob import SliceJob
from entrypoint.render.stopping import StopSignal
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
    saved = versioncheck.check_file(project.blend, blender.running(), settings)
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
    mine = frames_for_index(frames, settings.frames_per_job, settings.index)
    settings = dataclasses.replace(settings, overrides=for_slice(settings.overrides, len(mine)))
    effective = _apply(settings, render_dir)
    texcache.keep_out_of_inputs(tmp / "texture-cache")
    found = scenecheck.check_scene(settings, tmp, tmp / PASSES_DIR)
    meta = blender.active_scene()  # the resolution the frames really have
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
    job.run_record |= {"remapped": remapped, "missing": missing, **found, **saved}
    stop.on_abandon(job.abandon)
    maker = segment.SegmentMaker(settings, job, tmp) if settings.codec else None
    job.keeper = maker.keep if maker else None
    job.run(stop)
    if maker and not stop.requested.is_set():
        maker.make()


@dataclasses.dataclass(frozen=True)
class DoneBefore:
    """What earlier attempts left in the output: frame and proxy sizes by number, the manifest."""

    present: dict[int, int]
    manifest: bytes | None
    proxies: dict[int, int] | None = None  # None: these frames have no proxies


def _fetch(
    settings: RenderSettings, output: Location, extension: str, workdir: Path
) -> tuple[Project, DoneBefore]:
    project = fetch_project(
        settings.input_uri, settings.deps_uri, workdir, input_etag=settings.input_etag
    )
    present = _files_of(output, FRAMES_DIR, extension)
    wanted = proxies.wants_proxy(extension)
    made = _files_of(output, PROXIES_DIR, proxies.PROXY_EXTENSION) if wanted else None
    raw = output.get_bytes_if_present(manifest_key(settings.index))
    return project, DoneBefore(present, raw, made)


def _files_of(output: Location, folder: str, extension: str) -> dict[int, int]:
    """Frame number -> size of the frame-named files of `folder`; links are not ours (rendered
    again, the link replaced)."""
    linked = output.links(folder)
    present = {}
    for name, size in output.list_dir(folder).items():
        frame = parse_frame_name(name)
        if frame is not None and name.endswith("." + extension) and name not in linked:
            present[frame] = size
    return present


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
    segment.check_options(settings)
    return output


def _apply(settings: RenderSettings, render_dir: Path) -> dict:
    """Apply the overrides and the device, then insist that Blender kept every one of them."""
    overrides = settings.overrides
    blender.apply_overrides(overrides, render_dir)
    devices = use_device(overrides.device)
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
