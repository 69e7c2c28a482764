"""Fetch what a slice renders: the .blend, and with `--deps` every outside file it needs.

Effects: storage only (through `entrypoint.storage`); no bpy. With a dependency manifest the
files are laid out under `<workdir>/project/` as `entrypoint.deplayout` decided when the job
was submitted, so the .blend's relative paths resolve there unchanged.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from entrypoint.deplayout import FileEntry, Manifest, object_rel, parse_manifest, store_of
from entrypoint.errors import BadInput
from entrypoint.storage import Location, fetch_file, get_whole, parse_location, split_file_uri

log = logging.getLogger(__name__)

PROJECT_DIR = "project"
# A few parallel GETs fill a container's link for small textures; large files are few.
FETCH_THREADS = 4
_FIX = "submit again with --upload"


@dataclass(frozen=True)
class Project:
    blend: Path  # the local .blend to open
    folder: Path  # the layout root (the .blend's folder without a manifest)
    manifest: Manifest | None


def fetch_project(
    input_uri: str, deps_uri: str | None, workdir: Path, *, input_etag: str | None = None
) -> Project:
    """The .blend (pinned by `input_etag` when given) and, with `deps_uri`, its outside files."""
    if deps_uri is None:
        blend = fetch_file(input_uri, workdir, if_match=input_etag)
        return Project(blend, blend.parent, None)
    manifest = parse_manifest(_read_manifest(deps_uri), deps_uri)
    store = parse_location(store_of(deps_uri))
    folder = workdir / PROJECT_DIR
    blend = folder / manifest.blend.layout
    blend.parent.mkdir(parents=True, exist_ok=True)
    fetch_file(input_uri, workdir, if_match=input_etag, local=blend)
    if blend.stat().st_size != manifest.blend.size:
        raise BadInput(
            f"{input_uri} is {blend.stat().st_size} bytes but the dependency manifest "
            f"{deps_uri} was made for a .blend of {manifest.blend.size} bytes: {_FIX}"
        )
    began = time.monotonic()
    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        sizes = list(pool.map(lambda e: _fetch_one(store, e, folder), manifest.files))
    log.info(
        "fetched %d outside files (%d bytes) into %s in %.1f s",
        len(sizes),
        sum(sizes),
        folder,
        time.monotonic() - began,
    )
    return Project(blend, folder, manifest)


def _read_manifest(uri: str) -> bytes:
    where, name = split_file_uri(uri)
    if where.size(name) is None:
        raise BadInput(f"the dependency manifest {uri} does not exist: {_FIX}")
    return where.get_bytes(name)


def _fetch_one(store: Location, entry: FileEntry, folder: Path) -> int:
    rel = object_rel(entry.sha256)
    size = store.size(rel)
    if size is None:
        raise BadInput(
            f"the dependency store lacks {entry.layout} ({store.child_uri(rel)}): {_FIX}"
        )
    if size != entry.size:
        raise BadInput(
            f"{store.child_uri(rel)} ({entry.layout}) is {size} bytes, the manifest says "
            f"{entry.size}: the store was changed by hand; {_FIX}"
        )
    local = folder / entry.layout
    local.parent.mkdir(parents=True, exist_ok=True)
    get_whole(store, rel, local, entry.size)  # its size is known: a small file is one GET
    return entry.size
