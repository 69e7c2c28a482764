"""What `run`, `status` and `watch` show: the report model, its JSON and its text."""

from submitter import progress, progresstext, records
from submitter.outsidetext import outside_lines

COMMAND = ["render", "-i", "s3://b/s.blend", "-o", "s3://b/r/shot", "-f", "5", "-t", "48"]


def render(status="RUNNING", summary=None, **extra) -> dict:
    job = {"jobId": "r-1", "jobName": "shot-render", "status": status}
    job["container"] = {"command": COMMAND}
    if summary is not None:
        job["arrayProperties"] = {"size": 10, "statusSummary": summary}
    return job | extra


def stitch(status="PENDING", **extra) -> dict:
    job = {"jobId": "s-1", "jobName": "shot-stitch", "status": status}
    job["container"] = {"command": ["stitch", "-i", "s3://b/r/shot", "-o", "s3://b/r/shot"]}
    return job | {"dependsOn": [{"jobId": "r-1"}]} | extra


def test_a_running_array_shows_children_by_state_and_frames():
    summary = {"SUCCEEDED": 4, "RUNNING": 2, "RUNNABLE": 3, "STARTING": 1, "FAILED": 0}
    report = progress.batch_report(render(summary=summary), stitch(), 24, [])
    assert report.state == progress.RUNNING
    assert report.children == progress.Children(waiting=4, running=2, done=4, failed=0, retried=0)
    assert progresstext.lines(report) == [
        "render r-1 (shot-render): RUNNING, 10 children: 3 RUNNABLE, 1 STARTING, 2 RUNNING, "
        "4 SUCCEEDED",
        "  frames 24/48; children: 4 waiting, 2 running, 4 done, 0 failed",
        "stitch s-1 (shot-stitch): PENDING",
    ]


def test_failed_children_are_listed_with_their_reasons_and_the_pipeline_fails():
    failed = [
        {
            "jobId": "r-1:7",
            "statusReason": "Essential container exited",
            "container": {"exitCode": 2},
        },
        {"jobId": "r-1:3", "statusReason": "Host EC2 (instance i-1) terminated."},
    ]
    summary = {"SUCCEEDED": 8, "FAILED": 2}
    report = progress.batch_report(render("FAILED", summary), stitch("FAILED"), 40, failed)
    assert report.state == progress.FAILED
    shown = progresstext.lines(report)
    assert "  failed r-1:3: Host EC2 (instance i-1) terminated." in shown
    assert "  failed r-1:7: exit code 2, Essential container exited" in shown
    assert shown[-1] == "  failed: no reason given"


def test_the_pipeline_succeeds_only_when_the_stitch_has():
    done = render("SUCCEEDED", {"SUCCEEDED": 10})
    assert progress.batch_report(done, stitch("RUNNING"), 48, []).state == progress.RUNNING
    assert progress.batch_report(done, stitch("SUCCEEDED"), 48, []).state == progress.DONE


def test_without_the_stitch_job_the_render_decides_and_the_user_is_told():
    report = progress.batch_report(render("SUCCEEDED"), None, None, [])
    assert report.state == progress.DONE
    assert report.children == progress.Children(done=1, retried=0)
    assert progresstext.lines(report)[-1] == "stitch: unknown (pass the stitch job id to see it)"


def manifest(records, attempts=(1,)) -> dict:
    rendered = [
        {"frame": f, "seconds": s, "written": f"2025-01-01T00:00:{w:02d}"} for f, s, w in records
    ]
    return {"rendered": rendered, "runs": [{"attempt": a} for a in attempts]}


def test_frame_times_use_each_frames_latest_record_across_slices():
    # Frame 2 was rendered twice (5.0 s, then 1.0 s): only the latest counts
    manifests = [
        manifest([(1, 2.0, 1), (2, 5.0, 2), (2, 1.0, 9)]),
        manifest([(3, 3.0, 3), (4, 4.0, 4)]),
    ]
    assert progress.frame_times(manifests) == progress.FrameTimes(4, 1.0, 2.5, 4.0)
    assert progress.frame_times([manifest([])]) is None


