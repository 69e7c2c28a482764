"""Overrides, scenes, cameras, devices and safe loading, read back from what was rendered."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from tests.conftest import run_entrypoint
from tests.integration.blend_variants import build_variant
from tests.integration.render_checks import frame_files, manifest, size_of


@pytest.fixture(scope="module")
def multi_blend(make_blend, tmp_path_factory):
    """Scene 'Demo' (64x36, 1-4, camera 'Camera') + 'Alt' (48x24, 2-3, 30 fps, Workbench, video)
    + camera 'SideCam'."""
    base = make_blend(end=4)
    return build_variant(base, tmp_path_factory.mktemp("multi") / "multi.blend", "multi")


def render(blend, out, *extra, index=0):
    return run_entrypoint(
        "render", "-i", str(blend), "-o", str(out), "-f", "9", *extra, index=index
    )


def test_each_override_is_applied_and_read_back(multi_blend, tmp_path):
    # When the scene renders with every override set
    out = tmp_path / "out"
    result = render(
        multi_blend,
        out,
        "--samples", "3",
        "--resolution-percent", "50",
        "--threads", "1",
        "--device", "cpu",
        "--end", "1",
    )  # fmt: skip

    # Then the manifest reads them back and the frame has the scaled size
    assert result.returncode == 0, result.stderr
    settings = manifest(out)["settings"]
    assert (settings["samples"], settings["resolution_percent"], settings["threads"]) == (3, 50, 1)
    assert (settings["width"], settings["height"]) == (32, 18)
    assert settings["cycles_device"] == "CPU"
    assert settings["devices"][0].startswith("CPU")
    assert "devices: CPU" in result.stderr
    assert settings["blender"] == version("bpy")  # the Blender that rendered, whichever it is
    assert size_of(out / "frames" / "0001.png") == (32, 18)
    scene = manifest(out)["scene"]
    assert (scene["fps"], scene["fps_base"], scene["frames"]) == (24, 1.0, [1])
    assert (scene["resolution_x"], scene["resolution_y"], scene["resolution_percent"]) == (
        64,
        36,
        50,
    )


def test_another_scene_renders_with_its_own_range_rate_and_size(multi_blend, tmp_path):
    # When scene 'Alt' (Workbench, set to write a video) renders with Cycles
    out = tmp_path / "out"
    result = render(multi_blend, out, "--scene", "Alt", "--engine", "cycles", "--samples", "1")

    # Then its frames 2-3 are PNG images of its size, and the manifest describes Alt
    assert result.returncode == 0, result.stderr
    assert frame_files(out) == ["0002.png", "0003.png"]
    assert size_of(out / "frames" / "0002.png") == (48, 24)
    record = manifest(out)
    assert (record["scene"]["name"], record["scene"]["fps"], record["scene"]["frames"]) == (
        "Alt",
        30,
        [2, 3],
    )
    assert (record["settings"]["scene"], record["settings"]["engine"]) == ("Alt", "CYCLES")
    assert "the scene writes VIDEO" in result.stderr
    assert "rendering PNG images instead" in result.stderr


def test_another_camera_gives_another_picture(multi_blend, tmp_path):
    default = render(multi_blend, tmp_path / "a", "--end", "1")
    side = render(multi_blend, tmp_path / "b", "--end", "1", "--camera", "SideCam")
    assert default.returncode == side.returncode == 0, side.stderr
    assert manifest(tmp_path / "b")["settings"]["camera"] == "SideCam"
    first = (tmp_path / "a" / "frames" / "0001.png").read_bytes()
    assert (tmp_path / "b" / "frames" / "0001.png").read_bytes() != first


@pytest.mark.parametrize(
    ("word", "name", "magic"),
    [("JPEG", "0001.jpg", b"\xff\xd8\xff"), ("OpenEXR", "0001.exr", b"\x76\x2f\x31\x01")],
    ids=["jpeg", "openexr"],
)
def test_the_frame_format_can_be_chosen(multi_blend, tmp_path, word, name, magic):
    out = tmp_path / "out"
    result = render(multi_blend, out, "--end", "1", "--format", word)
    assert result.returncode == 0, result.stderr
    assert frame_files(out) == [name]
    assert (out / "frames" / name).read_bytes()[: len(magic)] == magic
    assert manifest(out)["extension"] == name.split(".")[1]


def test_narrowing_keeps_the_scenes_step_and_slices_it(make_blend, tmp_path):
    # Given a scene 1-9 by 2 narrowed to 4-9 (frames 5, 7, 9) at 2 frames per job
    blend = make_blend(end=9, step=2)
    out = tmp_path / "out"
    narrow = ("--start", "4", "--end", "9")

    # When child 1 renders
    result = run_entrypoint("render", "-i", str(blend), "-o", str(out), "-f", "2", *narrow, index=1)

    # Then it renders the third frame of the narrowed list
    assert result.returncode == 0, result.stderr
    assert frame_files(out) == ["0009.png"]
    assert manifest(out, 1)["scene"]["frames"] == [5, 7, 9]


@pytest.mark.parametrize("device", ["cuda", "optix", "hip", "oneapi"])
def test_a_gpu_asked_for_and_absent_fails_loudly(multi_blend, tmp_path, device):
    out = tmp_path / "out"
    result = render(multi_blend, out, "--device", device)
    assert result.returncode == 2
    assert f"--device {device}: no {device.upper()} GPU on this machine" in result.stderr
    assert "devices present: CPU" in result.stderr
    assert not out.exists()


def test_auto_device_falls_back_to_the_cpu_and_says_so(multi_blend, tmp_path):
    result = render(multi_blend, tmp_path / "out", "--end", "1")
    assert result.returncode == 0, result.stderr
    assert "devices: CPU" in result.stderr
    assert manifest(tmp_path / "out")["settings"]["cycles_device"] == "CPU"


def test_scripts_in_the_blend_do_not_run_unless_allowed(make_blend, tmp_path):
    # Given a .blend with a registered text block and a Python driver that create marker files
    markers = tmp_path / "markers"
    markers.mkdir()
    blend = build_variant(make_blend(end=1), tmp_path / "scripted.blend", "scripted", markers)

    # When it renders by default
    safe = render(blend, tmp_path / "safe")

    # Then neither ran, the frame was rendered, and the log says how to opt in
    assert safe.returncode == 0, safe.stderr
    assert list(markers.iterdir()) == []
    assert frame_files(tmp_path / "safe") == ["0001.png"]
    assert "Python drivers will not evaluate" in safe.stderr
    assert "--allow-scripts" in safe.stderr

    # When the user opts in, both run
    trusted = render(blend, tmp_path / "trusted", "--allow-scripts")
    assert trusted.returncode == 0, trusted.stderr
    assert sorted(p.name for p in markers.iterdir()) == ["driver-ran", "text-block-ran"]


def test_denoising_can_be_turned_on_and_off_and_is_read_back(multi_blend, tmp_path):
    # Given the scene saved with denoising off
    # When frame 1 renders with the scene's setting and with --denoise
    kept = render(multi_blend, tmp_path / "kept", "--end", "1", "--samples", "1")
    on = render(multi_blend, tmp_path / "on", "--end", "1", "--samples", "1", "--denoise")

    # Then the manifests read back what Blender used, and the denoised picture differs
    assert kept.returncode == on.returncode == 0, on.stderr
    assert manifest(tmp_path / "kept")["settings"]["denoise"] is False
    assert manifest(tmp_path / "on")["settings"]["denoise"] is True
    first = (tmp_path / "kept" / "frames" / "0001.png").read_bytes()
    assert (tmp_path / "on" / "frames" / "0001.png").read_bytes() != first

    # And --no-denoise is refused for an engine that has no denoiser
    workbench = render(multi_blend, tmp_path / "wb", "--engine", "workbench", "--no-denoise")
    assert workbench.returncode == 2
    assert "--denoise applies to Cycles, not BLENDER_WORKBENCH: drop it" in workbench.stderr
