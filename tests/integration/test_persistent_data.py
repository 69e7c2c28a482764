"""Persistent render data: on for slices of 2+ frames, off by a switch, never in the
fingerprint; each frame's peak memory recorded."""

from __future__ import annotations

from tests.conftest import run_entrypoint
from tests.integration.render_checks import frame_files, manifest, pixels


def render(blend, out, *extra, attempt="1"):
    return run_entrypoint(
        "render", "-i", str(blend), "-o", str(out), "-f", "3", *extra,
        env={"AWS_BATCH_JOB_ATTEMPT": attempt},
    )  # fmt: skip


def test_the_switch_reaches_blender_and_leaves_the_pixels_and_fingerprint_alone(
    make_blend, tmp_path
):
    # Given a 3-frame slice rendered with the default and with --no-persistent-data
    blend = make_blend(end=3)
    kept = render(blend, tmp_path / "kept")
    off = render(blend, tmp_path / "off", "--no-persistent-data")

    # Then Blender read back persistent data on for the default and off for the switch
    assert kept.returncode == 0, kept.stderr
    assert off.returncode == 0, off.stderr
    on_record, off_record = manifest(tmp_path / "kept"), manifest(tmp_path / "off")
    assert on_record["settings"]["persistent_data"] is True
    assert on_record["runs"][-1]["settings"]["persistent_data"] is True
    assert off_record["settings"]["persistent_data"] is False
    # And the frames carry the same fingerprint and the same pixels either way
    assert on_record["fingerprint"] == off_record["fingerprint"]
    assert {r["fingerprint"] for r in on_record["rendered"]} == {off_record["fingerprint"]}
    for name in frame_files(tmp_path / "kept"):
        assert pixels((tmp_path / "kept" / "frames" / name).read_bytes()) == pixels(
            (tmp_path / "off" / "frames" / name).read_bytes()
        ), name


def test_each_frame_records_its_own_peak_memory(make_blend, tmp_path):
    # When a slice of 3 frames renders
    result = render(make_blend(end=3), tmp_path / "out")

    # Then every frame record has a peak of this process's size (Blender alone is ~200 MB),
    # measured per frame, and the run's peak is at least each frame's
    assert result.returncode == 0, result.stderr
    record = manifest(tmp_path / "out")
    peaks = [r["peak_rss_bytes"] for r in record["rendered"]]
    assert len(peaks) == 3 and all(100 << 20 < peak < 8 << 30 for peak in peaks), peaks
    run = record["runs"][-1]
    assert run["frame_peak"] == "frame"
    assert run["peak_rss_bytes"] >= max(peaks)
    assert "peak memory" in result.stderr


def test_a_single_frame_slice_keeps_no_data_and_resume_works_with_it_on(make_blend, tmp_path):
    # Given frame 1 rendered alone (a slice of one frame: nothing to keep data for)
    blend = make_blend(end=3)
    out = tmp_path / "out"
    first = render(blend, out, "--end", "1")
    assert first.returncode == 0, first.stderr
    assert manifest(out)["settings"]["persistent_data"] is False

    # When the whole slice runs again with persistent data on (the default for 3 frames)
    second = render(blend, out, attempt="2")

    # Then frame 1 is skipped (persistent data is not in the fingerprint), frames 2-3 render
    assert second.returncode == 0, second.stderr
    assert "frame 1: already in the output, skipped" in second.stderr
    run = manifest(out)["runs"][-1]
    assert (run["rendered"], run["skipped"]) == ([2, 3], [1])
    assert run["settings"]["persistent_data"] is True
    assert frame_files(out) == ["0001.png", "0002.png", "0003.png"]
