"""Print the lowest versions pyproject.toml allows (`name>=X` -> `name==X`), a pip constraints
file: `make test-floor` installs the submitter with them and runs the CLI tests."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path


def floors(pyproject: Path) -> list[str]:
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pins = []
    for requirement in dependencies:
        found = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*(>=|==)\s*([^,;\s]+)", requirement)
        if found is None:
            sys.exit(f"{requirement!r}: give every dependency a floor (>=) or a pin (==)")
        name = found[1].split("[")[0]  # extras are not part of the name
        pins.append(f"{name}=={found[3]}")
    return pins


if __name__ == "__main__":
    print("\n".join(floors(Path(__file__).resolve().parents[1] / "pyproject.toml")))
