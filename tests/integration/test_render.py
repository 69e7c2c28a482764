"""`python -m entrypoint render` with real Blender on tiny scenes."""

import json

from tests.conftest import run_entrypoint


def frames_in(folder) -> list[str]:
    return sorted(p.name for p in (folder / "frames").iterdir())


def test_each_child_renders_its_slice_of_a_stepped_scene(make_blend, tmp_path):
    # Given a scene 3-9 by 2 (frames 3, 5, 7, 9) and 3 frames per job
    blend = make_blend(start=3, end=9, step=2)
    out = tmp_path / "out"

    # When child 0 and child 1 render
    first = run_entrypoint("render", "-i", str(blend), "-o", str(out), "-f", "3", index=0)
    assert first.returncode == 0, first.stderr
    assert frames_in(out) == ["0003.png", "0005.png", "0007.png"]
    second = run_entrypoint("render", "-i", str(blend), "-o", str(out), "-f", "3", index=1)

    # Then each wrote only its own frames, named by scene frame number
    assert second.returncode == 0, second.stderr
    assert frames_in(out) == ["0003.png", "0005.png", "0007.png", "0009.png"]
    manifest = json.loads((out / "manifests" / "slice-00001.json").read_text())
    assert manifest["slice"] == [9]
    assert manifest["scene"]["frames"] == [3, 5, 7, 9]
    assert [r["frame"] for r in manifest["rendered"]] == [9]


def test_an_index_past_the_last_slice_says_so_and_succeeds(make_blend, tmp_path):
    blend = make_blend(end=4)
    result = run_entrypoint("render", "-i", str(blend), "-o", str(tmp_path), "-f", "2", index=2)
    assert result.returncode == 0
    assert "past the last slice: 4 frames at 2 per job give 2 slices (0-1)" in result.stderr
    assert not (tmp_path / "frames").exists()


def test_the_output_path_saved_in_the_blend_is_never_written(make_blend, tmp_path):
    stored = tmp_path / "stored-output"
    stored.mkdir()
    blend = make_blend(end=1, stored_output=f"{stored}/")
    result = run_entrypoint("render", "-i", str(blend), "-o", str(tmp_path / "out"), "-f", "1")
    assert result.returncode == 0, result.stderr
    assert list(stored.iterdir()) == []
    assert frames_in(tmp_path / "out") == ["0001.png"]


def test_a_planned_total_smaller_than_the_scene_is_refused(make_blend, tmp_path):
    blend = make_blend(end=4)
    out = tmp_path / "out"
    result = run_entrypoint("render", "-i", str(blend), "-o", str(out), "-f", "1", "-t", "2")
    assert result.returncode == 2
    assert "-t 2 but the scene has 4 frames" in result.stderr
    assert not out.exists()


def test_a_file_that_is_not_a_blend_is_bad_input(tmp_path):
    fake = tmp_path / "scene.blend"
    fake.write_text("not a blend file")
    result = run_entrypoint("render", "-i", str(fake), "-o", str(tmp_path / "out"), "-f", "1")
    assert result.returncode == 2
    assert "Blender cannot open scene.blend" in result.stderr
    assert not (tmp_path / "out").exists()
