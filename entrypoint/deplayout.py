"""Where a scene's outside files go in the render child's project folder, and the manifest.

Pure: imports no bpy, boto3 or subprocess. The submitter lays the project out with it when it
builds the dependency manifest; the render child reads the manifest back with it and asks it
which paths Blender must be pointed elsewhere (docs/design.md, "Outside files").

The layout root is the deepest common folder of the main .blend and every file reached by a
relative (`//`) path, so relative references keep resolving unchanged in the child. Files
reached by an absolute path outside the root (or written on Windows) go under `_abs/` and are
remapped by the child.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from entrypoint.errors import BadInput

FORMAT = 1
ABS_DIR = "_abs"
STORE_DIR = "blendbatch-cas"
OBJECTS_DIR = "sha256"
MANIFESTS_DIR = "deps"
_HEX = re.compile(r"[0-9a-f]{64}")
_DRIVE = re.compile(r"^([A-Za-z]):[\\/]")
# Blender numbers a sequence by the last run of digits in the file name's stem.
_LAST_DIGITS = re.compile(r"(\d+)(?!.*\d)")


def is_relative(written: str) -> bool:
    """Blender's `//` prefix: relative to the folder of the .blend that holds the path."""
    return written.startswith("//")


def is_windows(written: str) -> bool:
    """A drive path (`C:\\x`) or a UNC path (`\\\\server\\share\\x`), saved on Windows."""
    return bool(_DRIVE.match(written)) or written.startswith("\\\\")


def abs_layout(path: str) -> str:
    """`/mnt/a/x.png` -> `_abs/mnt/a/x.png`, `C:\\t\\a.png` -> `_abs/C/t/a.png`,
    `\\\\srv\\share\\a.png` -> `_abs/UNC/srv/share/a.png`."""
    if path.startswith("\\\\"):
        top, rest = "UNC/", path[2:]
    elif _DRIVE.match(path):
        top, rest = path[0].upper() + "/", path[3:]
    else:
        top, rest = "", path
    rest = posixpath.normpath("/" + rest.replace("\\", "/")).lstrip("/")
    return f"{ABS_DIR}/{top}{rest}"


def layout_root(blend: str, relative_files: Iterable[str]) -> str:
    """The deepest folder holding the main .blend and every file reached by a `//` path."""
    folders = [posixpath.dirname(posixpath.normpath(blend))]
    folders += [posixpath.dirname(posixpath.normpath(f)) for f in relative_files]
    return posixpath.commonpath(folders)


@dataclass(frozen=True)
class Found:
    """One outside path of the scene as the submitter resolved it (all paths absolute)."""

    referrer: str  # the .blend (main or library) whose data holds the path
    written: str  # as stored in that .blend
    path: str  # resolved; for a sequence or UDIM set, the pattern (`tex_####.png`, `<UDIM>`)
    files: tuple[str, ...]  # every file it needs (one, or each frame / tile)
    kind: str
    owner: str


@dataclass(frozen=True)
class ProjectLayout:
    root: str
    blend: str  # the main .blend's layout
    files: dict[str, str]  # layout -> local absolute path
    paths: list[dict]  # the manifest's `paths[]`

    def layout_of(self, path: str) -> str:
        return _layout_in(self.root, path)


def _layout_in(root: str, path: str) -> str:
    if is_windows(path):
        return abs_layout(path)
    path = posixpath.normpath(path)
    if root == "/" or path.startswith(root.rstrip("/") + "/"):
        return posixpath.relpath(path, root)
    return abs_layout(path)


def plan_layout(blend: str, found: Iterable[Found]) -> ProjectLayout:
    """Each found file's layout path and the manifest's `paths[]` entries."""
    found = list(found)
    reached = [f for item in found if is_relative(item.written) for f in (item.path, *item.files)]
    root = layout_root(blend, reached)
    files: dict[str, str] = {}
    paths = []
    for item in found:
        for local in item.files:
            files[_layout_in(root, local)] = posixpath.normpath(local)
        paths.append(
            {
                "referrer": _layout_in(root, item.referrer),
                "written": item.written,
                "layout": _layout_in(root, item.path),
                "kind": item.kind,
                "owner": item.owner,
            }
        )
    return ProjectLayout(root, _layout_in(root, blend), files, paths)


# -- reading a manifest back (the render child) ------------------------------------------


@dataclass(frozen=True)
class FileEntry:
    layout: str
    sha256: str
    size: int


@dataclass(frozen=True)
class PathEntry:
    referrer: str
    written: str
    layout: str
    kind: str
    owner: str


@dataclass(frozen=True)
class Manifest:
    blend: FileEntry
    files: tuple[FileEntry, ...]
    paths: tuple[PathEntry, ...]
    missing: tuple[dict, ...]


