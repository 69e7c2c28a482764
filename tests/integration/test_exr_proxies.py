"""OpenEXR masters with display-referred PNG proxies: the child makes them, the stitch uses them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from entrypoint.video import probe
from tests.conftest import run_cli, run_entrypoint
from tests.integration.render_checks import is_whole, manifest, pixels

# A view transform, look, exposure and gamma far from the defaults: a proxy that ignored any of
# them would differ from the PNG render by much more than the tolerance.
GRADE = """
import bpy, sys
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
view = bpy.context.scene.view_settings
view.view_transform = "Standard"
for look in ("Medium High Contrast", "Standard - Medium High Contrast"):  # names vary by release
    try:
        view.look = look
        break
    except TypeError:
        pass
view.exposure = 1.25
view.gamma = 0.7
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[2])
"""
TOLERANCE = 2  # of 255, per channel: rounding of the 8-bit conversion


def graded(blend: Path, out: Path) -> Path:
    subprocess.run([sys.executable, "-c", GRADE, str(blend), str(out)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    return out


def render(blend: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_entrypoint("render", "-i", str(blend), "-o", str(out), "-f", "2", *extra)


def largest_difference(a: bytes, b: bytes) -> int:
    (wa, ha, ra), (wb, hb, rb) = pixels(a), pixels(b)
    assert (wa, ha, len(ra)) == (wb, hb, len(rb))
    return max(abs(x - y) for x, y in zip(ra, rb, strict=True))


def test_exr_frames_get_proxies_that_look_like_a_png_render(make_blend, tmp_path):
    # Given a graded scene (view transform, look, exposure, gamma)
    blend = graded(make_blend(end=2), tmp_path / "graded.blend")

    # When it renders as OpenEXR, and again as PNG
    exr = render(blend, tmp_path / "exr", "--format", "exr")
    png = render(blend, tmp_path / "png", "--format", "png")

    # Then the masters are EXR, and each has a whole PNG proxy recorded in the manifest
    assert exr.returncode == 0, exr.stderr
    assert png.returncode == 0, png.stderr
    frames = tmp_path / "exr" / "frames"
    assert sorted(p.name for p in frames.iterdir()) == ["0001.exr", "0002.exr"]
    proxies = tmp_path / "exr" / "proxies"
    assert sorted(p.name for p in proxies.iterdir()) == ["0001.png", "0002.png"]
    record = manifest(tmp_path / "exr")
    assert record["extension"] == "exr" and record["proxies"] == "png"
    for frame in record["rendered"]:
        proxy = (proxies / f"{frame['frame']:04d}.png").read_bytes()
        assert is_whole(proxy) and frame["proxy_bytes"] == len(proxy)
    # ... and a proxy matches the PNG render of the same frame: the grade is applied
    for name in ("0001.png", "0002.png"):
        reference = (tmp_path / "png" / "frames" / name).read_bytes()
        assert largest_difference((proxies / name).read_bytes(), reference) <= TOLERANCE
    # ... while the ungraded scene's frame looks clearly different (the test can fail)
    plain = render(make_blend(end=2), tmp_path / "plain", "--format", "png")
    assert plain.returncode == 0, plain.stderr
    ungraded = (tmp_path / "plain" / "frames" / "0001.png").read_bytes()
    assert largest_difference((proxies / "0001.png").read_bytes(), ungraded) > 20
    # ... and a PNG render makes no proxies
    assert not (tmp_path / "png" / "proxies").exists()
    assert manifest(tmp_path / "png")["proxies"] is None


def test_a_frame_whose_proxy_is_gone_is_rendered_again(make_blend, tmp_path):
    # Given EXR frames with their proxies, then one proxy lost
    out = tmp_path / "out"
    assert render(make_blend(end=2), out, "--format", "OpenEXR").returncode == 0
    (out / "proxies" / "0002.png").unlink()

    # When the slice runs again
    again = render(make_blend(end=2), out, "--format", "OpenEXR")

    # Then only that frame is rendered again, and its proxy is back
    assert again.returncode == 0, again.stderr
    assert manifest(out)["runs"][-1]["skipped"] == [1]
    assert manifest(out)["runs"][-1]["rendered"] == [2]
    assert "frame 2: its proxy (proxies/) is missing; rendering again" in again.stderr
    assert is_whole((out / "proxies" / "0002.png").read_bytes())


def test_run_with_openexr_makes_the_video_from_the_proxies(make_blend, tmp_path):
    # Given a 3-frame scene
    blend = make_blend(end=3)

    # When it runs locally as OpenEXR
    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path), "-f", "2", "-n", "shot",
                     "--format", "exr", "--workers", "1")  # fmt: skip

    # Then the EXR masters stay, the proxies are there, and the video and previews exist
    assert result.returncode == 0, result.stdout + result.stderr
    root = tmp_path / "shot"
    names = [f"{frame:04d}" for frame in (1, 2, 3)]
    assert sorted(p.name for p in (root / "frames").iterdir()) == [f"{n}.exr" for n in names]
    assert sorted(p.name for p in (root / "proxies").iterdir()) == [f"{n}.png" for n in names]
    assert probe(root / "output.mp4").frames == 3
    assert (root / "output.poster.jpg").is_file() and (root / "output.sheet.jpg").is_file()
    # ... and the report says the video shows the proxies of the EXR masters
    page = (root / "report.html").read_text()
    assert 'id="pictures"' in page and "proxies/" in page
