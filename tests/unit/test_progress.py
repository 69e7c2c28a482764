"""What `status` shows for described Batch jobs, and when the pipeline counts as failed."""

from submitter import progress

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


def test_a_running_array_shows_children_by_state_and_a_bar_by_frames():
    summary = {"SUCCEEDED": 4, "RUNNING": 2, "RUNNABLE": 4, "FAILED": 0}
    report = progress.report(render(summary=summary), stitch(), 24, [])
    assert report.state == progress.RUNNING
    assert report.lines == [
        "render r-1 (shot-render): RUNNING, 10 children: 4 RUNNABLE, 2 RUNNING, 4 SUCCEEDED",
        "  [" + "#" * 15 + "." * 15 + "] 24/48 frames in the output",
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
    report = progress.report(render("FAILED", summary), stitch("FAILED"), 40, failed)
    assert report.state == progress.FAILED
    assert "  failed r-1:3: Host EC2 (instance i-1) terminated." in report.lines
    assert "  failed r-1:7: exit code 2, Essential container exited" in report.lines
    assert report.lines[-1] == "  failed: no reason given"


def test_the_pipeline_succeeds_only_when_the_stitch_has():
    done = render("SUCCEEDED", {"SUCCEEDED": 10})
    assert progress.report(done, stitch("RUNNING"), 48, []).state == progress.RUNNING
    assert progress.report(done, stitch("SUCCEEDED"), 48, []).state == progress.DONE


def test_without_the_stitch_job_the_render_decides_and_the_user_is_told():
    report = progress.report(render("SUCCEEDED"), None, None, [])
    assert report.state == progress.DONE
    assert report.lines[-1] == "stitch: unknown (pass the stitch job id to see it)"


def test_either_job_id_leads_to_the_render_job_and_its_output():
    assert progress.render_id_of(render()) == "r-1"
    assert progress.render_id_of(stitch()) == "r-1"
    assert progress.frames_uri(render()) == "s3://b/r/shot/frames/"
    assert progress.record_uri("s3://b/r/shot/", "r-1") == "s3://b/r/shot/jobs/r-1.json"


def test_the_command_word_tells_a_render_from_a_stitch():
    # A render without -t (submitted before -t existed, or a one-frame job) that waits on another
    # job is still the render; a stitch is the stitch whatever options it carries.
    untimed = {"command": ["render", "-i", "s3://b/s.blend", "-o", "s3://b/r/shot", "-f", "5"]}
    waiting_render = render(container=untimed, dependsOn=[{"jobId": "earlier"}])
    stitch_with_t = stitch(container={"command": ["stitch", "-i", "x", "-o", "x", "-t", "4"]})
    assert progress.render_id_of(waiting_render) == "r-1"
    assert progress.render_id_of(stitch_with_t) == "r-1"


def test_the_image_a_render_ran_is_shown_by_its_digest():
    image = "1234.dkr.ecr.eu-west-1.amazonaws.com/blendbatch@sha256:" + "c" * 64
    job = render("SUCCEEDED")
    job["container"]["image"] = image
    report = progress.report(job, stitch("SUCCEEDED"), None, [])
    assert report.lines[1] == f"  image {image}"
