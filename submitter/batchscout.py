"""`blendbatch estimate --on-batch`: scout frames as small AWS Batch jobs, measured and collected.

Each scout is one plain job (not an array: an array's children share one command and differ
only by the index, which picks contiguous slices, while scouts are frames spread over the shot),
with the real job's queue and job definition (so its image and vCPUs) and the real render
command narrowed to one frame: `render ... -f 1 -t 1 --start F --end F`, writing under
`<output>/<name>/estimates/<fingerprint>.scouts/<frame>/` (layout.scout_root), never among the
render's frames. The jobs are recorded next to them (`estimates/<fingerprint>.scouts.json`):
running the same estimate again waits for those jobs and collects them rather than paying for
new ones (unless one failed or Batch no longer knows it). A scout's seconds, process time
(start-up = process time - seconds) and peak memory come from its slice manifest.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from entrypoint.errors import BadInput, BlendbatchError, TransientFailure
from entrypoint.frames import frame_name
from entrypoint.layout import manifest_key, scout_root, scouts_record_key
from submitter import estimate, plan

RECORD_FORMAT = 1
DONE, FAILED = "SUCCEEDED", "FAILED"
UNKNOWN_FINGERPRINT = "<fingerprint>"  # a dry run reads no ETag


def scout_plans(
    render: plan.RenderPlan, frames: tuple[int, ...], fingerprint: str
) -> list[tuple[int, plan.RenderPlan]]:
    """Each scout frame's plan: the render narrowed to that frame, in its own output root."""
    plans = []
    for frame in frames:
        root = f"{render.output_root}/{scout_root(fingerprint, frame)}"
        output_uri, name = root.rsplit("/", 1)
        child = dataclasses.replace(
            render,
            name=name,
            output_uri=output_uri,
            frames_per_job=1,
            frame_count=1,
            frame_range=(frame, frame),
            make_video=False,  # a scout measures the frame: it makes no segment
        )
        plans.append((frame, child))
    return plans


def requests(
    render: plan.RenderPlan,
    frames: tuple[int, ...],
    fingerprint: str,
    options: plan.BatchOptions,
) -> list[tuple[int, dict]]:
    """(frame, SubmitJob request) of each scout; the job name says which render and frame."""
    out = []
    for frame, child in scout_plans(render, frames, fingerprint):
        request = plan.render_request(child, options)
        label = frame_name(frame, "x")[:-2].replace("-", "m")
        request["jobName"] = f"{render.name}-scout-{label}"[:128]
        out.append((frame, request))
    return out


def submit_or_find(
    render: plan.RenderPlan,
    frames: tuple[int, ...],
    fingerprint: str,
    options: plan.BatchOptions,
    say: Callable[[str], None],
) -> dict[int, str]:
    """Frame -> scout job id: the recorded jobs of this fingerprint when Batch still knows all
    of them and none failed, else newly submitted ones (recorded)."""
    from submitter import aws, batch

    record_uri = f"{render.output_root}/{scouts_record_key(fingerprint)}"
    saved = aws.get_json(record_uri) or {}
    jobs = {int(frame): job for frame, job in saved.get("jobs", {}).items()}
    if set(jobs) == set(frames):
        known = batch.describe(list(jobs.values()))
        if len(known) == len(jobs) and all(j["status"] != FAILED for j in known.values()):
            say(f"scout jobs of {fingerprint[:8]}... already submitted ({saved.get('when')})")
            return jobs
        say("earlier scout jobs failed or are gone: submitting new ones")
    client = aws.client("batch")
    jobs = {}
    for frame, request in requests(render, frames, fingerprint, options):
        with aws.aws_errors(f"job queue {options.queue}"):
            jobs[frame] = client.submit_job(**request)["jobId"]
        say(f"  scout frame {frame}: job {jobs[frame]} ({request['jobName']})")
    aws.put_json(
        record_uri,
        {
            "format": RECORD_FORMAT,
            "fingerprint": fingerprint,
            "queue": options.queue,
            "job_definition": options.job_definition,
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "jobs": {str(frame): job for frame, job in jobs.items()},
        },
    )
    return jobs


