"""The estimate's arithmetic and its JSON: exact for given scouts."""

import json

import pytest

from submitter import estimate, estimate_text
from submitter.estimate import Price, Scout, Spread

# Three scouts: frames of 1, 2 and 4 s (binary-exact), start-ups of 3, 4 and 8 s.
SCOUTS = (
    Scout(frame=1, seconds=1.0, wall_seconds=4.0, peak_rss_bytes=100),
    Scout(frame=50, seconds=2.0, wall_seconds=6.0, peak_rss_bytes=300),
    Scout(frame=100, seconds=4.0, wall_seconds=12.0, peak_rss_bytes=200),
)
PRICE = Price(per_child_hour=0.5, source="--price-per-hour")


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, (1,)), (2, (1, 100)), (3, (1, 51, 100)), (5, (1, 26, 51, 75, 100))],
    ids=["one", "ends", "default", "five"],
)
def test_scouts_are_first_last_and_evenly_spread(count, expected):
    assert estimate.scout_frames(tuple(range(1, 101)), count) == expected


def test_a_short_shot_gives_fewer_scouts_than_asked():
    assert estimate.scout_frames((10, 12), 3) == (10, 12)
    assert estimate.scout_frames((7,), 3) == (7,)


def test_start_up_is_the_process_wall_time_less_the_frame():
    assert [s.startup_seconds for s in SCOUTS] == [3.0, 4.0, 8.0]


def test_the_projection_is_exact_for_given_scouts():
    # Given 100 frames at 10 a child (10 children), 4 at a time, measured with 2 threads for
    # children of 2 vCPUs (no scaling)
    projected = estimate.project(SCOUTS, frames=100, frames_per_child=10, max_children=4,
                                 measured_threads=2, vcpus=2, price=PRICE)  # fmt: skip

    # Then a child is start-up + 10 frames, for each end of the spread
    assert projected.children == 10
    assert projected.child_seconds == Spread(3 + 10 * 1, 4 + 10 * 2, 8 + 10 * 4)
    # frame hours: 100 frames; child hours add 10 start-ups
    assert projected.frame_hours == Spread(100 / 3600, 200 / 3600, 400 / 3600)
    assert projected.child_hours == Spread(130 / 3600, 240 / 3600, 480 / 3600)
    # 10 children, 4 at a time: 3 waves of full children
    assert projected.wall_seconds == Spread(3 * 13, 3 * 24, 3 * 48)
    assert projected.cost == Spread(0.5 * 130 / 3600, 0.5 * 240 / 3600, 0.5 * 480 / 3600)


def test_render_seconds_scale_with_the_childs_vcpus_but_start_up_does_not():
    projected = estimate.project(SCOUTS, frames=10, frames_per_child=10, max_children=1,
                                 measured_threads=2, vcpus=4, price=PRICE)  # fmt: skip
    assert projected.scale == 0.5
    assert projected.child_seconds == Spread(3 + 5.0, 4 + 10.0, 8 + 20.0)


@pytest.mark.parametrize(
    ("frames", "per_child", "max_children", "expected"),
    [
        (25, 10, 100, 4 + 10 * 2),  # 3 children at once: the full ones decide
        (25, 10, 2, (4 + 10 * 2) + (4 + 5 * 2)),  # the last wave is the 5-frame child alone
        (10, 10, 1, 4 + 10 * 2),
        (1, 10, 1, 4 + 1 * 2),  # fewer frames than a child holds
    ],
    ids=["one-wave", "short-last-wave", "one-child", "one-frame"],
)
def test_wall_time_counts_waves_and_the_short_last_child(frames, per_child, max_children, expected):
    assert estimate.wall_seconds(frames, per_child, max_children, 4.0, 2.0) == expected


def test_a_table_instance_is_shared_by_its_vcpus():
    price = estimate.price_for(2, price_per_hour=None, instance="c6i.xlarge", market="on-demand")
    vcpus, on_demand, _ = estimate.PRICES["c6i.xlarge"]
    assert price.per_child_hour == on_demand * 2 / vcpus
    assert price.source.startswith("2/4 of c6i.xlarge on-demand at $0.170/h (us-east-1 Linux")
    assert estimate.PRICES_AS_OF in price.source and "prices change" in price.source


