"""`blendbatch estimate`: scout frames with real Blender, and `-f auto` finding the estimate."""

import json

from tests.conftest import ROOT, run_cli

SHIM = "import sys\nsys.modules['bpy'] = None  # this Python has no Blender\n"


def _no_blender(tmp_path) -> dict:
    """An environment whose Python cannot import bpy (a sitecustomize hides it)."""
    shim = tmp_path / "shim"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(SHIM)
    return {"PYTHONPATH": f"{shim}:{ROOT}", "XDG_CACHE_HOME": str(tmp_path / "cache")}


def _submit_auto(blend, tmp_path, *more):
    return ("submit", "-i", "s3://films/scenes/shot.blend", "--upload", str(blend),
            "-o", "s3://films/renders", "-n", "shot", "-f", "auto", "-q", "queue",
            "-d", "blendbatch", "--dry-run", *more)  # fmt: skip


def test_estimate_measures_projects_stores_and_submit_f_auto_uses_it(make_blend, tmp_path):
    # Given a tiny 8-frame scene and an empty cache
    blend = make_blend(end=8)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}

    # When it is estimated with 2 scouts, for 4-vCPU children at a given price
    result = run_cli("estimate", str(blend), "-o", str(tmp_path / "out"), "-n", "shot",
                     "--scout", "2", "--vcpus", "4", "--price-per-hour", "0.2", "--json",
                     env=env)  # fmt: skip

    # Then the first and last frames were rendered by children, each measured positive
    assert result.returncode == 0, result.stdout + result.stderr
    made = json.loads(result.stdout)
    assert made["format"] == 1
    assert [s["frame"] for s in made["scouts"]] == [1, 8]
    for scout in made["scouts"]:
        assert scout["seconds"] > 0 and scout["startup_seconds"] > 0
        assert scout["peak_rss_bytes"] > 50 * 2**20  # Blender is in there
    assert made["scene"] | {"name": None} == {"name": None, "first": 1, "last": 8, "step": 1,
                                              "frames": 8, "width": 64, "height": 36}  # fmt: skip
    p = made["projection"]
    assert (p["frames"], p["vcpus"], p["children"]) == (8, 4, 1)  # 8 tiny frames: one child
    assert p["price"] == {"per_child_hour": 0.2, "source": "--price-per-hour"}
    assert 0 < p["child_hours"]["low"] <= p["child_hours"]["median"] <= p["child_hours"]["high"]
    assert p["cost"]["median"] > 0 and p["wall_seconds"]["median"] > 0
    # ... the scout frames are a contact sheet, and the estimate is stored by fingerprint
    stored = tmp_path / "out" / "shot" / "estimates" / f"{made['fingerprint']}.json"
    assert made["sheet"] == str(stored.with_suffix(".sheet.jpg"))
    assert stored.with_suffix(".sheet.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert json.loads(stored.read_text()) == made
    assert (tmp_path / "cache" / "blendbatch" / "estimates" / stored.name).exists()

    # When the same render is submitted with -f auto as a dry run (no AWS, no Blender)
    dry = run_cli(*_submit_auto(blend, tmp_path), env=_no_blender(tmp_path))

    # Then the stored estimate chose the frames per child, and the numbers are shown
    assert dry.returncode == 0, dry.stdout + dry.stderr
    command = json.loads(dry.stdout)["render"]["containerOverrides"]["command"]
    assert command[command.index("-f") + 1] == "8"
    assert f"-f auto: estimate {made['fingerprint'][:8]}... from " in dry.stderr
    assert "target 4 min = 240 s a child" in dry.stderr
    assert "8 frames per child, 1 child of about" in dry.stderr


def test_estimate_without_blender_says_to_install_the_render_extra(make_blend, tmp_path):
    blend = make_blend(end=2)
    result = run_cli("estimate", str(blend), "-o", str(tmp_path / "out"),
                     env=_no_blender(tmp_path))  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        "error: rendering scout frames here needs Blender's Python module (bpy), which this "
        "Python does not have: install the render extra (pip install 'blendbatch[render]')\n"
    )
    assert not (tmp_path / "out").exists()


def test_f_auto_without_an_estimate_or_blender_names_estimate_on_batch(make_blend, tmp_path):
    blend = make_blend(end=2)
    result = run_cli(*_submit_auto(blend, tmp_path), env=_no_blender(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error: -f auto: no estimate of this render (fingerprint " in result.stderr
    assert (
        f"run `blendbatch estimate {blend} -i S3_INPUT --on-batch -o s3://films/renders -n shot "
        "-q QUEUE -d JOBDEF` with the same settings first (scout frames as jobs on AWS Batch; or "
        "`blendbatch estimate SCENE.blend` here, with the render extra), or give -f N"
    ) in result.stderr
    assert result.stdout == ""
