"""The distribution carries the CloudFormation template: `blendbatch deploy` works from a wheel.

The wheel is built the way docker/Dockerfile builds it (`pip wheel --no-deps` on a copy of the
files it copies), so a template dropped from package-data fails here and not only in a pip
install on someone's laptop. pip fetches the build backend (pyproject's build-system) itself.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["pyproject.toml", "README.md", "entrypoint", "submitter"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(source)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    (built,) = work.glob("blendbatch-*.whl")
    return built


def test_the_wheel_holds_the_template_and_the_stack_modules(wheel):
    archive = zipfile.ZipFile(wheel)
    for name in ("stack.yaml", "__init__.py", "shipped.py", "template.py", "generate.py"):
        assert f"submitter/stack/{name}" in archive.namelist()
    shipped = archive.read("submitter/stack/stack.yaml")
    assert shipped == (ROOT / "submitter" / "stack" / "stack.yaml").read_bytes()


def test_the_template_loads_from_the_wheel_outside_the_source_tree(wheel, tmp_path):
    # Given only the wheel on the import path (a pure wheel imports as a zip), away from the tree
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import submitter.stack.shipped as s; print(s.__file__); print(s.template_text()[:200])"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code, str(wheel)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    # Then the template text comes out of the wheel itself
    assert result.returncode == 0, result.stderr
    where, text = result.stdout.split("\n", 1)
    assert where.startswith(str(wheel))
    assert "AWSTemplateFormatVersion" in text