def test_table_spot_figures_are_the_stated_share_of_on_demand():
    # The Spot column is no quote: each figure is 40 % of On-Demand, as PRICES_NOTE says
    for vcpus, on_demand, spot in estimate.PRICES.values():
        assert vcpus >= 1 and spot == round(on_demand * 0.4, 3)
    assert "Spot is a typical 40 % of On-Demand" in estimate.PRICES_NOTE


def test_a_given_price_is_one_child_hour():
    price = estimate.price_for(8, price_per_hour=1.25, instance="c6i.xlarge", market="spot")
    assert price == Price(1.25, "--price-per-hour")


def _estimate() -> estimate.Estimate:
    projection = estimate.project(SCOUTS, frames=100, frames_per_child=10, max_children=4,
                                  measured_threads=2, vcpus=2, price=PRICE)  # fmt: skip
    return estimate.Estimate(
        fingerprint="f" * 32,
        content_id="sha256:" + "0" * 64,
        scene={
            "name": "Shot",
            "first": 1,
            "last": 100,
            "step": 1,
            "frames": 100,
            "width": 64,
            "height": 36,
        },  # fmt: skip
        measured={
            "host": "h",
            "cpus": 2,
            "threads": 2,
            "blender": "5.0.1",
            "load_average": 0.5,
            "when": "2026-01-01T00:00:00+00:00",
        },  # fmt: skip
        scouts=SCOUTS,
        projection=projection,
        sheet="/out/shot/estimates/" + "f" * 32 + ".sheet.jpg",
    )


def test_the_json_schema_is_stable():
    document = estimate.to_json(_estimate())
    assert list(document) == [
        "format", "fingerprint", "content_id", "scene", "measured", "scouts",
        "per_frame_seconds", "startup_seconds", "peak_rss_bytes", "projection", "sheet",
    ]  # fmt: skip
    assert document["format"] == 1
    assert document["scouts"][2] == {"frame": 100, "seconds": 4.0, "wall_seconds": 12.0,
                                     "peak_rss_bytes": 200, "startup_seconds": 8.0}  # fmt: skip
    assert document["per_frame_seconds"] == {"low": 1.0, "median": 2.0, "high": 4.0}
    assert document["startup_seconds"] == {"low": 3.0, "median": 4.0, "high": 8.0}
    assert document["peak_rss_bytes"] == 300
    assert sorted(document["projection"]) == sorted([
        "frames", "frames_per_child", "children", "max_children", "vcpus", "scale",
        "child_seconds", "frame_hours", "child_hours", "wall_seconds", "cost", "price",
    ])  # fmt: skip
    assert document["projection"]["price"] == {"per_child_hour": 0.5, "source": "--price-per-hour"}


def test_a_stored_estimate_reads_back_to_the_same_document():
    stored = json.loads(json.dumps(estimate.to_json(_estimate())))
    read = estimate.from_json(stored)
    assert read.scouts == SCOUTS and read.fingerprint == "f" * 32
    assert read.projection.child_seconds == Spread(13.0, 24.0, 48.0)
    assert estimate.to_json(read) == stored


@pytest.mark.parametrize(
    "document",
    [{}, {"format": 2}, {"format": 1, "scouts": []}, []],
    ids=["empty", "other-format", "incomplete", "not-an-object"],
)
def test_anything_else_is_not_an_estimate(document):
    with pytest.raises(ValueError):
        estimate.from_json(document)


def test_the_text_names_the_spread_and_the_assumptions():
    text = "\n".join(estimate_text.lines(_estimate()))
    assert "seconds a frame:  2.0 s (1.0 - 4.0) (min / median / max)" in text
    assert "start-up a child: 4.0 s (3.0 - 8.0)" in text
    assert "projection for 100 frames at 10 per child (10 children, at most 4 at a time" in text
    assert "wall time:        72.0 s (39.0 - 144.0)" in text
    assert "3 scouts show their own spread, not the shot's" in text
