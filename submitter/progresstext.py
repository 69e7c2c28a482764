"""The progress report (submitter/progress.py) as text for people and for logs.

Pure: imports no bpy, boto3 or subprocess. Plain lines only, no control codes: these are what
`status` prints, what `watch` and `run` print when their output is not a terminal (CI logs),
and the summary both end with.
"""

from __future__ import annotations

from entrypoint.layout import FRAMES_DIR
from submitter.progress import DONE, FAILED, Children, Report


def progress_line(report: Report) -> str:
    """One plain line: frames, rate, time left, children by state (CI logs, `run` piped)."""
    done = "?" if report.frames_done is None else str(report.frames_done)
    text = f"frames {done}/{report.frames_total}"
    if report.pace.rate:
        text += f" ({report.pace.rate:.2f}/s, {duration(report.pace.eta or 0)} left)"
    return f"{text}; children: {children_text(report.children)}"


def children_text(children: Children) -> str:
    parts = [
        f"{children.waiting} waiting",
        f"{children.running} running",
        f"{children.done} done",
        f"{children.failed} failed",
    ]
    if children.retried:
        parts.append(f"{children.retried} retried")
    return ", ".join(parts)


def summary_lines(report: Report) -> list[str]:
    """What a finished `run` or `watch` ends with: frames, wall time, frame times, files."""
    done = "?" if report.frames_done is None else report.frames_done
    head = f"frames: {done}/{report.frames_total}"
    if report.wall_seconds is not None:
        head += f" in {duration(report.wall_seconds)} wall time"
    shown = [head]
    times = report.frame_times
    if times:
        shown.append(
            f"frame time: min {times.min:.2f} s, median {times.median:.2f} s, "
            f"max {times.max:.2f} s ({times.count} frames)"
        )
    if report.frames_only:
        shown.append(f"frames only (--no-video): {report.output}/{FRAMES_DIR}/")
    elif report.state == DONE and report.video:
        shown.append(f"video: {report.video}")
        shown.append("previews: " + "  ".join(report.previews or ()))
    if report.report_file:
        shown.append(f"report: {report.report_file}")
    return shown


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def lines(report: Report) -> list[str]:
    """`status`: the jobs, the progress line, each failed child with its reason."""
    shown = []
    render, stitch = report.render, report.stitch
    if render is not None:
        shown.append(f"render {render.id} ({render.name}): {render.detail or render.status}")
    if report.image:
        shown.append(f"  image {report.image}")
    shown.append(f"  {progress_line(report)}")
    shown += [f"  failed {child.id}: {child.reason}" for child in report.failed]
    shown += list(report.outside)
    if render is None:
        return shown
    if render.status == FAILED and not report.failed:
        shown.append(f"  failed: {render.reason}")
    if report.frames_only:
        shown.append("stitch: none (--no-video: frames only)")
    elif stitch is None:
        shown.append("stitch: unknown (pass the stitch job id to see it)")
    else:
        shown.append(f"stitch {stitch.id} ({stitch.name}): {stitch.status}")
        if stitch.status == FAILED:
            shown.append(f"  failed: {stitch.reason}")
    return shown
