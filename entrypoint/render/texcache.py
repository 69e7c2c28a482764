"""Cycles' texture cache (Blender 5.2+): its generated `.tx` files go into the child's temp folder.

A scene with `render.use_auto_generate_texture_cache` on makes Blender write a `.tx` file for
each image it renders with, by default into a `blender_tx/` folder next to the image: into the
user's project under `blendbatch run`, into the fetched inputs in a container. The preference
`filepaths.texture_cache_directory` says where instead; pointed into the child's temp folder, no
input is ever written and the frames stay what the user's Blender renders (the cache is used,
made again by each child). Preferences are not saved by a background Blender, so the user's own
setting is untouched. Blender 5.0 and older have no texture cache: nothing to do there.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def keep_out_of_inputs(folder: Path) -> str | None:
    """Send generated `.tx` files into `folder`; returns what was done (None: no such cache)."""
    import bpy

    filepaths = bpy.context.preferences.filepaths
    if not hasattr(filepaths, "texture_cache_directory"):
        log.debug("this Blender has no texture cache: no .tx files to keep out of the inputs")
        return None
    folder.mkdir(parents=True, exist_ok=True)
    # A trailing slash: Blender reads the path as a folder, like its own "//blender_tx/".
    filepaths.texture_cache_directory = str(folder) + "/"
    generating = [s.name for s in bpy.data.scenes if _generates(s)]
    if generating:
        done = f".tx files generated into {folder}, not next to the images"
        log.info("texture cache of scene(s) %s: %s", ", ".join(map(repr, generating)), done)
    else:
        done = f"no scene generates .tx files; were one to, they would go into {folder}"
        log.info("texture cache: %s", done)
    return done


def _generates(scene) -> bool:
    render = scene.render
    return bool(
        getattr(render, "use_texture_cache", False)
        and getattr(render, "use_auto_generate_texture_cache", False)
    )
