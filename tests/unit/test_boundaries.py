"""Pure modules stay importable on a laptop without Blender, boto3 or ffmpeg loaded."""

import subprocess
import sys

import pytest

PURE = [
    "entrypoint.render.blendcheck",
    "entrypoint.awserrors",
    "entrypoint.encode_plan",
    "entrypoint.errors",
    "entrypoint.framecheck",
    "entrypoint.frames",
    "entrypoint.layout",
    "entrypoint.manifest",
    "entrypoint.previews",
    "entrypoint.overrides",
    "entrypoint.settings",
    "submitter.plan",
    "submitter.blendfile",
    "submitter.jobdef",
    "submitter.progress",
    "infra.template",
    "infra.generate",
]
HEAVY = ["bpy", "boto3", "botocore", "ffmpeg"]


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_heavy_dependency(module):
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_entrypoint_never_imports_the_submitter():
    code = (
        "import sys, entrypoint.__main__, entrypoint.render.run, entrypoint.stitch.run; "
        "print([m for m in sys.modules if m.startswith('submitter')])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
