"""What `run`, `status` and `watch` show: jobs and slice manifests -> one report model.

Pure: imports no bpy, boto3 or subprocess. The model is plain data; `as_json` is its stable
JSON (docs/design.md "Progress"); `progresstext` writes it for people. `records` reads the job
records and the jobs' commands that lead from one job id to the whole pipeline.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from entrypoint.encode_plan import output_name, pick_codec
from entrypoint.layout import preview_names
from submitter.outsidetext import outside_lines
from submitter.records import command_option, image_of

DONE = "SUCCEEDED"
FAILED = "FAILED"
RUNNING = "RUNNING"
ORDER = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
WAITING_STATES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING")
JSON_FORMAT = 1


@dataclass(frozen=True)
class Children:
    """Render children by state; `retried` is known on Batch only (None for a local run)."""

    waiting: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    retried: int | None = None

    @property
    def total(self) -> int:
        return self.waiting + self.running + self.done + self.failed


@dataclass(frozen=True)
class FrameTimes:
    """Seconds each frame took, over the latest record of every frame in the manifests."""

    count: int
    min: float
    median: float
    max: float


@dataclass(frozen=True)
class Pace:
    """Frames a second since watching began, and the seconds left at that rate."""

    rate: float | None
    eta: float | None


@dataclass(frozen=True)
class Job:
    id: str
    name: str
    status: str
    reason: str = ""
    detail: str = ""  # the status with the children's states, for an array job


@dataclass(frozen=True)
class Report:
    state: str  # RUNNING (not finished yet), SUCCEEDED or FAILED
    frames_done: int | None  # None: not counted (an output that is not in S3)
    frames_total: int
    children: Children
    output: str | None
    video: str | None
    frame_times: FrameTimes | None = None
    wall_seconds: float | None = None
    pace: Pace = Pace(None, None)
    render: Job | None = None  # Batch jobs; a local run has none
    stitch: Job | None = None
    failed: tuple[Job, ...] = ()
    report_file: str | None = None
    outside: tuple[str, ...] = ()  # what the children recorded about outside files
    image: str | None = None  # the image the render ran (`repository@sha256:...`)
    frames_only: bool = False  # `--no-video`: no stitch, no video

    @property
    def previews(self) -> tuple[str, str] | None:
        if not self.video:
            return None
        folder, name = self.video.rsplit("/", 1)
        return tuple(f"{folder}/{p}" for p in preview_names(name))


def frame_times(manifests: list[dict]) -> FrameTimes | None:
    """min/median/max seconds over each frame's latest record (by `written` time)."""
    latest: dict[int, dict] = {}
    for manifest in manifests:
        for rec in manifest.get("rendered", []):
            kept = latest.get(rec.get("frame"))
            if kept is None or str(rec.get("written", "")) >= str(kept.get("written", "")):
                latest[rec.get("frame")] = rec
    seconds = [float(r["seconds"]) for r in latest.values() if "seconds" in r]
    if not seconds:
        return None
    return FrameTimes(len(seconds), min(seconds), statistics.median(seconds), max(seconds))


def retried_slices(manifests: list[dict]) -> int:
    """Slices whose latest attempt is a Batch retry (attempt 2 or later)."""
    runs = [m.get("runs") or [{}] for m in manifests]
    return sum(1 for r in runs if int(r[-1].get("attempt") or 1) > 1)


def pace(done: int | None, done_at_start: int | None, total: int, seconds: float) -> Pace:
    if done is None or done_at_start is None or seconds <= 0 or done <= done_at_start:
        return Pace(None, None)
    rate = (done - done_at_start) / seconds
    return Pace(rate, max(total - done, 0) / rate)


def local_report(
    *,
    state: str,
    frames_done: int,
    frames_total: int,
    children: Children,
    output: str,
    video: str,
    seconds: float,
    done_at_start: int,
    manifests: list[dict] | None = None,
    report_file: str | None = None,
    frames_only: bool = False,
) -> Report:
    """`blendbatch run`: the children as processes here; manifests only for the summary."""
    report = Report(
        state=state,
        frames_done=frames_done,
        frames_total=frames_total,
        children=children,
        output=output,
        video=None if frames_only else f"{output}/{video}",
        frame_times=frame_times(manifests or []),
        wall_seconds=seconds,
        pace=pace(frames_done, done_at_start, frames_total, seconds),
        report_file=report_file,
        frames_only=frames_only,
    )
    return report


