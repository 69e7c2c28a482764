"""The report's model: what the page shows, computed from the slice manifests alone."""

import copy

import pytest

from entrypoint import report
from tests.report_kit import EVIL, FRAMES, manifests

FILES = {"video": "output.mp4", "poster": "output.poster.jpg", "sheet": "output.sheet.jpg"}


def build(ms=None, **options):
    return report.build(manifests() if ms is None else ms, files=FILES, **options)


def test_totals_count_every_render_of_every_attempt():
    totals = build()["totals"]
    assert totals == {
        "frames": 12,
        "renders": 13,  # frame 9 twice
        "render_seconds": 23.7,  # 1+2+3+4, 2+2.5+3+3.5, 0.7 (4.5.0) + 4 x 0.5
        "render_hours": round(23.7 / 3600, 4),
        "child_seconds": 43.0,  # 10; 7 + 10; 4 + 12
        "wall_seconds": 40.0,  # first start 10:00:00, last end 10:00:40
        "children": 3,
        "retries": 2,
        "reclaims": 1,
        "cost": None,  # no price known (below)
        "price_per_hour": None,
        "cost_note": report.UNKNOWN_COST,
    }


def test_cost_is_unknown_not_zero_without_a_price():
    totals = build()["totals"]
    assert totals["cost"] is None and totals["price_per_hour"] is None
    assert totals["cost_note"] == report.UNKNOWN_COST
    assert totals["cost_note"].startswith("unknown (pass --price-per-hour and --vcpus")


def test_cost_is_child_hours_times_the_price_with_its_source():
    source = "4 vCPUs a child, c6i.xlarge spot"
    totals = build(price_per_hour=0.36, price_source=source)["totals"]
    assert totals["cost"] == round(43.0 / 3600 * 0.36, 4)
    assert totals["price_per_hour"] == 0.36
    assert (
        totals["cost_note"] == f"{source}; an estimate: prices change (Spot by the hour and zone)"
    )
    # a table price's source already says so
    noted = build(price_per_hour=0.36, price_source="x (prices change)")["totals"]
    assert noted["cost_note"] == "x (prices change)"


def test_the_price_comes_from_the_estimate_of_the_same_render():
    stored = {
        "fingerprint": "ab" * 16,
        "projection": {"vcpus": 2, "price": {"per_child_hour": 0.034, "source": "2/4 of x"}},
    }
    assert report.price_of(stored, "ab" * 16) == (
        0.034,
        "2 vCPUs a child, 2/4 of x (from estimate abababab...)",
    )
    assert report.price_of(stored, "cd" * 16) == (None, None)  # another render's
    assert report.price_of({"fingerprint": "ab" * 16}, "ab" * 16) == (None, None)
    assert report.price_of(None, "ab" * 16) == (None, None)


def test_one_bar_per_scene_frame_from_its_latest_render():
    bars = build()["bars"]
    assert [b["frame"] for b in bars] == FRAMES
    nine = bars[FRAMES.index(9)]
    assert (nine["seconds"], nine["attempt"], nine["blender"], nine["renders"]) == (
        0.5, 2, "5.0.0", 2
    )  # fmt: skip
    assert [b["child"] for b in bars] == [0] * 4 + [1] * 4 + [2] * 4
    assert nine["peak_rss_bytes"] == 309 << 20
    assert bars[1]["time"] == pytest.approx(1 / 24, abs=1e-6)  # where frame 2 starts


def test_retries_and_reclaims_are_marked_on_their_frames():
    bars = build()["bars"]
    assert [b["frame"] for b in bars if b["reclaimed"]] == [5, 6]
    assert [b["frame"] for b in bars if b["retried"]] == [7, 8, 9, 10, 11, 12]


def test_the_timeline_places_each_attempt_from_the_first_start():
    children = build()["children"]
    spans = [[(r["start"], r["end"], r["state"]) for r in c["runs"]] for c in children]
    assert spans == [
        [(0.0, 10.0, "complete")],
        [(0.0, 7.0, "terminated"), (15.0, 25.0, "complete")],
        [(1.0, 5.0, "failed"), (28.0, 40.0, "complete")],
    ]


def test_a_run_without_an_end_lasts_until_its_last_frame_and_is_warned_about():
    ms = manifests()
    run = ms[0]["runs"][0]
    del run["finished"]
    run["outcome"] = "running"
    model = build(ms)
    assert model["children"][0]["runs"][0]["end"] == 8.0  # frame 4 written at 10:00:08
    assert any("child 0 attempt 1 recorded no end" in w for w in model["warnings"])


def test_warnings_name_what_the_user_allowed_and_version_differences():
    warnings = build(gaps="missing 12")["warnings"]
    assert warnings == [
        "--allow-gaps: frames missing 12 are NOT in the video; the frame before each "
        "(or the first good one) is held in their place",
        "--allow-missing: rendered without the image '<b>wood</b>': /x/wood.png",
        "--allow-unbaked: Sim <i>smoke</i> is simulated from each child's first frame, so its "
        "frames depend on -f",
        "--allow-file-output: the File Output node 'File Output' of 'Compositing' wrote files "
        "(kept under passes/)",
        "frames were made by different Blender versions: 5.0.0 (frames 9-12), 5.0.1 (frames 1-8)",
    ]


def test_a_clean_render_has_no_warnings():
    ms = manifests("Shot")
    for m in ms:
        for r in m["rendered"]:
            r["blender"] = "5.0.1"
        for run in m["runs"]:
            run.update(missing=[], unbaked=[], file_outputs=[])
    assert build(ms)["warnings"] == []


def test_frames_nobody_recorded_still_get_their_bar():
    ms = copy.deepcopy(manifests())
    ms[2]["rendered"] = []
    bars = build(ms)["bars"]
    assert len(bars) == 12
    assert bars[-1]["child"] is None
    assert bars[-1]["seconds"] is None and not bars[-1]["retried"]


def test_settings_that_differ_between_children_show_every_value():
    ms = manifests()
    ms[1]["settings"]["devices"] = ["CPU"]
    ms[2]["settings"]["devices"] = ["OPTIX"]
    settings = dict(build(ms)["settings"])
    assert settings["devices"] == '["CPU"] | ["OPTIX"]'
    assert settings["scene"] == EVIL
    assert settings["samples"] == "4"


def test_the_model_is_plain_data():
    import json

    model = build(price_per_hour=1.0)
    assert json.loads(json.dumps(model)) == model