def test_slices_whose_latest_attempt_is_a_retry_count_as_retried():
    manifests = [manifest([], (1,)), manifest([], (1, 2)), manifest([], (1, 2, 3)), {}]
    summary = {"RUNNING": 2, "SUCCEEDED": 2}
    report = progress.batch_report(render(summary=summary), stitch(), 0, [], manifests)
    assert report.children.retried == 2
    assert progresstext.children_text(report.children).endswith(", 2 retried")


def test_rate_and_time_left_count_only_frames_made_while_watching():
    # 10 frames were there already; 6 more in 30 s is 0.2 frames/s, 32 left take 160 s
    assert progress.pace(16, 10, 48, 30.0) == progress.Pace(0.2, 160.0)
    assert progress.pace(10, 10, 48, 30.0) == progress.Pace(None, None)
    assert progress.pace(None, None, 48, 30.0) == progress.Pace(None, None)


def test_the_json_of_a_finished_pipeline():
    done = render("SUCCEEDED", {"SUCCEEDED": 10}, createdAt=1_000_000)
    finished = stitch(
        "SUCCEEDED",
        stoppedAt=1_125_500,
        container={"command": ["stitch", "-i", "x", "-o", "x", "--codec", "vp9"]},
    )
    manifests = [manifest([(1, 2.0, 1), (2, 3.0, 2)], (1, 2))]
    report = progress.batch_report(done, finished, 48, [], manifests, now=2000.0)
    assert progress.as_json(report) == {
        "format": 1,
        "state": "SUCCEEDED",
        "final": True,
        "frames": {"done": 48, "total": 48},
        "children": {
            "total": 10, "waiting": 0, "running": 0, "done": 10, "failed": 0, "retried": 1,
        },
        "rate": None,
        "eta_seconds": None,
        "wall_seconds": 125.5,
        "frame_seconds": {"count": 2, "min": 2.0, "median": 2.5, "max": 3.0},
        "render": {"id": "r-1", "name": "shot-render", "status": "SUCCEEDED"},
        "stitch": {"id": "s-1", "name": "shot-stitch", "status": "SUCCEEDED"},
        "failed": [],
        "output": "s3://b/r/shot",
        "video": "s3://b/r/shot/output.webm",
        "poster": "s3://b/r/shot/output.poster.jpg",
        "sheet": "s3://b/r/shot/output.sheet.jpg",
        "report": None,
        "image": None,
        "outside": [],
        "frames_only": False,
    }  # fmt: skip


def test_a_running_pipeline_has_its_wall_time_so_far_and_is_not_final():
    running = render(summary={"RUNNING": 10}, createdAt=1_000_000)
    report = progress.batch_report(running, stitch(), 12, [], now=1090.0, watched=(6, 60.0))
    shown = progress.as_json(report)
    assert (shown["final"], shown["wall_seconds"], shown["rate"]) == (False, 90.0, 0.1)
    assert shown["eta_seconds"] == 360.0
    assert progresstext.progress_line(report).startswith("frames 12/48 (0.10/s, 6 min 00 s left)")


def test_the_summary_of_a_local_run_says_frames_times_and_where_the_files_are():
    report = progress.local_report(
        state=progress.DONE,
        frames_done=5,
        frames_total=5,
        children=progress.Children(done=3),
        output="/out/shot",
        video="output.mp4",
        seconds=75.4,
        done_at_start=0,
        manifests=[manifest([(1, 0.5, 1), (2, 0.75, 2), (3, 2.0, 3)])],
    )
    assert progresstext.summary_lines(report) == [
        "frames: 5/5 in 1 min 15 s wall time",
        "frame time: min 0.50 s, median 0.75 s, max 2.00 s (3 frames)",
        "video: /out/shot/output.mp4",
        "previews: /out/shot/output.poster.jpg  /out/shot/output.sheet.jpg",
    ]


