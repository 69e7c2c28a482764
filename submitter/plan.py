"""A submission -> the two AWS Batch `submit_job` requests, as plain data.

Pure: imports no bpy, boto3 or ffmpeg. What `--dry-run` prints is exactly what `batch.py`
sends, so tests assert the whole plan here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from entrypoint.errors import BadInput
from entrypoint.frames import check_frames_per_job, scene_frames, slice_count
from submitter import jobdef

MAX_ARRAY_SIZE = 10_000
MAX_TAGS = 50
MAX_REQUEST_BYTES = 30 * 1024
RENDER_JOB_PLACEHOLDER = "<render job id>"
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
    # Scene frames to render (`--frames A-B`), passed to render as --start/--end; None: all.
    frame_range: tuple[int, int] | None = None
    scene: str | None = None
    # Render overrides, passed through verbatim: ("--samples", "64", "--allow-scripts", ...).
    render_args: tuple[str, ...] = ()
    # Stitch options, passed through verbatim (`--codec`, `--name`, ...), and the video's name.
    stitch_args: tuple[str, ...] = ()
    video_name: str = "output.mp4"
    stitch_queue: str | None = None
    attempts: int | None = None
    timeout_seconds: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)

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
    if sub.attempts is not None:
        jobdef.check_attempts(sub.attempts)
    if sub.timeout_seconds is not None:
        jobdef.check_timeout(sub.timeout_seconds)
    _validate_tags(sub.tags)
    _validate_environment(sub.environment)
    size = len(json.dumps(render_request(sub)).encode())
    if size > MAX_REQUEST_BYTES:
        raise BadInput(
            f"the render request is {size} bytes but AWS Batch takes at most {MAX_REQUEST_BYTES}: "
            "use fewer or shorter tags, environment variables or render options"
        )


def _validate_tags(tags: dict[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise BadInput(f"{len(tags)} tags given but AWS Batch allows {MAX_TAGS}: drop some --tag")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256 or key.lower().startswith("aws:"):
            raise BadInput(
                f"tag {key!r}={value!r} is not valid: keys are 1-128 characters and do not start "
                "with 'aws:', values at most 256 characters"
            )


def _validate_environment(environment: dict[str, str]) -> None:
    for name in environment:
        if name.startswith("AWS_BATCH"):
            raise BadInput(
                f"environment variable {name!r}: AWS Batch reserves names starting with "
                "AWS_BATCH; rename it"
            )


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
        *_narrowing(sub),
        *sub.render_args,
    ]


def _narrowing(sub: Submission) -> list[str]:
    args = []
    if sub.scene is not None:
        args += ["--scene", sub.scene]
    if sub.frame_range is not None:
        args += ["--start", str(sub.frame_range[0]), "--end", str(sub.frame_range[1])]
    return args


def stitch_command(sub: Submission) -> list[str]:
    return ["stitch", "-i", sub.output_root, "-o", sub.output_root, *sub.stitch_args]


def render_request(sub: Submission) -> dict:
    """The render job: an array of one child per slice, or a plain job for a single slice."""
    request = {
        "jobName": sub.name + RENDER_SUFFIX,
        "jobQueue": sub.queue,
        "jobDefinition": sub.job_definition,
        "containerOverrides": _overrides(sub, render_command(sub)),
        **_job_options(sub),
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
        "jobQueue": sub.stitch_queue or sub.queue,
        "jobDefinition": sub.job_definition,
        "containerOverrides": _overrides(sub, stitch_command(sub)),
        "dependsOn": [{"jobId": render_job_id}],
        **_job_options(sub),
    }


def _overrides(sub: Submission, command: list[str]) -> dict:
    overrides: dict = {"command": command}
    if sub.environment:
        overrides["environment"] = [
            {"name": name, "value": value} for name, value in sorted(sub.environment.items())
        ]
    return overrides


def _job_options(sub: Submission) -> dict:
    """What each job overrides of the job definition; unset options keep the definition's."""
    options: dict = {}
    if sub.attempts is not None:
        options["retryStrategy"] = jobdef.retry_strategy(sub.attempts)
    if sub.timeout_seconds is not None:
        options["timeout"] = {"attemptDurationSeconds": sub.timeout_seconds}
    if sub.tags:
        options["tags"] = dict(sub.tags)
        options["propagateTags"] = True
    return options


def dry_run(sub: Submission) -> dict:
    """What `submit --dry-run` prints: both requests, the stitch's dependency a placeholder."""
    return {
        "render": render_request(sub),
        "stitch": stitch_request(sub, RENDER_JOB_PLACEHOLDER),
    }


def planned_frames(scene, step: int | None, frames: tuple[int, int] | None) -> int:
    """How many frames the render produces: the scene's range by its step (or `--step`),
    narrowed to `--frames`. `scene` is a `blendfile.SceneInfo`."""
    lo, hi = frames if frames else (None, None)
    effective = step or scene.step or 1
    return len(scene_frames(scene.start, scene.end, effective, narrow_start=lo, narrow_end=hi))


def parse_frames(text: str) -> tuple[int, int]:
    """`--frames A-B` (or a single frame `A`; negative frames as in `-5--1`)."""
    match = re.fullmatch(r"\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*)?", text)
    if not match:
        raise BadInput(f"--frames {text!r} is not a range: write it as A-B, e.g. --frames 1-250")
    start = int(match[1])
    end = int(match[2]) if match[2] is not None else start
    if end < start:
        raise BadInput(f"--frames {text}: {end} is before {start}; write the lower frame first")
    return start, end


def parse_pairs(items: list[str], option: str, example: str = "project=film") -> dict[str, str]:
    """`k=v` options (`--tag`, `--env`, deploy's `-p`) -> a dict; later repeats win."""
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInput(f"{option} {item!r} is not KEY=VALUE: write e.g. {option} {example}")
        pairs[key] = value
    return pairs