def parse_manifest(raw: bytes, source: str) -> Manifest:
    """A dependency manifest (format 1), checked: every layout stays inside the project."""
    fix = "submit again with --upload"
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadInput(f"the dependency manifest {source} is not JSON: {fix}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        got = data.get("format") if isinstance(data, dict) else None
        raise BadInput(
            f"the dependency manifest {source} has format {got!r}, this image reads format "
            f"{FORMAT}: {fix} with the matching blendbatch"
        )
    try:
        blend = _file_entry(data["blend"])
        files = [_file_entry(e) for e in data.get("files", [])]
        paths = tuple(_path_entry(e) for e in data.get("paths", []))
        missing = tuple(dict(e) for e in data.get("missing", []))
    except (KeyError, TypeError, ValueError) as error:
        raise BadInput(f"the dependency manifest {source} is malformed ({error}): {fix}") from None
    unique: dict[str, FileEntry] = {blend.layout: blend}
    for entry in files:
        seen = unique.setdefault(entry.layout, entry)
        if seen.sha256 != entry.sha256:
            raise BadInput(
                f"the dependency manifest {source} puts two different files at "
                f"{entry.layout!r} ({seen.sha256[:12]}... and {entry.sha256[:12]}...): {fix}"
            )
    del unique[blend.layout]
    return Manifest(blend, tuple(unique.values()), paths, missing)


def _check_layout(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"layout {value!r} is not a path")
    parts = value.split("/")
    if value.startswith("/") or "\\" in value or _DRIVE.match(value) or ".." in parts:
        raise ValueError(f"layout {value!r} leaves the project folder")
    return value


def _file_entry(raw: dict) -> FileEntry:
    sha, size = raw["sha256"], raw["size"]
    if not isinstance(sha, str) or not _HEX.fullmatch(sha):
        raise ValueError(f"sha256 {sha!r} of {raw.get('layout')!r} is not 64 lowercase hex")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"size {size!r} of {raw.get('layout')!r} is not a byte count")
    return FileEntry(_check_layout(raw["layout"]), sha, size)


def _path_entry(raw: dict) -> PathEntry:
    return PathEntry(
        referrer=_check_layout(raw["referrer"]),
        written=str(raw["written"]),
        layout=_check_layout(raw["layout"]),
        kind=str(raw.get("kind", "")),
        owner=str(raw.get("owner", "")),
    )


def store_of(manifest_uri: str) -> str:
    """`s3://b/blendbatch-cas/deps/<hex>.json` -> `s3://b/blendbatch-cas` (its folder's parent)."""
    folder = manifest_uri.rstrip("/").rpartition("/")[0]
    store = folder.rpartition("/")[0]
    if not folder or not store or store.endswith(":/"):
        raise BadInput(
            f"--deps {manifest_uri}: a dependency manifest lives in <store>/{MANIFESTS_DIR}/; "
            "pass the URI blendbatch submit recorded"
        )
    return store


def object_rel(sha256: str) -> str:
    """An object's key under the store."""
    return f"{OBJECTS_DIR}/{sha256}"


# -- what the child remaps --------------------------------------------------------------


def lands(entry: PathEntry) -> bool:
    """Whether Blender, opening the project folder, resolves the written path to its layout.

    Blender reads `\\` in a `//` path as a separator on every OS (checked with 5.0).
    """
    if not is_relative(entry.written):
        return False
    rel = entry.written[2:].replace("\\", "/")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry.referrer), rel))
    return resolved == entry.layout


def remap_table(manifest: Manifest) -> dict[tuple[str, str], PathEntry]:
    """(referrer layout, written path) -> entry, for every path that does not land by itself."""
    return {(e.referrer, e.written): e for e in manifest.paths if not lands(e)}


def layouts_by_path(manifest: Manifest) -> dict[tuple[str, str], PathEntry]:
    """(referrer layout, written path) -> entry, for every path the manifest knows."""
    return {(e.referrer, e.written): e for e in manifest.paths}


def sequence_pattern(path: str) -> str:
    """`tex_0001.png` -> `tex_####.png`: how a sequence is named whatever frame Blender holds."""
    head, _, name = path.replace("\\", "/").rpartition("/")
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    stem = _LAST_DIGITS.sub(lambda m: "#" * len(m.group(1)), stem, count=1)
    return (head + "/" if head or path.startswith("/") else "") + stem + dot + ext


def is_pattern(path: str) -> bool:
    return "#" in path.rpartition("/")[2] or "<UDIM>" in path or "<UVTILE>" in path


def target_layout(entry: PathEntry, current: str) -> str:
    """The layout Blender's path becomes: a pattern entry keeps the file name Blender holds
    (one frame of the sequence, or the `<UDIM>` name) in the entry's folder."""
    if is_pattern(entry.layout):
        name = current.replace("\\", "/").rpartition("/")[2]
        folder = posixpath.dirname(entry.layout)
        return posixpath.join(folder, name) if folder else name
    return entry.layout


def sequence_file(path: str, number: int) -> str:
    """The file of frame `number` of the sequence `path` names by one of its frames, as Blender
    numbers it: the last digits of the name, zero-padded to their width."""
    head, slash, name = path.rpartition("/")
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    stem = _LAST_DIGITS.sub(lambda m: f"{number:0{len(m.group(1))}d}", stem, count=1)
    return head + slash + stem + dot + ext


def image_user_frame(scene_frame: int, start: int, duration: int, offset: int, cyclic: bool):
    """The sequence frame an image user shows at `scene_frame` (Blender's own rule)."""
    if duration <= 0:
        return None
    frame = scene_frame - start + 1
    if cyclic:
        frame %= duration
        frame = frame or duration
    frame = min(max(frame, 0), duration)
    return frame + offset