def test_either_job_id_leads_to_the_render_job_and_its_output():
    assert records.render_id_of(render()) == "r-1"
    assert records.render_id_of(stitch()) == "r-1"
    assert records.frames_uri(render()) == "s3://b/r/shot/frames/"
    assert records.record_uri("s3://b/r/shot/", "r-1") == "s3://b/r/shot/jobs/r-1.json"


def test_the_command_word_tells_a_render_from_a_stitch():
    # A render without -t (submitted before -t existed, or a one-frame job) that waits on another
    # job is still the render; a stitch is the stitch whatever options it carries.
    untimed = {"command": ["render", "-i", "s3://b/s.blend", "-o", "s3://b/r/shot", "-f", "5"]}
    waiting_render = render(container=untimed, dependsOn=[{"jobId": "earlier"}])
    stitch_with_t = stitch(container={"command": ["stitch", "-i", "x", "-o", "x", "-t", "4"]})
    assert records.render_id_of(waiting_render) == "r-1"
    assert records.render_id_of(stitch_with_t) == "r-1"


def slice_manifest(*runs: dict) -> dict:
    return {"format": 3, "runs": list(runs)}


ABS = {"kind": "image", "name": "abs", "written": "/mnt/tex/abs.png", "layout": "_abs/mnt/abs.png"}
GONE = {
    "kind": "image",
    "name": "gone",
    "path": "/tmp/w/project/tex/gone.png",
    "layout": "tex/gone.png",
}


def test_status_shows_what_the_children_remapped_and_rendered_without():
    # Two slices that each remapped the same texture; one found a file missing (allowed)
    manifests = [
        slice_manifest({"remapped": [ABS], "missing": [GONE]}),
        slice_manifest({"remapped": [ABS], "missing": []}),
    ]
    report = progress.batch_report(render("SUCCEEDED"), stitch("SUCCEEDED"), 48, [], manifests)
    assert "  outside files: 1 remapped; 1 missing (allowed): tex/gone.png (image 'gone')" in (
        progresstext.lines(report)
    )


def test_only_each_slices_latest_run_counts_and_a_path_outside_the_project_is_shown_whole():
    earlier = {"remapped": [], "missing": [GONE]}
    outside = {"kind": "font", "name": "Title", "path": "/usr/x.ttf", "layout": None}
    manifests = [slice_manifest(earlier, {"remapped": [], "missing": [outside]})]
    assert outside_lines(manifests) == [
        "  outside files: 0 remapped; 1 missing (allowed): /usr/x.ttf (font 'Title')"
    ]


def test_nothing_missing_says_so_and_no_record_shows_no_line():
    assert outside_lines([slice_manifest({"remapped": [ABS], "missing": []})]) == [
        "  outside files: 1 remapped; none missing"
    ]
    assert outside_lines([slice_manifest({"attempt": 1}), {"runs": "junk"}, {}]) == []


def test_many_missing_files_are_named_up_to_ten_and_counted():
    missing = [GONE | {"layout": f"tex/{n:02d}.png", "name": str(n)} for n in range(12)]
    (line,) = outside_lines([slice_manifest({"remapped": [], "missing": missing})])
    assert line.count(".png") == 10
    assert line.endswith("tex/09.png (image '9') and 2 more")
    assert "12 missing (allowed)" in line


def test_the_image_a_render_ran_is_shown_by_its_digest():
    image = "1234.dkr.ecr.eu-west-1.amazonaws.com/blendbatch@sha256:" + "c" * 64
    job = render("SUCCEEDED")
    job["container"]["image"] = image
    report = progress.batch_report(job, stitch("SUCCEEDED"), None, [])
    assert progresstext.lines(report)[1] == f"  image {image}"
