"""The open scene's outside files, in Blender: point them at the fetched copies, then check.

The second module that talks to Blender (bpy), besides `blender.py`; bpy is imported inside
the functions. Blender itself only logs a missing texture or library and renders on (magenta,
or nothing): the check here decides, for the frames this child renders.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from entrypoint.deplayout import (
    Manifest,
    image_user_frame,
    remap_table,
    sequence_file,
    sequence_pattern,
    target_layout,
)

log = logging.getLogger(__name__)

# bpy.data collections whose IDs hold one file path each, and the kind the manifest gives them.
_PATH_IDS = (
    ("images", "image"),
    ("cache_files", "cache"),
    ("volumes", "volume"),
    ("fonts", "font"),
    ("movieclips", "movie"),
    ("sounds", "sound"),
)


def remap(manifest: Manifest, folder: Path) -> list[dict]:
    """Point every path the manifest says does not land by itself at its fetched copy."""
    import bpy

    table = remap_table(manifest)
    by_pattern = {(r, sequence_pattern(w)): e for (r, w), e in table.items()}
    done: list[dict] = []
    libraries = _library_layouts(manifest, folder)

    def lookup(referrer: str | None, written: str):
        if referrer is None:
            return None
        return table.get((referrer, written)) or by_pattern.get(
            (referrer, sequence_pattern(written))
        )

    def point(owner, written: str, entry, setter) -> None:
        target = folder / target_layout(entry, written)
        try:
            setter(str(target))
        except (AttributeError, TypeError, RuntimeError) as error:
            log.warning("cannot point %s at %s: %s", owner, target, error)
            return
        done.append(
            {
                "kind": entry.kind,
                "name": owner,
                "written": written,
                "layout": str(target.relative_to(folder)),
            }
        )

    for lib in sorted(bpy.data.libraries, key=_depth):
        referrer = libraries.get(lib.parent.name) if lib.parent else manifest.blend.layout
        entry = lookup(referrer, lib.filepath)
        if entry is not None:
            written = lib.filepath
            point(lib.name, written, entry, lambda p, lib=lib: setattr(lib, "filepath", p))
            libraries[lib.name] = entry.layout
            lib.reload()
    for collection, _kind in _PATH_IDS:
        for item in getattr(bpy.data, collection):
            if _packed(item) or item.filepath in ("", "<builtin>"):
                continue
            referrer = libraries.get(item.library.name) if item.library else manifest.blend.layout
            entry = lookup(referrer, item.filepath)
            if entry is not None:
                point(item.name, item.filepath, entry, _setter(item))
    for scene in bpy.data.scenes:
        for strip in _strips(scene):
            _remap_strip(strip, lookup, point, manifest.blend.layout)
    for record in done:
        log.info(
            "remapped %s %r: %s -> %s",
            record["kind"],
            record["name"],
            record["written"],
            record["layout"],
        )
    return done


def _setter(item):
    def set_path(path: str) -> None:
        item.filepath = path
        if hasattr(item, "reload"):
            item.reload()

    return set_path


def _remap_strip(strip, lookup, point, referrer: str) -> None:
    if strip.type == "MOVIE":
        entry = lookup(referrer, strip.filepath)
        if entry is not None:
            point(strip.name, strip.filepath, entry, lambda p: setattr(strip, "filepath", p))
    elif strip.type == "IMAGE" and len(strip.elements):
        first = strip.directory.rstrip("/\\") + "/" + strip.elements[0].filename
        entry = lookup(referrer, first) or lookup(referrer, strip.directory)
        if entry is not None:
            point(
                strip.name,
                first,
                entry,
                lambda p: setattr(strip, "directory", os.path.dirname(p) + "/"),
            )


def _library_layouts(manifest: Manifest, folder: Path) -> dict[str, str]:
    """Library name -> its layout, for the libraries whose written path lands by itself."""
    import bpy

    found = {}
    for lib in bpy.data.libraries:
        where = Path(_absolute(lib.filepath, lib.parent))
        if where.is_relative_to(folder):
            found[lib.name] = where.relative_to(folder).as_posix()
    return found


def _depth(lib) -> int:
    depth = 0
    while lib.parent is not None:
        lib, depth = lib.parent, depth + 1
    return depth


def find_missing(frames: Sequence[int], folder: Path | None = None) -> list[dict]:
    """Every outside file the frames need that is not on disk: kind, ID name, path, and
    layout (the path inside the project `folder`, None outside it: what `status` shows)."""
    import bpy

    missing: list[dict] = []

    def add(kind: str, name: str, path: str) -> None:
        missing.append({"kind": kind, "name": name, "path": path, "layout": _inside(path, folder)})

    def need(kind: str, name: str, path: str) -> None:
        if not os.path.isfile(path):
            add(kind, name, path)

    for lib in bpy.data.libraries:
        if lib.is_missing or not os.path.isfile(_absolute(lib.filepath, lib.parent)):
            add("library", lib.name, _absolute(lib.filepath, lib.parent))
    for image in bpy.data.images:
        if _packed(image) or image.users == 0 or image.source in ("GENERATED", "VIEWER"):
            continue
        path = image.filepath_from_user()
        if image.source == "TILED":
            for tile in image.tiles:
                need("udim", image.name, _tile_path(path, tile.number))
        elif image.source == "SEQUENCE":
            for number in sorted(_sequence_numbers(image, frames)):
                need("image-sequence", image.name, sequence_file(path, number))
        else:
            need("image" if image.source == "FILE" else "movie", image.name, path)
    for collection, kind in _PATH_IDS[1:]:
        for item in getattr(bpy.data, collection):
            if _packed(item) or item.filepath in ("", "<builtin>") or item.users == 0:
                continue
            need(kind, item.name, _absolute(item.filepath, item.library))
    for scene in bpy.data.scenes:
        for strip in _strips(scene):
            if strip.type == "MOVIE":
                need("strip", strip.name, _absolute(strip.filepath, scene.library))
            elif strip.type == "IMAGE":
                for element in strip.elements:
                    path = os.path.join(_absolute(strip.directory, scene.library), element.filename)
                    need("strip", strip.name, path)
    return missing


def _sequence_numbers(image, frames: Sequence[int]) -> set[int]:
    """The files of the sequence the child's frames show, through every user of the image."""
    numbers = set()
    users = _image_users(image)
    for user in users:
        for frame in frames:
            number = image_user_frame(
                frame, user.frame_start, user.frame_duration, user.frame_offset, user.use_cyclic
            )
            if number is not None:
                numbers.add(number)
    if not numbers:  # no user found with a frame range: the file Blender holds is the one
        numbers.add(_held_number(image.filepath))
    return numbers


