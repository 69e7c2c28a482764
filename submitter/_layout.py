"""A minimal stand-in for `entrypoint.deplayout.plan_layout` (the shared layout rule).

Pure: imports no bpy, boto3 or subprocess. REPLACE at merge: delete this module and import
`Found` and `plan_layout` from `entrypoint.deplayout` in `submitter/cas.py` (same names, same
shape). Until then it applies the contract's rule: the layout root is the deepest common folder
of the main .blend and every file reached by a `//` path; anything else goes under `_abs/`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

_DRIVE = re.compile(r"^([A-Za-z]):[\\/]")


@dataclass(frozen=True)
class Found:
    referrer: str
    written: str
    path: str
    files: tuple[str, ...]
    kind: str
    owner: str


@dataclass(frozen=True)
class ProjectLayout:
    root: str
    blend: str
    files: dict[str, str]  # layout -> local absolute path
    paths: list[dict]

    def layout_of(self, path: str) -> str:
        return _layout_in(self.root, path)


def _abs_layout(path: str) -> str:
    if path.startswith("\\\\"):
        rest = "UNC/" + path[2:].replace("\\", "/")
    elif _DRIVE.match(path):
        rest = path[0].upper() + "/" + path[3:].replace("\\", "/")
    else:
        rest = path.replace("\\", "/")
    return "_abs/" + posixpath.normpath("/" + rest).lstrip("/")


def _layout_in(root: str, path: str) -> str:
    if _DRIVE.match(path) or path.startswith("\\\\"):
        return _abs_layout(path)
    path = posixpath.normpath(path)
    if root == "/" or path.startswith(root.rstrip("/") + "/"):
        return posixpath.relpath(path, root)
    return _abs_layout(path)


def plan_layout(blend: str, found: Iterable[Found]) -> ProjectLayout:
    found = list(found)
    reached = [f for item in found if item.written.startswith("//") for f in item.files]
    folders = [posixpath.dirname(posixpath.normpath(p)) for p in (blend, *reached)]
    root = posixpath.commonpath(folders)
    files = {_layout_in(root, f): posixpath.normpath(f) for item in found for f in item.files}
    paths = [
        {
            "referrer": _layout_in(root, item.referrer),
            "written": item.written,
            "layout": _layout_in(root, item.path),
            "kind": item.kind,
            "owner": item.owner,
        }
        for item in found
    ]
    return ProjectLayout(root, _layout_in(root, blend), files, paths)
