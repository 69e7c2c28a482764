"""Cycles' texture cache (Blender 5.2+) writes no `.tx` files into the user's project.

With the scene's auto-generation on, Blender writes `blender_tx/<image>.tx` next to each image it
renders with; the render child sends them into its own temp folder instead. Blender 5.0 has no
texture cache: the same scene renders, and nothing appears next to the image either.
"""

from __future__ import annotations

from importlib.metadata import version

from tests.conftest import run_cli
from tests.integration.blend_variants import build_variant
from tests.integration.render_checks import pixels

GREEN = (40, 200, 60)
HAS_TEXTURE_CACHE = tuple(int(n) for n in version("bpy").split(".")[:2]) >= (5, 2)


def test_run_with_the_texture_cache_on_writes_nothing_next_to_the_projects_image(
    make_blend, tmp_path
):
    # Given a project whose meshes all show textures/green.png unlit (a relative path), saved
    # with the texture cache and its auto-generation on where this Blender has them
    project = tmp_path / "project"
    image = project / "textures" / "green.png"
    image.parent.mkdir(parents=True)
    blend = build_variant(
        make_blend(end=1), project / "scene.blend", "texture_cache", image, *GREEN
    )
    before = sorted(p.relative_to(project) for p in project.rglob("*"))

    # When it renders on this machine
    out = tmp_path / "out"
    result = run_cli("run", "-i", str(blend), "-o", str(out), "-f", "1", "-n", "shot")

    # Then the project holds exactly what it held (no blender_tx/ next to the image), the frame
    # shows the texture (a missing image would be magenta), and the child says where the
    # .tx files went
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    assert not list(tmp_path.rglob("blender_tx")) and not list(tmp_path.rglob("*.tx"))
    width, height, raw = pixels((out / "shot" / "frames" / "0001.png").read_bytes())
    bpp = len(raw) // (width * height)
    at = ((height - 2) * width + width // 2) * bpp  # the ground plane, bottom centre
    assert all(abs(a - b) <= 3 for a, b in zip(raw[at : at + 3], GREEN, strict=True))
    log = (out / "shot" / "logs" / "render-00000.log").read_text()
    said = "texture cache of scene(s) 'Demo': .tx files generated into" in log
    assert said == HAS_TEXTURE_CACHE, log