def wait(jobs: dict[int, str], interval: float, say: Callable[[str], None]) -> None:
    """Until every scout job succeeded; a failed one is exit 1 naming it and its logs."""
    from submitter import batch

    last = ""
    while True:
        found = batch.describe(list(jobs.values()))
        for frame, job in jobs.items():
            if job not in found:
                raise BadInput(f"scout job {job} (frame {frame}) is unknown to AWS Batch")
            if found[job]["status"] == FAILED:
                reason = found[job].get("statusReason") or "no reason given"
                raise TransientFailure(
                    f"scout job {job} (frame {frame}) failed: {reason}. See `blendbatch logs "
                    f"{job}`; run the estimate again to submit new scouts"
                )
        states = [found[job]["status"] for job in jobs.values()]
        summary = ", ".join(f"{states.count(s)} {s}" for s in sorted(set(states)))
        if summary != last:
            say(f"scout jobs: {summary}")
            last = summary
        if all(state == DONE for state in states):
            return
        time.sleep(interval)


def collect(
    render: plan.RenderPlan, jobs: dict[int, str], fingerprint: str, workdir: Path
) -> tuple[tuple[estimate.Scout, ...], dict, dict[int, Path], str | None]:
    """(the scouts, the last scout's run record, frame -> downloaded frame file, its host)
    from the finished scout jobs' manifests and frames."""
    from submitter import aws

    scouts, files, run, host = [], {}, {}, None
    for (frame, job), (_, child) in zip(
        sorted(jobs.items()), scout_plans(render, tuple(sorted(jobs)), fingerprint), strict=True
    ):
        root = child.output_root
        manifest = aws.get_json(f"{root}/{manifest_key(0)}")
        records = [r for r in (manifest or {}).get("rendered", []) if r.get("frame") == frame]
        if not records:
            raise BlendbatchError(
                f"scout job {job} (frame {frame}) succeeded but left no record of the frame "
                f"under {root}: see `blendbatch logs {job}`"
            )
        record, run = records[-1], manifest["runs"][-1]
        seconds = float(record["seconds"])
        scouts.append(
            estimate.Scout(
                frame=frame,
                seconds=seconds,
                # An image older than these fields: no start-up or memory is known.
                wall_seconds=float(run.get("process_seconds", seconds)),
                peak_rss_bytes=int(run.get("peak_rss_bytes", 0)),
            )
        )
        host = record.get("host")
        name = frame_name(frame, manifest.get("extension") or "png")
        files[frame] = workdir / name
        aws.download(f"{root}/frames/{name}", files[frame])
    return tuple(scouts), run, files, host


def definition_vcpus(job_definition: str) -> int | None:
    """The vCPUs a job definition gives each job (containerProperties or resourceRequirements)."""
    from submitter.aws import aws_errors, client

    with aws_errors(f"job definition {job_definition}"):
        found = client("batch").describe_job_definitions(jobDefinitions=[job_definition])[
            "jobDefinitions"
        ]
    if not found:
        found = client("batch").describe_job_definitions(
            jobDefinitionName=job_definition, status="ACTIVE"
        )["jobDefinitions"]
    if not found:
        return None
    container = max(found, key=lambda d: d.get("revision", 0)).get("containerProperties", {})
    for requirement in container.get("resourceRequirements", []):
        if requirement.get("type") == "VCPU":
            return max(1, round(float(requirement["value"])))
    return container.get("vcpus")


def measured(vcpus: int | None, run: dict, host: str | None, options: plan.BatchOptions) -> dict:
    """Where the scouts ran: a child of the real job, so its vCPUs are the child's."""
    threads = vcpus or int(run.get("settings", {}).get("threads") or 1)
    return {
        "host": host or "AWS Batch",
        "cpus": threads,
        "threads": threads,
        "blender": run.get("settings", {}).get("blender"),
        "load_average": None,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "on": "batch",
        "queue": options.queue,
        "job_definition": options.job_definition,
    }


def temporary() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="blendbatch-scouts-")