def batch_report(
    render: dict,
    stitch: dict | None,
    frames_present: int | None,
    failed: list[dict],
    manifests: list[dict] | None = None,
    *,
    now: float | None = None,
    watched: tuple[int | None, float] | None = None,
    frames_only: bool = False,
) -> Report:
    """Described Batch jobs (+ frames in the output, failed children, slice manifests).

    `now` (epoch seconds) gives the wall time of an unfinished pipeline; `watched` is
    (frames present when watching began, seconds since), for the rate and time left.
    """
    planned = int(command_option(render, "-t") or 0)
    root = command_option(render, "-o")
    report = Report(
        state=_state(render, stitch),
        frames_done=frames_present,
        frames_total=planned,
        children=_children(render, manifests),
        output=root.rstrip("/") if root else None,
        video=_video_uri(root, stitch),
        frame_times=frame_times(manifests or []),
        wall_seconds=_wall_seconds(render, stitch, now),
        pace=pace(frames_present, watched[0], planned, watched[1]) if watched else Pace(None, None),
        render=_job(render),
        stitch=_job(stitch) if stitch else None,
        failed=tuple(
            Job(c["jobId"], c.get("jobName", ""), FAILED, _reason(c))
            for c in sorted(failed, key=lambda c: c["jobId"])
        ),
        outside=tuple(outside_lines(manifests or [])),
        image=image_of(render),
        frames_only=frames_only,
    )
    return report


def as_json(report: Report) -> dict:
    """The stable JSON of `status --json` and each line of `watch --json` (docs/design.md)."""
    times = report.frame_times
    previews = report.previews
    return {
        "format": JSON_FORMAT,
        "state": report.state,
        "final": report.state != RUNNING,
        "frames": {"done": report.frames_done, "total": report.frames_total},
        "children": {
            "total": report.children.total,
            "waiting": report.children.waiting,
            "running": report.children.running,
            "done": report.children.done,
            "failed": report.children.failed,
            "retried": report.children.retried,
        },
        "rate": _rounded(report.pace.rate, 4),
        "eta_seconds": _rounded(report.pace.eta, 1),
        "wall_seconds": _rounded(report.wall_seconds, 1),
        "frame_seconds": None
        if times is None
        else {"count": times.count, "min": times.min, "median": times.median, "max": times.max},
        "render": _job_json(report.render),
        "stitch": _job_json(report.stitch),
        "failed": [{"id": j.id, "reason": j.reason} for j in report.failed],
        "output": report.output,
        "video": report.video,
        "poster": previews[0] if previews else None,
        "sheet": previews[1] if previews else None,
        "report": report.report_file,
        "image": report.image,
        "outside": list(report.outside),
        "frames_only": report.frames_only,
    }


def _children(render: dict, manifests: list[dict] | None) -> Children:
    retried = retried_slices(manifests or [])
    summary = render.get("arrayProperties", {}).get("statusSummary")
    if not summary:  # a single-slice render is a plain job, its own only child
        summary = {render["status"]: 1}
    return Children(
        waiting=sum(summary.get(s, 0) for s in WAITING_STATES),
        running=summary.get(RUNNING, 0),
        done=summary.get(DONE, 0),
        failed=summary.get(FAILED, 0),
        retried=retried,
    )


def _video_uri(root: str | None, stitch: dict | None) -> str | None:
    if root is None or stitch is None:
        return None
    codec = pick_codec(command_option(stitch, "--codec") or "h264")
    return f"{root.rstrip('/')}/{output_name(command_option(stitch, '--name'), codec)}"


def _wall_seconds(render: dict, stitch: dict | None, now: float | None) -> float | None:
    began = render.get("createdAt")
    if not began:
        return None
    last = stitch or render
    ended = last.get("stoppedAt") if last.get("status") in (DONE, FAILED) else None
    if ended is None and render.get("status") == FAILED:
        ended = render.get("stoppedAt")
    if ended is None:
        return None if now is None else max(now - began / 1000, 0.0)
    return max((ended - began) / 1000, 0.0)


def _job(job: dict) -> Job:
    return Job(job["jobId"], job.get("jobName", ""), job["status"], _reason(job), _detail(job))


def _job_json(job: Job | None) -> dict | None:
    if job is None:
        return None
    return {"id": job.id, "name": job.name, "status": job.status}


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _detail(render: dict) -> str:
    summary = render.get("arrayProperties", {}).get("statusSummary")
    if not summary:
        return render["status"]
    size = render["arrayProperties"].get("size", sum(summary.values()))
    counts = ", ".join(f"{summary[s]} {s}" for s in ORDER if summary.get(s))
    return f"{render['status']}, {size} children: {counts or 'none started'}"


def _reason(job: dict) -> str:
    reason = job.get("statusReason") or ""
    code = job.get("container", {}).get("exitCode")
    if code is not None:
        reason = f"exit code {code}" + (f", {reason}" if reason else "")
    return reason or "no reason given"


def _state(render: dict, stitch: dict | None) -> str:
    if FAILED in (render["status"], (stitch or {}).get("status")):
        return FAILED
    if stitch is None:
        return DONE if render["status"] == DONE else RUNNING
    return DONE if stitch["status"] == DONE else RUNNING
