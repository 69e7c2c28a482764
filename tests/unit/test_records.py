"""What `cancel` stops and says, what `ls` shows, what `get` fetches (submitter/records.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from submitter.records import (
    Job,
    cancel_lines,
    ls_table,
    pipeline_row,
    pipeline_state,
    results,
    split_for_cancel,
)


def test_a_finished_pipeline_has_nothing_to_cancel():
    jobs = [Job("render", "r-1", "SUCCEEDED"), Job("stitch", "s-2", "SUCCEEDED")]
    stop, left = split_for_cancel(jobs)
    assert stop == []
    assert cancel_lines(stop, left) == [
        "nothing to cancel: render r-1 SUCCEEDED, stitch s-2 SUCCEEDED"
    ]


def test_only_what_still_runs_is_terminated_and_said_so():
    jobs = [Job("render", "r-1", "FAILED"), Job("stitch", "s-2", "PENDING")]
    stop, left = split_for_cancel(jobs)
    assert [job.job_id for job in stop] == ["s-2"]
    assert cancel_lines(stop, left) == [
        "terminated stitch s-2 (was PENDING)",
        "already finished: render r-1 FAILED",
    ]


@pytest.mark.parametrize(
    ("render", "stitch", "state"),
    [
        ("SUCCEEDED", "SUCCEEDED", "SUCCEEDED"),
        ("RUNNING", "PENDING", "RUNNING"),
        ("FAILED", "PENDING", "FAILED"),
        ("SUCCEEDED", "FAILED", "FAILED"),
        (None, None, None),
    ],
)
def test_pipeline_state(render, stitch, state):
    assert pipeline_state(render, stitch) == state


def test_a_frames_only_pipeline_is_done_when_its_render_is():
    record = {"renderJobId": "r-1", "stitchJobId": None, "output": "s3://b/r/x", "video": False}
    when = datetime(2026, 12, 1, tzinfo=UTC)
    states = [
        pipeline_row(record, when, {"r-1": status})["state"]
        for status in ("RUNNABLE", "SUCCEEDED", "FAILED")
    ]
    assert states == ["RUNNING", "SUCCEEDED", "FAILED"]
    assert pipeline_row(record, when, {})["state"] is None


def test_a_row_per_pipeline_from_its_record():
    record = {
        "renderJobId": "r-1",
        "stitchJobId": "s-2",
        "output": "s3://b/renders/shot",
        "renderRequest": {
            "jobName": "shot-render",
            "containerOverrides": {"command": ["render", "-o", "s3://b/renders/shot", "-t", "48"]},
            "arrayProperties": {"size": 5},
        },
    }
    when = datetime(2026, 12, 1, 10, 22, 5, tzinfo=UTC)
    row = pipeline_row(record, when, {"r-1": "SUCCEEDED"})
    assert row == {
        "name": "shot",
        "output": "s3://b/renders/shot",
        "submitted": "2026-12-01T10:22:05+00:00",
        "renderJobId": "r-1",
        "stitchJobId": "s-2",
        "renderStatus": "SUCCEEDED",
        "stitchStatus": None,
        "state": "RUNNING",
        "frames": 48,
        "children": 5,
        "video": True,
    }
    assert ls_table([row]) == [
        "SUBMITTED (UTC)   NAME  STATE    FRAMES  RENDER JOB",
        "2026-12-01 10:22  shot  RUNNING  48      r-1",
    ]


def test_get_fetches_the_videos_previews_and_report_only():
    names = ["output.mp4", "output.poster.jpg", "output.sheet.jpg", "report.html", "shot.webm",
             "notes.txt", "output.mov"]  # fmt: skip
    assert results(names) == [
        "output.mov", "output.mp4", "output.poster.jpg", "output.sheet.jpg", "report.html",
        "shot.webm",
    ]  # fmt: skip
