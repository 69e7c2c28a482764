"""The `render` extra installs the bpy that matches the Python it is installed into."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from entrypoint.blenderversions import newest_per_python

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
_PIN = re.compile(r"""^bpy==(?P<bpy>[\d.]+)\s*;\s*python_version\s*==\s*['"](?P<py>[\d.]+)['"]$""")


def _bpy_pins() -> dict[str, str]:
    extra = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]["render"]
    lines = [line for line in extra if line.startswith("bpy")]
    pins = {}
    for line in lines:
        match = _PIN.match(line)
        assert match, f"{line!r}: a bpy pin in the render extra needs a python_version marker"
        pins[match["py"]] = match["bpy"]
    return pins


def test_render_extra_pins_the_newest_bpy_of_each_python_in_the_releases_table():
    # Given the releases table and the extra, when compared, then they name the same wheels.
    table = {python: release.bpy for python, release in newest_per_python().items()}

    assert _bpy_pins() == table
    assert table == {"3.11": "5.0.1", "3.13": "5.3.0"}


def test_python_3_12_gets_no_bpy_and_the_submitter_still_installs_there():
    project = tomllib.loads(PYPROJECT.read_text())["project"]

    assert "3.12" not in _bpy_pins()
    assert project["requires-python"] == ">=3.11"
