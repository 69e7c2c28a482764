"""Display-referred PNG proxies of OpenEXR frames, written right after each frame renders.

An OpenEXR frame holds scene-linear light; what the artist sees in Blender is that light through
the scene's view transform, look, exposure and gamma. The proxy is the Render Result saved the
way Blender's "save as render" saves it (`Image.save_render` with the scene's settings), as a
PNG, so the video made from proxies looks like the render. This module imports bpy inside its
functions, like `blender.py`.
"""

from __future__ import annotations

from pathlib import Path

from entrypoint.errors import TransientFailure
from entrypoint.frames import frame_name

PROXY_EXTENSION = "png"


def wants_proxy(extension: str) -> bool:
    """Frames that need a display-referred stand-in for the video: scene-linear OpenEXR."""
    return extension == "exr"


def write_proxy(frame: int, folder: Path) -> Path:
    """Save the frame just rendered as an 8-bit PNG with the scene's view transform applied."""
    import bpy

    scene = bpy.context.scene
    image = scene.render.image_settings
    kept = (image.file_format, image.color_depth, image.color_mode)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / frame_name(frame, PROXY_EXTENSION)
    try:
        image.file_format = "PNG"
        image.color_depth = "8"
        # save_render applies the scene's view transform, look, exposure and gamma (and an
        # image-settings colour override, if the scene has one), as a PNG render would.
        bpy.data.images["Render Result"].save_render(str(target), scene=scene)
    finally:
        image.file_format, image.color_depth, image.color_mode = kept
    if not target.is_file():
        raise TransientFailure(
            f"frame {frame}: Blender wrote no proxy PNG into {folder}; nothing was uploaded for "
            "the frame. Check the free space of that disk (give the job more disk); the job is "
            "retried"
        )
    return target
