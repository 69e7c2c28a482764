"""Blender (bpy) for the render: open, scene, overrides, frames.

bpy is imported inside the functions, so importing this module stays cheap; only the
render command pays for Blender. The outside files (remap, missing check) are in
`outside.py`, the Cycles device in `devices.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entrypoint.errors import BadInput, TransientFailure
from entrypoint.overrides import ROWS, Overrides
from entrypoint.render import versioncheck

log = logging.getLogger(__name__)

# RuntimeError texts of open_mainfile -> what the user should do about them.
_OPEN_HINTS = (
    ("Missing DNA", "it is truncated: upload the whole file again"),
    ("not supported", "it is not a .blend file: check the path"),
    ("Cannot read", "it cannot be read: check the path and that the file is complete"),
)


@dataclass(frozen=True)
class SceneMeta:
    """What the rest of the pipeline needs to know about the scene to render."""

    name: str
    frame_start: int
    frame_end: int
    frame_step: int
    fps: int
    fps_base: float
    resolution_x: int
    resolution_y: int
    resolution_percent: int
    engine: str


def open_blend(path: Path, *, allow_scripts: bool = False) -> None:
    """Open the .blend; by default with its scripts disabled (no text blocks, no Python drivers).

    Blender's `use_scripts=False` blocks both even if the auto-run preference is on.
    """
    import bpy

    if path.stat().st_size == 0:
        raise BadInput(f"{path.name} is empty (0 bytes): upload the .blend again")
    try:
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False, use_scripts=allow_scripts)
    except RuntimeError as error:
        text = str(error)
        if "newer version" in text:  # the file's minimum version is newer than this Blender
            raise BadInput(versioncheck.blender_refused(path, running(), text)) from None
        hint = next((h for key, h in _OPEN_HINTS if key in text), "check that it is a .blend")
        raise BadInput(f"Blender cannot open {path.name}: {hint} ({text.strip()})") from None
    if allow_scripts:
        log.warning("--allow-scripts: the Python inside %s runs with this job's rights", path.name)
    elif bpy.app.autoexec_fail:
        log.warning(
            "%s wants to run Python (%s); scripts are disabled, so Python drivers will not "
            "evaluate and the frames may differ from Blender's UI. If you trust the file, "
            "render with --allow-scripts",
            path.name,
            (bpy.app.autoexec_fail_message or "text blocks or drivers").strip(),
        )


def select_scene(name: str | None) -> SceneMeta:
    """Make `name` (or the file's active scene) the one that renders; return its metadata."""
    import bpy

    if name is not None:
        if name not in bpy.data.scenes:
            known = ", ".join(repr(s.name) for s in bpy.data.scenes)
            raise BadInput(f"--scene {name!r} is not in the file: it has {known}")
        # Background bpy still has one window; its scene is what bpy.context.scene renders.
        bpy.context.window.scene = bpy.data.scenes[name]
    return active_scene()


def active_scene() -> SceneMeta:
    import bpy

    scene = bpy.context.scene
    render = scene.render
    return SceneMeta(
        name=scene.name,
        frame_start=scene.frame_start,
        frame_end=scene.frame_end,
        frame_step=scene.frame_step,
        fps=render.fps,
        fps_base=render.fps_base,
        resolution_x=render.resolution_x,
        resolution_y=render.resolution_y,
        resolution_percent=render.resolution_percentage,
        engine=render.engine,
    )


def apply_overrides(overrides: Overrides, folder: Path) -> None:
    """Apply the overrides and aim the output at `folder` (read back with effective_settings).

    The scene was chosen by `select_scene` and the device is chosen by `devices.use_device`, once
    the engine is known; every other row of the override table has its setter in `SETTERS`.
    """
    import bpy

    scene = bpy.context.scene
    for row in ROWS:
        value = getattr(overrides, row.name)
        if value is not None and row.name in SETTERS:
            SETTERS[row.name].apply(scene, value)
    scene.render.use_file_extension = True
    scene.render.filepath = str(folder) + "/"


def _set_camera(scene, name: str) -> None:
    import bpy

    camera = bpy.data.objects.get(name)
    if camera is None or camera.type != "CAMERA":
        known = ", ".join(repr(o.name) for o in bpy.data.objects if o.type == "CAMERA")
        raise BadInput(
            f"--camera {name!r} is not a camera object in the file: "
            f"its cameras are {known or 'none'}"
        )
    scene.camera = camera


def _set_engine(scene, engine: str) -> None:
    scene.render.engine = engine


def _set_samples(scene, samples: int) -> None:
    engine = scene.render.engine
    if engine == "CYCLES":
        scene.cycles.samples = samples
    elif engine == "BLENDER_EEVEE":
        scene.eevee.taa_render_samples = samples
    else:
        raise BadInput(f"--samples applies to Cycles and EEVEE, not {engine}: drop --samples")


def _samples(scene) -> int | None:
    if scene.render.engine == "CYCLES":
        return scene.cycles.samples
    if scene.render.engine == "BLENDER_EEVEE":
        return scene.eevee.taa_render_samples
    return None


def _set_percent(scene, percent: int) -> None:
    scene.render.resolution_percentage = percent


def _set_file_format(scene, file_format: str) -> None:
    settings = scene.render.image_settings
    if settings.media_type != "IMAGE":
        log.warning(
            "the scene writes %s (%s); rendering %s images instead, one per frame",
            settings.media_type,
            settings.file_format,
            file_format,
        )
        settings.media_type = "IMAGE"
    settings.file_format = file_format


def _set_threads(scene, threads: int) -> None:
    scene.render.threads_mode = "FIXED"
    scene.render.threads = threads


def _set_denoise(scene, on: bool) -> None:
    if scene.render.engine != "CYCLES":
        raise BadInput(f"--denoise applies to Cycles, not {scene.render.engine}: drop it")
    scene.cycles.use_denoising = on


def _set_persistent_data(scene, on: bool) -> None:
    scene.render.use_persistent_data = on


def _denoise(scene) -> bool | None:
    return scene.cycles.use_denoising if scene.render.engine == "CYCLES" else None


@dataclass(frozen=True)
class Setter:
    apply: Callable[[Any, Any], None]  # (scene, value)
    read: Callable[[Any], Any]  # scene -> the value Blender kept, for the read-back


# Override table row name -> how Blender takes it and what Blender kept.
SETTERS: dict[str, Setter] = {
    "camera": Setter(_set_camera, lambda scene: scene.camera.name if scene.camera else None),
    "engine": Setter(_set_engine, lambda scene: scene.render.engine),
    "samples": Setter(_set_samples, _samples),
    "resolution_percent": Setter(_set_percent, lambda scene: scene.render.resolution_percentage),
    "file_format": Setter(_set_file_format, lambda scene: scene.render.image_settings.file_format),
    "threads": Setter(
        _set_threads,
        lambda scene: scene.render.threads if scene.render.threads_mode == "FIXED" else None,
    ),
    "denoise": Setter(_set_denoise, _denoise),
    "persistent_data": Setter(_set_persistent_data, lambda scene: scene.render.use_persistent_data),
}


def effective_settings() -> dict:
    """What Blender will actually render with, read back from the scene."""
    import bpy

    scene = bpy.context.scene
    render = scene.render
    kept = {
        row.reads_back_as: SETTERS[row.name].read(scene)
        for row in ROWS
        if row.reads_back_as is not None and row.name in SETTERS
    }
    return {
        "scene": scene.name,
        **kept,
        "width": render.resolution_x * render.resolution_percentage // 100,
        "height": render.resolution_y * render.resolution_percentage // 100,
        "media_type": render.image_settings.media_type,
        "threads_mode": render.threads_mode,
        "cycles_device": scene.cycles.device if render.engine == "CYCLES" else None,
    }


def render_frame(frame: int) -> Path:
    """Render one frame into the prepared folder; returns the written file."""
    import bpy

    scene = bpy.context.scene
    scene.frame_set(frame)
    # write_still does not expand '####': name the exact file ourselves.
    target = Path(scene.render.frame_path(frame=frame))
    base = scene.render.filepath
    scene.render.filepath = str(target)
    try:
        bpy.ops.render.render(write_still=True)
    finally:
        scene.render.filepath = base
    if not target.is_file():
        # Blender says nothing when it cannot write the file (a full disk among the causes).
        raise TransientFailure(
            f"frame {frame}: Blender wrote no file into {target.parent}; nothing was uploaded "
            "for it. Check the free space of that disk (give the job more disk); the job is retried"
        )
    return target


def version() -> str:
    import bpy

    return bpy.app.version_string


def running() -> tuple[int, int]:
    """This Blender's (major, minor)."""
    import bpy

    return bpy.app.version[0], bpy.app.version[1]
