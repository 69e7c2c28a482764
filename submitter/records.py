"""Job records: what `submit` writes, how a pipeline is found again from one job id, past
pipelines of an output location (`ls`), what `get` downloads, what `cancel` may stop.

Pure: imports no bpy, boto3 or subprocess. Everything here reads the `jobs/` records `submit`
writes (`<output>/<name>/jobs/<render job id>.json`), described Batch jobs, and file names.
How a pipeline is found from one job id:
- the stitch job names the render job in its `dependsOn`;
- the record holds both ids (the render job's command holds `-o <output>/<name>`), so the
  render id alone finds the stitch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from entrypoint.encode_plan import CODECS
from entrypoint.layout import (
    FRAMES_DIR,
    POSTER_SUFFIX,
    REPORT_NAME,
    SHEET_SUFFIX,
    job_record_key,
)

# Batch states after which a job does nothing more: terminating it changes nothing.
FINISHED = ("SUCCEEDED", "FAILED")
# `ls --json` and its text: the format number changes only when a field changes meaning.
LS_FORMAT = 1
VIDEO_SUFFIXES = tuple(sorted({codec.suffix for codec in CODECS.values()}))


@dataclass(frozen=True)
class Job:
    role: str  # "render" or "stitch"
    job_id: str
    status: str | None  # None: Batch no longer knows it (it keeps finished jobs for days)


def split_for_cancel(jobs: list[Job]) -> tuple[list[Job], list[Job]]:
    """(the jobs to terminate, the jobs already finished): only what still runs is stopped."""
    running = [job for job in jobs if job.status not in FINISHED and job.status is not None]
    return running, [job for job in jobs if job not in running]


def cancel_lines(stopped: list[Job], left: list[Job]) -> list[str]:
    """What `cancel` did, as it happened: `terminated render r-1 (RUNNING)`, or `nothing to
    cancel: render r-1 SUCCEEDED, stitch s-2 SUCCEEDED`."""
    finished = ", ".join(
        f"{job.role} {job.job_id} {job.status or 'unknown to Batch'}" for job in left
    )
    if not stopped:
        return [f"nothing to cancel: {finished}"]
    lines = [
        "terminated " + ", ".join(f"{job.role} {job.job_id} (was {job.status})" for job in stopped)
    ]
    if left:
        lines.append(f"already finished: {finished}")
    return lines


def pipeline_state(render: str | None, stitch: str | None, video: bool = True) -> str | None:
    """FAILED, SUCCEEDED, RUNNING (not finished), or None when Batch knows neither job.
    Without a video (`--no-video`) the render alone decides."""
    if not video:
        return render if render in (None, "FAILED", "SUCCEEDED") else "RUNNING"
    if "FAILED" in (render, stitch):
        return "FAILED"
    if stitch == "SUCCEEDED":
        return "SUCCEEDED"
    if render is None and stitch is None:
        return None
    return "RUNNING"


def pipeline_row(record: dict, written: datetime, statuses: dict[str, str]) -> dict:
    """One pipeline of `ls --json`, from its job record, the record's time and Batch's states."""
    request = record.get("renderRequest") or {}
    command = (request.get("containerOverrides") or {}).get("command") or []
    render_id, stitch_id = record.get("renderJobId"), record.get("stitchJobId")
    render, stitch = statuses.get(render_id), statuses.get(stitch_id)
    name = request.get("jobName", "")
    return {
        "name": record.get("output", "").rstrip("/").rpartition("/")[2] or name,
        "output": record.get("output"),
        "submitted": written.isoformat(timespec="seconds"),
        "renderJobId": render_id,
        "stitchJobId": stitch_id,
        "renderStatus": render,
        "stitchStatus": stitch,
        "state": pipeline_state(render, stitch, record.get("video") is not False),
        "video": record.get("video") is not False,
        "frames": _int_after(command, "-t"),
        "children": (request.get("arrayProperties") or {}).get("size", 1),
    }


def ls_json(location: str, rows: list[dict]) -> dict:
    return {"format": LS_FORMAT, "location": location, "pipelines": rows}


def ls_table(rows: list[dict]) -> list[str]:
    """A line per pipeline, newest first, for people."""
    if not rows:
        return []
    table = [("SUBMITTED (UTC)", "NAME", "STATE", "FRAMES", "RENDER JOB")]
    for row in rows:
        table.append(
            (
                row["submitted"][:16].replace("T", " "),
                row["name"],
                row["state"] or "gone from Batch",
                "" if row["frames"] is None else str(row["frames"]),
                row["renderJobId"] or "",
            )
        )
    widths = [max(len(cells[i]) for cells in table) for i in range(len(table[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        for cells in table
    ]


def results(names: list[str]) -> list[str]:
    """The files `get` fetches among those at the top of an output: videos, previews, report."""
    return sorted(
        name
        for name in names
        if name == REPORT_NAME
        or name.endswith((POSTER_SUFFIX, SHEET_SUFFIX))
        or name.lower().endswith(VIDEO_SUFFIXES)
    )


def videos(names: list[str]) -> list[str]:
    return [name for name in names if name.lower().endswith(VIDEO_SUFFIXES)]


def record(
    render_job_id: str,
    stitch_job_id: str | None,
    output_root: str,
    request: dict,
    *,
    video: bool = True,
) -> dict:
    """The job record `submit` writes; `video` False (and no stitch) for `--no-video`."""
    return {
        "renderJobId": render_job_id,
        "stitchJobId": stitch_job_id,
        "output": output_root,
        "renderRequest": request,
        "video": video,
    }


def wants_video(saved: dict | None) -> bool:
    """Whether a job record's pipeline makes a video (records before `video` existed did)."""
    return not isinstance(saved, dict) or saved.get("video") is not False


def record_uri(output_root: str, render_job_id: str) -> str:
    return f"{output_root.rstrip('/')}/{job_record_key(render_job_id)}"


def command_option(job: dict, flag: str) -> str | None:
    """The value after `flag` in a job's container command (`-o`, `-t`)."""
    command = job.get("container", {}).get("command", [])
    for i, word in enumerate(command[:-1]):
        if word == flag:
            return command[i + 1]
    return None


def render_id_of(job: dict) -> str:
    """The render job of a pipeline, given either of its jobs: a stitch (its command word)
    names the render in its `dependsOn`."""
    command = job.get("container", {}).get("command") or [""]
    depends = job.get("dependsOn") or []
    if command[0] == "stitch" and depends:
        return depends[0]["jobId"]
    return job["jobId"]


def image_of(job: dict) -> str | None:
    """The image a job runs (`repository@sha256:...` when its definition names a digest)."""
    return job.get("container", {}).get("image")


def frames_uri(render_job: dict) -> str | None:
    root = command_option(render_job, "-o")
    return f"{root.rstrip('/')}/{FRAMES_DIR}/" if root else None


def _int_after(command: list[str], flag: str) -> int | None:
    for i, word in enumerate(command[:-1]):
        if word == flag and command[i + 1].isdigit():
            return int(command[i + 1])
    return None
