"""The import boundaries of docs/design.md, checked in fresh interpreters.

A module is pure when its docstring says "Pure:"; every other module of the project is an
effect module. Both lists are read from the source, so a new module cannot be left out.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("entrypoint", "submitter")
# Outside systems a plan must not reach. ffmpeg-python is allowed: pure modules compile
# ffmpeg command lines with it and never run them.
OUTSIDE = ("bpy", "boto3", "botocore", "s3transfer", "subprocess")
# ffmpeg-python imports subprocess for its own `run()`/`probe()`, which only
# entrypoint.video's counterparts replace; a pure module compiling a graph does not call them.
TOLERATED_IMPORTERS = {"subprocess": "ffmpeg"}


def module_docstrings() -> dict[str, str]:
    """Module name -> its docstring, for every module file of the project's packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = ast.get_docstring(ast.parse(path.read_text())) or ""
    return found


MODULES = module_docstrings()
PACKAGE_INITS = sorted(n for n in MODULES if (ROOT / n.replace(".", "/") / "__init__.py").exists())
PURE = sorted(n for n, doc in MODULES.items() if "Pure:" in doc)
EFFECTS = sorted(n for n in MODULES if n not in PURE and n not in PACKAGE_INITS)

# Run in a fresh interpreter: import the named modules while recording who imports what.
SPY = """
import builtins, json, sys
watched, importers, real = set(sys.argv[1].split(",")), {}, builtins.__import__
def spy(name, globals=None, locals=None, fromlist=(), level=0):
    top = name.partition(".")[0]
    if level == 0 and top in watched:
        importers.setdefault(top, set()).add((globals or {}).get("__name__", "?"))
    return real(name, globals, locals, fromlist, level)
builtins.__import__ = spy
for module in sys.argv[2:]:
    __import__(module)
print(json.dumps({
    "modules": sorted(sys.modules),
    "importers": {k: sorted(v) for k, v in importers.items()},
}))
"""


def import_fresh(*modules: str) -> tuple[set[str], dict[str, list[str]]]:
    """What importing `modules` loads: every module name, and who imported each of OUTSIDE."""
    result = subprocess.run(
        [sys.executable, "-c", SPY, ",".join(OUTSIDE), *modules],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    seen = json.loads(result.stdout)
    return set(seen["modules"]), seen["importers"]


def test_the_module_lists_are_read_from_the_source():
    # Given the docstrings, when the lists are derived, then known modules land on each side
    assert {"submitter.sdna", "entrypoint.encode_plan", "entrypoint.layout"} <= set(PURE)
    assert {"entrypoint.video", "entrypoint.storage", "entrypoint.render.blender"} <= set(EFFECTS)
    assert {"submitter.aws", "submitter.cli"} <= set(EFFECTS)


@pytest.mark.parametrize("package", PACKAGE_INITS)
def test_a_package_init_imports_nothing(package):
    # A pure module's package is imported with it: it must not pull anything in.
    path = ROOT / package.replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]


@pytest.mark.parametrize("module", PURE)
def test_a_pure_module_reaches_no_outside_system_and_no_effect_module(module):
    loaded, importers = import_fresh(module)
    reached = []
    for name in OUTSIDE:
        if name not in loaded:
            continue
        tolerated = TOLERATED_IMPORTERS.get(name)
        who = importers.get(name, ["?"])
        if tolerated and all(i == tolerated or i.startswith(tolerated + ".") for i in who):
            continue
        reached.append(f"{name} (imported by {', '.join(who)})")
    reached += sorted(loaded & set(EFFECTS))
    assert reached == []


def test_the_entrypoint_never_imports_the_submitter():
    entrypoint = [n for n in EFFECTS + PURE if n.split(".")[0] == "entrypoint"]
    loaded, _ = import_fresh(*entrypoint)
    assert sorted(m for m in loaded if m.split(".")[0] == "submitter") == []


@pytest.mark.parametrize(("stage", "other"), [("render", "stitch"), ("stitch", "render")])
def test_a_stage_never_imports_the_other_stage(stage, other):
    own = [n for n in MODULES if n.startswith(f"entrypoint.{stage}.")]
    assert own, f"no modules found under entrypoint/{stage}/"
    loaded, _ = import_fresh(*own)
    assert sorted(m for m in loaded if m.startswith(f"entrypoint.{other}")) == []