def _image_users(image) -> list:
    import bpy

    users = []
    trees = [m.node_tree for m in bpy.data.materials if m.node_tree]
    trees += [w.node_tree for w in bpy.data.worlds if w.node_tree]
    trees += [lt.node_tree for lt in bpy.data.lights if lt.node_tree]
    trees += list(bpy.data.node_groups)
    for tree in trees:
        for node in tree.nodes:
            if getattr(node, "image", None) == image and hasattr(node, "image_user"):
                users.append(node.image_user)
    for texture in bpy.data.textures:
        if getattr(texture, "image", None) == image:
            users.append(texture.image_user)
    for obj in bpy.data.objects:
        if obj.type == "EMPTY" and obj.data == image:
            users.append(obj.image_user)
    return users


def _held_number(path: str) -> int:
    digits = sequence_pattern(path)
    name = path.replace("\\", "/").rpartition("/")[2]
    start = digits.rpartition("/")[2].find("#")
    width = digits.rpartition("/")[2].count("#")
    return int(name[start : start + width]) if width else 0


def _tile_path(path: str, number: int) -> str:
    u, v = (number - 1001) % 10 + 1, (number - 1001) // 10 + 1
    return path.replace("<UDIM>", str(number)).replace("<UVTILE>", f"u{u}_v{v}")


def _strips(scene) -> list:
    editor = scene.sequence_editor
    if editor is None:
        return []
    return list(getattr(editor, "strips_all", None) or getattr(editor, "sequences_all", []))


def _packed(item) -> bool:
    return getattr(item, "packed_file", None) is not None or bool(
        getattr(item, "packed_files", None)
    )


def _absolute(path: str, library) -> str:
    """Blender's `//` relative to the .blend holding the path; `\\` read as a separator."""
    import bpy

    if path.startswith("//"):
        path = "//" + path[2:].replace("\\", "/")
    return os.path.normpath(bpy.path.abspath(path, library=library))


def _inside(path: str, folder: Path | None) -> str | None:
    if folder is None:
        return None
    relative = os.path.relpath(os.path.normpath(path), os.path.normpath(folder))
    return None if relative == ".." or relative.startswith("../") else Path(relative).as_posix()
