"""Dependency path rules and the `deps` report, on plain data (no Blender)."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoint.errors import BadInput
from submitter.depfind import _local_path, _tile_path
from submitter.depreport import parse_frames, summary
from submitter.deps import Dependency, Reference, is_windows_path, why_missing


@pytest.mark.parametrize(
    ("written", "windows"),
    [("C:\\tex\\a.png", True), ("d:/tex/a.png", True), ("\\\\srv\\share\\a.png", True),
     ("//tex/a.png", False), ("/mnt/tex/a.png", False), ("tex\\a.png", False)],
)  # fmt: skip
def test_windows_paths_are_recognised(written, windows):
    assert is_windows_path(written) is windows


def test_relative_paths_are_relative_to_the_referrer_with_backslashes_as_separators():
    lib = Path("/p/lib/props.blend")
    assert _local_path(lib, "//textures/a.png") == Path("/p/lib/textures/a.png")
    assert _local_path(lib, "//..\\textures\\a.png") == Path("/p/textures/a.png")
    assert _local_path(lib, "/abs/a.png") == Path("/abs/a.png")


def test_udim_and_uvtile_tokens_become_tile_names():
    assert _tile_path("t.<UDIM>.png", 1012) == "t.1012.png"
    assert _tile_path("t.<UVTILE>.png", 1012) == "t.u2_v2.png"


def test_a_windows_path_says_it_was_written_on_windows():
    ref = Reference("image", "IMa", "C:\\tex\\a.png", False)
    dep = Dependency(Path("/p/shot.blend"), ref, None, (), "missing", 0)
    assert (
        why_missing(dep)
        == "C:\\tex\\a.png was written on Windows; this machine cannot open that path"
    )


def test_frames_parse_and_bad_ranges_are_refused():
    assert parse_frames("3-5") == (3, 4, 5)
    assert parse_frames("7") == (7,)
    assert parse_frames("-2--1") == (-2, -1)
    for bad in ("5-3", "a-b", "1-"):
        with pytest.raises(BadInput):
            parse_frames(bad)


def test_a_file_named_twice_counts_once_in_the_total():
    files = (Path("/p/s/f_0001.png"), Path("/p/s/f_0002.png"))
    seq = Reference("image-sequence", "MCclip", "//s/f_0001.png", False, sequence=True)
    twice = [Dependency(Path("/p/x.blend"), seq, files[0], files, "found", 20)] * 2
    assert summary(twice) == {
        "dependencies": 2, "found": 2, "missing": 0, "packed": 0, "files": 2, "bytes": 20
    }  # fmt: skip
