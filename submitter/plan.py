"""A submission -> the two AWS Batch `submit_job` requests, as plain data.

Pure: imports no bpy, boto3 or ffmpeg. What `--dry-run` prints is exactly what `batch.py`
sends, so tests assert the whole plan here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from entrypoint.errors import BadInput
from entrypoint.frames import check_frames_per_job, slice_count

MAX_ARRAY_SIZE = 10_000
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
RENDER_SUFFIX = "-render"
STITCH_SUFFIX = "-stitch"


@dataclass(frozen=True)
class Submission:
    name: str
    input_uri: str
    output_uri: str
    frames_per_job: int
    frame_count: int
    queue: str
    job_definition: str

    @property
    def output_root(self) -> str:
        """Each submission writes under its own name: `<output>/<name>`."""
        return f"{self.output_uri.rstrip('/')}/{self.name}"

    @property
    def array_size(self) -> int:
        return slice_count(self.frame_count, self.frames_per_job)


def validate(sub: Submission) -> None:
    """Refuse what AWS Batch would reject, before any call is made."""
    longest = sub.name + max(RENDER_SUFFIX, STITCH_SUFFIX, key=len)
    if not JOB_NAME.match(longest):
        raise BadInput(
            f"job name {sub.name!r} is not valid: start with a letter or digit, then use only "
            f"letters, digits, '-' and '_', at most {128 - len(STITCH_SUFFIX)} characters"
        )
    check_frames_per_job(sub.frames_per_job)
    if sub.frame_count < 1:
        raise BadInput(f"the scene has {sub.frame_count} frames to render: check its range")
    if sub.array_size > MAX_ARRAY_SIZE:
        fits = -(-sub.frame_count // MAX_ARRAY_SIZE)
        raise BadInput(
            f"{sub.frame_count} frames at {sub.frames_per_job} per job need {sub.array_size} "
            f"children but AWS Batch allows {MAX_ARRAY_SIZE}: use -f {fits} or more"
        )
    if not sub.queue:
        raise BadInput("no job queue: pass -q QUEUE or set BLENDBATCH_QUEUE")
    if not sub.job_definition:
        raise BadInput("no job definition: pass -d JOBDEF or set BLENDBATCH_JOB_DEFINITION")


def render_command(sub: Submission) -> list[str]:
    return [
        "render",
        "-i",
        sub.input_uri,
        "-o",
        sub.output_root,
        "-f",
        str(sub.frames_per_job),
        "-t",
        str(sub.frame_count),
    ]


def stitch_command(sub: Submission) -> list[str]:
    return ["stitch", "-i", sub.output_root, "-o", sub.output_root]


def render_request(sub: Submission) -> dict:
    """The render job: an array of one child per slice, or a plain job for a single slice."""
    request = {
        "jobName": sub.name + RENDER_SUFFIX,
        "jobQueue": sub.queue,
        "jobDefinition": sub.job_definition,
        "containerOverrides": {"command": render_command(sub)},
    }
    # Batch refuses arrays of size 1: one slice is a plain job.
    if sub.array_size > 1:
        request["arrayProperties"] = {"size": sub.array_size}
    return request


def stitch_request(sub: Submission, render_job_id: str) -> dict:
    """The stitch job runs once every render child has succeeded.

    A plain job after an array job depends on the parent id with no type (N_TO_N and
    SEQUENTIAL are for array jobs depending on array jobs).
    """
    return {
        "jobName": sub.name + STITCH_SUFFIX,
        "jobQueue": sub.queue,
        "jobDefinition": sub.job_definition,
        "containerOverrides": {"command": stitch_command(sub)},
        "dependsOn": [{"jobId": render_job_id}],
    }
