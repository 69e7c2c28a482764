"""The stitch's choice: join the children's segments, or encode every frame and say why."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from entrypoint import segments
from entrypoint.encode_plan import CODECS
from entrypoint.manifest import latest_records, scene_record, slice_manifest

H264 = CODECS["h264"]
FRAMES = [1, 2, 3, 4]


def manifests(change: dict | None = None) -> list[dict]:
    """Two slices of two frames, each with the segment its child would record."""
    scene = {"name": "Scene", "frames": FRAMES, "fps": 24, "fps_base": 1.0}
    out = []
    for index in (0, 1):
        mine = FRAMES[index * 2 : index * 2 + 2]
        rendered = [{"frame": f, "fingerprint": "fp", "bytes": 9, "written": "t1"} for f in mine]
        latest = latest_records([{"rendered": rendered}])
        record = segments.segment_record(
            index=index,
            frames=mine,
            fingerprint=segments.frames_fingerprint(latest, mine),
            codec=H264,
            crf=18,
            size=(64, 36),
            rate=Fraction(24),
            size_bytes=100 + index,
            seconds=0.1,
        )
        record |= (change or {}).get(index, {})
        manifest = slice_manifest(
            index=index, scene=scene, slice_frames=tuple(mine), extension="png",
            rendered=rendered, skipped=[], settings={}, segment=record,
        )  # fmt: skip
        out.append(json.loads(manifest))
    return out


PRESENT = {"slice-00000.mp4": 100, "slice-00001.mp4": 101}


def choose(found: list[dict], present: dict | None = None, crf: int | None = 18):
    record = scene_record(found)
    return segments.choose_join(found, record, H264, crf, PRESENT if present is None else present)


def test_every_slice_with_a_fresh_consistent_segment_is_joined_in_slice_order():
    plan = choose(list(reversed(manifests())))
    assert plan == segments.JoinPlan(
        ("segments/slice-00000.mp4", "segments/slice-00001.mp4"), 64, 36
    )


@pytest.mark.parametrize(
    ("found", "present", "crf", "why"),
    [
        (
            manifests(),
            {"slice-00000.mp4": 100},
            18,
            "slice 1's segment segments/slice-00001.mp4 is missing",
        ),
        (
            manifests(),
            {**PRESENT, "slice-00001.mp4": 7},
            18,
            "slice 1's segment holds 7 bytes, its record says 101",
        ),
        (
            manifests({1: {"frames_fingerprint": "0" * 32}}),
            None,
            18,
            "slice 1's segment is stale (its frames were rendered again",
        ),
        (manifests(), None, 22, "slice 0's segment is inconsistent (crf 18, the video's is 22)"),
        (manifests({1: {"width": 66}}), None, 18, "slice 1's segment is inconsistent (sizes"),
        (
            manifests({0: {"rate": "25/1"}}),
            None,
            18,
            "slice 0's segment is inconsistent (rate '25/1'",
        ),
        (
            manifests()[:1] + [{**manifests()[1], "segment": None}],
            None,
            18,
            "slice 1 has no segment",
        ),
    ],
    ids=["missing", "wrong-size", "stale", "other-crf", "other-size", "other-rate", "none"],
)
def test_a_segment_that_cannot_be_joined_says_why(found, present, crf, why):
    assert choose(found, present, crf).startswith(why)


def test_a_frame_rendered_again_in_another_slices_manifest_makes_the_segment_stale():
    found = manifests()
    later = {"frame": 3, "fingerprint": "fp", "bytes": 9, "written": "t2"}
    found[0]["rendered"].append(later)  # a re-plan's child re-rendered frame 3 later
    assert "slice 1's segment is stale" in choose(found)


def test_the_concat_list_quotes_paths():
    assert segments.concat_list(["/t/a'b.mp4"]) == "file '/t/a'\\''b.mp4'\n"
