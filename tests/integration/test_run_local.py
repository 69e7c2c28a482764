"""`blendbatch run`: the whole pipeline on this machine, no AWS."""

from fractions import Fraction

from entrypoint.video import probe
from tests.conftest import run_cli


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


def test_a_failing_child_fails_the_run_and_names_its_log(tmp_path):
    fake = tmp_path / "broken.blend"
    fake.write_bytes(b"BLENDER-v300" + b"\0" * 64)
    result = run_cli("run", "-i", str(fake), "-o", str(tmp_path / "out"), "-f", "1")
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert not (tmp_path / "out" / "render" / "output.mp4").exists()
