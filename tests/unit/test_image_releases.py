"""Images per Blender release follow the one table: the README table, the locks, release.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from entrypoint.blenderversions import NEWEST, RELEASES

ROOT = Path(__file__).resolve().parents[2]
HEADER = "| Blender | LTS | Python | Debian base | bpy |"


def readme_rows() -> list[list[str]]:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert HEADER in lines, f"README.md has no table headed {HEADER!r}"
    rows = []
    for line in lines[lines.index(HEADER) + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows


def test_readme_table_lists_every_release_as_the_table_declares_it():
    expected = [
        [r.name, "yes" if r.lts else "", r.python, f"debian:{r.debian}-slim", r.bpy]
        for r in RELEASES
    ]
    assert readme_rows() == expected


def test_every_release_has_a_lock_pinning_its_own_bpy_by_hash():
    for r in RELEASES:
        lock = (ROOT / "docker" / "locks" / f"blender-{r.name}.lock").read_text()
        pins = re.findall(r"^bpy==(\S+) \\\n    --hash=sha256:[0-9a-f]{64}$", lock, re.M)
        assert pins == [r.bpy], f"blender-{r.name}.lock pins bpy {pins}, the table says {r.bpy}"


def release_py(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "docker" / "release.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_release_script_gives_the_build_args_of_a_release():
    done = release_py("5.0", "--build-args")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "--build-arg",
        "BLENDER=5.0",
        "--build-arg",
        "PYTHON=3.11",
        "--build-arg",
        "BASE_IMAGE=debian:bookworm-slim",
    ]
    assert release_py("5.3", "lock").stdout.strip() == "docker/locks/blender-5.3.lock"
    assert release_py("--newest").stdout.strip() == NEWEST.name


def test_release_script_refuses_an_unknown_version_naming_the_supported_ones():
    done = release_py("6.1")
    assert done.returncode == 2
    assert "Blender 6.1" in done.stderr
    assert ", ".join(r.name for r in RELEASES) in re.sub(r" LTS", "", done.stderr)
    assert done.stdout == ""
