"""What `status`/`watch` show: described Batch jobs -> progress lines and a pipeline state.

Pure: imports no bpy, boto3 or ffmpeg. How a pipeline is found from one job id:
- the stitch job names the render job in its `dependsOn`;
- `submit` writes a record `<output>/<name>/jobs/<render job id>.json` holding both ids (the
  render job's command holds `-o <output>/<name>`), so the render id alone finds the stitch.
"""

from __future__ import annotations

from dataclasses import dataclass

from entrypoint.layout import FRAMES_DIR, job_record_key

DONE = "SUCCEEDED"
FAILED = "FAILED"
RUNNING = "RUNNING"
ORDER = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
BAR_WIDTH = 30


@dataclass(frozen=True)
class Report:
    lines: list[str]
    state: str  # RUNNING (not finished yet), SUCCEEDED or FAILED


def record(render_job_id: str, stitch_job_id: str, output_root: str, request: dict) -> dict:
    return {
        "renderJobId": render_job_id,
        "stitchJobId": stitch_job_id,
        "output": output_root,
        "renderRequest": request,
    }


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


def report(
    render: dict, stitch: dict | None, frames_present: int | None, failed: list[dict]
) -> Report:
    planned = int(command_option(render, "-t") or 0)
    lines = [f"render {render['jobId']} ({render['jobName']}): {_render_status(render)}"]
    if image_of(render):
        lines.append(f"  image {image_of(render)}")
    if frames_present is not None and planned:
        shown = min(frames_present, planned)
        filled = BAR_WIDTH * shown // planned
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        lines.append(f"  [{bar}] {frames_present}/{planned} frames in the output")
    for child in sorted(failed, key=lambda c: c["jobId"]):
        lines.append(f"  failed {child['jobId']}: {_reason(child)}")
    if render["status"] == FAILED and not failed:
        lines.append(f"  failed: {_reason(render)}")
    if stitch is None:
        lines.append("stitch: unknown (pass the stitch job id to see it)")
    else:
        lines.append(f"stitch {stitch['jobId']} ({stitch['jobName']}): {stitch['status']}")
        if stitch["status"] == FAILED:
            lines.append(f"  failed: {_reason(stitch)}")
    return Report(lines, _state(render, stitch))


def _render_status(render: dict) -> str:
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
