"""`blendbatch run`: the whole pipeline on this machine, no AWS."""

import shlex
from fractions import Fraction

from entrypoint.video import probe
from tests.conftest import run_cli
from tests.integration.blend_variants import build_variant


def test_run_renders_all_slices_in_parallel_and_stitches(make_blend, tmp_path):
    # Given a 5-frame 30 fps scene with an odd resolution
    blend = make_blend(end=5, fps=30, width=63, height=35)

    # When it runs locally, 2 frames per child, 2 children at a time
    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path), "-f", "2", "-n", "shot",
                     "--workers", "2")  # fmt: skip

    # Then every frame and the padded 30 fps video are there
    assert result.returncode == 0, result.stdout + result.stderr
    root = tmp_path / "shot"
    assert sorted(p.name for p in (root / "frames").iterdir()) == [
        f"{f:04d}.png" for f in range(1, 6)
    ]
    facts = probe(root / "output.mp4")
    assert (facts.frames, facts.rate, facts.width, facts.height) == (5, Fraction(30), 64, 36)
    assert "frames 5/5" in result.stdout
    assert f"video: {root / 'output.mp4'}" in result.stdout


def test_a_failing_child_fails_the_run_and_names_its_log(make_blend, tmp_path):
    # Given a scene without a camera: its header reads fine, so only Blender (a child) can refuse
    blend = build_variant(make_blend(end=2), tmp_path / "no-camera.blend", "no_camera")

    # When it runs locally, one frame per child
    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path / "out"), "-f", "1", "-n", "shot")

    # Then both children started and refused it (bad input, exit 2), the run exits 2 naming
    # each child's log, which holds the child's own message, and nothing was stitched
    assert result.returncode == 2, result.stdout + result.stderr
    logs = tmp_path / "out" / "shot" / "logs"
    for label in ("render-00000", "render-00001"):
        log = logs / f"{label}.log"
        assert f"{label} exited 2: scene " in result.stderr
        assert f"has no camera: pass --camera NAME or add one (log: {log})" in result.stderr
        assert "has no camera" in log.read_text()
    assert not (logs / "stitch.log").exists()
    assert not (tmp_path / "out" / "shot" / "output.mp4").exists()


def test_run_passes_frames_overrides_and_stitch_options_to_the_children(make_blend, tmp_path):
    # Given a 6-frame scene
    blend = make_blend(end=6)

    # When only frames 2-4 are rendered at 50 %, into a VP9 video named "preview"
    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path), "-n", "cut", "-f", "2",
                     "--frames", "2-4", "--resolution-percent", "50",
                     "--codec", "vp9", "--video-name", "preview")  # fmt: skip

    # Then just those frames exist, at half size, and the video has them all
    assert result.returncode == 0, result.stdout + result.stderr
    root = tmp_path / "cut"
    assert sorted(p.name for p in (root / "frames").iterdir()) == [
        "0002.png",
        "0003.png",
        "0004.png",
    ]
    facts = probe(root / "preview.webm")
    assert (facts.frames, facts.width, facts.height) == (3, 32, 18)
    assert f"video: {root / 'preview.webm'}" in result.stdout


def test_a_bad_stitch_option_fails_before_anything_renders(make_blend, tmp_path):
    blend = make_blend(end=2)
    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path), "--codec", "prores",
                     "--crf", "20")  # fmt: skip
    assert result.returncode == 2
    assert "prores has no CRF setting: drop --crf" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_bad_override_fails_before_any_child_starts(make_blend, tmp_path):
    blend = make_blend(end=2)
    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path / "out"), "--samples", "-3")
    assert result.returncode == 2
    assert result.stderr == "error: --samples -3: give 1 or more\n"
    assert not (tmp_path / "out").exists()


def test_each_childs_exact_command_and_index_are_logged(make_blend, tmp_path):
    # Given a 2-frame scene run as 2 one-frame children
    blend = make_blend(end=2)
    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path), "-n", "take 2", "-f", "1",
                     "--samples", "1", "--device", "cpu")  # fmt: skip

    # Then each child's log starts with the command that ran it, index included, as printed
    assert result.returncode == 0, result.stdout + result.stderr
    root = tmp_path / "take 2"
    for index in (0, 1):
        first = (root / "logs" / f"render-{index:05d}.log").read_text().splitlines()[0]
        command = first.removeprefix("$ ")
        assert f"  render-{index:05d}: {command}" in result.stdout.splitlines()
        words = shlex.split(command)
        assert words[0] == f"AWS_BATCH_JOB_ARRAY_INDEX={index}"
        assert words[2:] == ["-m", "entrypoint", "render", "-i", str(blend.resolve()),
                             "-o", str(root), "-f", "1", "-t", "2", "--content-id", words[14],
                             "--samples", "1", "--threads", words[-5],
                             "--device", "cpu", "--codec", "h264"]  # fmt: skip
        assert words[14].startswith("sha256:")
