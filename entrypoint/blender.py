"""The one module that talks to Blender (bpy).

bpy is imported inside the functions, so importing this module stays cheap; only the
render command pays for Blender.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from entrypoint.errors import BadInput

log = logging.getLogger(__name__)

# RuntimeError texts of open_mainfile -> what the user should do about them.
_OPEN_HINTS = (
    ("newer version", "it was saved by a newer Blender: re-save it with Blender 5.0 or older"),
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


def open_blend(path: Path) -> None:
    """Open the .blend with its scripts disabled (no text blocks, no Python drivers)."""
    import bpy

    if path.stat().st_size == 0:
        raise BadInput(f"{path.name} is empty (0 bytes): upload the .blend again")
    try:
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False, use_scripts=False)
    except RuntimeError as error:
        text = str(error)
        hint = next((h for key, h in _OPEN_HINTS if key in text), "check that it is a .blend")
        raise BadInput(f"Blender cannot open {path.name}: {hint} ({text.strip()})") from None
    if bpy.app.autoexec_fail:
        log.warning(
            "%s wanted to run Python (%s); scripts stay disabled, so Python drivers will not "
            "evaluate and the render may differ from Blender's UI",
            path.name,
            bpy.app.autoexec_fail_message or "text blocks or drivers",
        )


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


def prepare_still_output(folder: Path) -> str:
    """Make the scene write PNG stills into `folder` (never the path saved in the .blend).

    Returns the file extension. A scene set to write a video would otherwise produce .mkv.
    """
    import bpy

    render = bpy.context.scene.render
    if render.image_settings.media_type != "IMAGE":
        log.info(
            "the scene writes %s; rendering PNG images instead", render.image_settings.media_type
        )
        render.image_settings.media_type = "IMAGE"
    render.image_settings.file_format = "PNG"
    render.use_file_extension = True
    render.filepath = str(folder) + "/"
    return "png"


def render_frame(frame: int) -> Path:
    """Render one frame to the prepared folder; returns the written file."""
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
        raise RuntimeError(f"Blender reported success but wrote no file for frame {frame}")
    return target


def version() -> str:
    import bpy

    return bpy.app.version_string
