"""Session fixtures: a small project whose .blend uses files outside itself (tests/depscenes.py).

`dep_project` is the complete project; `make_dep_project(delete=..., odd=...)` builds variants
(one file deleted; `odd=True` adds packed, Windows, volume, bake and point-cache data that only
the dependency reader needs).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

DEPSCENES = Path(__file__).resolve().parent / "depscenes.py"


class DepProject(NamedTuple):
    folder: Path  # the project folder, holding shot.blend
    blend: Path  # folder / "shot.blend"
    shared: Path  # outside the project: the absolutely referenced texture abs.png


def build_dep_project(out: Path, *, delete: str | None = None, odd: bool = False) -> DepProject:
    """Build the project under `out` (out/project, out/shared): for a test that changes,
    moves or renames it (the session's copies stay untouched)."""
    argv = [sys.executable, str(DEPSCENES), "--out", str(out)]
    argv += ["--delete", delete] if delete else []
    argv += ["--odd"] if odd else []
    subprocess.run(argv, check=True, capture_output=True, timeout=300)
    project = out / "project"
    return DepProject(project, project / "shot.blend", out / "shared")


@pytest.fixture(scope="session")
def make_dep_project(tmp_path_factory) -> Callable[..., DepProject]:
    cache: dict[tuple, DepProject] = {}

    def build(*, delete: str | None = None, odd: bool = False) -> DepProject:
        key = (delete, odd)
        if key not in cache:
            out = tmp_path_factory.mktemp("depproject")
            cache[key] = build_dep_project(out, delete=delete, odd=odd)
        return cache[key]

    return build


@pytest.fixture(scope="session")
def dep_project(make_dep_project) -> DepProject:
    return make_dep_project()
