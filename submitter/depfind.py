"""Find a .blend's outside files on this machine, recursively through its linked libraries.

Effects: reads .blend files and stats/lists the files they name (no bpy, no network). The paths
come from the pure reader `submitter.deps`; the rules for turning them into local files:
- `//x` is relative to the folder of the .blend that holds the path (a library's own paths are
  relative to the library); `\\` in it is a separator (saved on Windows);
- `C:\\...` and `\\\\server\\share\\...` written on Windows are missing on POSIX (never guessed);
- a numbered series (image sequence, volume/cache sequence, movie clip of images) needs every
  file on disk with the same name around the last run of digits (tex_0001.png, tex_0002.png...);
- a UDIM image needs one file per tile (`<UDIM>` -> 1001, `<UVTILE>` -> u1_v1);
- a bake / cache folder needs every file under it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from submitter.blendfile import BlendFileError
from submitter.deps import Dependency, Reference, is_windows_path, read_references

_LAST_NUMBER = re.compile(r"^(.*?)(\d+)(\D*)$")


def find_dependencies(blend: Path, *, frames: tuple[int, ...] | None = None) -> list[Dependency]:
    """Every outside file `blend` needs, its libraries' own files included (each library once).

    `frames` is accepted for the scene's frame range; a numbered series is reported whole (every
    file of it on disk) because which frames it shows depends on per-user offsets.
    """
    main = Path(os.path.abspath(blend))
    queue, seen, found = [main], {main}, []
    while queue:
        referrer = queue.pop(0)
        for dependency in _resolve_all(referrer, is_main=referrer == main):
            found.append(dependency)
            library = dependency.path
            is_library = dependency.reference.kind == "library" and dependency.status == "found"
            if is_library and library not in seen:  # not twice: a cycle, or two paths to one
                seen.add(library)
                queue.append(library)
    return found


def _resolve_all(referrer: Path, *, is_main: bool) -> list[Dependency]:
    try:
        data = referrer.read_bytes()
    except OSError as error:
        raise BlendFileError(f"cannot read {referrer}: {error.strerror or error}") from None
    try:
        references = read_references(data, blend_name=referrer.name)
    except BlendFileError as error:
        what = "" if is_main else "library "
        raise BlendFileError(f"{what}{referrer}: {error}") from None
    return [_resolve(referrer, reference) for reference in references]


def _resolve(referrer: Path, reference: Reference) -> Dependency:
    written = reference.written
    if is_windows_path(written) and os.name != "nt":
        return Dependency(referrer, reference, None, (), "missing", 0)
    path = _local_path(referrer, written)
    if reference.packed:
        return Dependency(referrer, reference, path, (), "packed", 0)
    absent: tuple[Path, ...] = ()
    if reference.kind == "bake":
        files = tuple(sorted(p for p in path.rglob("*") if p.is_file())) if path.is_dir() else ()
        ok = path.is_dir()
    elif reference.kind == "udim":
        expected = [Path(_tile_path(str(path), tile)) for tile in reference.tiles or (1001,)]
        files = tuple(p for p in expected if p.is_file())
        absent = tuple(p for p in expected if not p.is_file())
        ok = not absent
    elif reference.sequence:
        files = _series(path)
        ok = bool(files)
    else:
        files = (path,) if path.is_file() else ()
        ok = bool(files)
    size = sum(p.stat().st_size for p in files)
    return Dependency(referrer, reference, path, files, "found" if ok else "missing", size, absent)


def _local_path(referrer: Path, written: str) -> Path:
    if written.startswith("//"):
        relative = written[2:].replace("\\", "/")
        return Path(os.path.normpath(referrer.parent / relative))
    # Blender resolves a bare relative path against its working folder; the .blend's folder is
    # the only one that means anything on another machine.
    return Path(os.path.normpath(referrer.parent / written))


def _tile_path(pattern: str, tile: int) -> str:
    u, v = (tile - 1001) % 10 + 1, (tile - 1001) // 10 + 1
    return pattern.replace("<UDIM>", str(tile)).replace("<UVTILE>", f"u{u}_v{v}")


def _series(path: Path) -> tuple[Path, ...]:
    """Every file in `path`'s folder named like it but for the number (tex_0001.png -> tex_*)."""
    match = _LAST_NUMBER.match(path.name)
    if match is None or not path.parent.is_dir():
        return (path,) if path.is_file() else ()
    head, _digits, tail = match.groups()
    same = re.compile(re.escape(head) + r"\d+" + re.escape(tail) + "$")
    return tuple(sorted(p for p in path.parent.iterdir() if same.match(p.name) and p.is_file()))
