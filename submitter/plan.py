"""A render plan (what to render) and, for AWS Batch, the two `submit_job` requests, as data.

Pure: imports no bpy, boto3 or subprocess. `RenderPlan` is what `submit` and `run` share; the
Batch job options and AWS's limits apply to `submit` alone. What `--dry-run` prints is exactly
what `batch.py` sends, so tests assert the whole plan here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from entrypoint import allowances, encode_options, layout
from entrypoint import overrides as render_overrides
from entrypoint.errors import BadInput
from entrypoint.frames import check_frames_per_job, slice_count
from entrypoint.overrides import Overrides
from submitter import jobdef

MAX_ARRAY_SIZE = 10_000
MAX_TAGS = 50
MAX_REQUEST_BYTES = 30 * 1024
RENDER_JOB_PLACEHOLDER = "<render job id>"
# The stitch request is sized with an id as long as the one Batch will give (a UUID).
SIZING_JOB_ID = "0" * 36
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
RENDER_SUFFIX = "-render"
STITCH_SUFFIX = "-stitch"


@dataclass(frozen=True)
class RenderPlan:
    """What to render and stitch, wherever it runs."""

    name: str
    input_uri: str
    output_uri: str
    frames_per_job: int
    frame_count: int
    # Scene frames to render (`--frames A-B`), passed to render as --start/--end; None: all.
    frame_range: tuple[int, int] | None = None
    overrides: Overrides = field(default_factory=Overrides)
    allow_scripts: bool = False
    # Outside files (docs/design.md "Outside files"): render with some missing; the dependency
    # manifest the children fetch; the ETag an s3:// input must keep; what the pixels' inputs are.
    allow_missing: bool = False
    deps_uri: str | None = None
    input_etag: str | None = None
    content_id: str | None = None
    # Opt-ins of the scene checks (docs/design.md "Scene checks").
    allow_file_output: bool = False
    allow_unbaked: bool = False
    allow_older_blender: bool = False
    # Stitch options, passed through verbatim (`--codec`, `--name`, ...), and the video's name.
    stitch_args: tuple[str, ...] = ()
    video_name: str = "output.mp4"
    # `--no-video`: frames only; no stitch job is submitted, no stitch runs.
    make_video: bool = True

    @property
    def output_root(self) -> str:
        """Each render writes under its own name: `<output>/<name>` (an S3 prefix in the one
        spelling the children use, `layout.normal_location`)."""
        return f"{layout.normal_location(self.output_uri).rstrip('/')}/{self.name}"

    @property
    def array_size(self) -> int:
        return slice_count(self.frame_count, self.frames_per_job)


@dataclass(frozen=True)
class BatchOptions:
    """How `submit` runs a plan on AWS Batch; unset options keep the job definition's."""

    queue: str
    job_definition: str
    stitch_queue: str | None = None
    attempts: int | None = None
    timeout_seconds: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)


def check(plan: RenderPlan) -> None:
    """What every render needs, local or on AWS."""
    if plan.name in ("", ".", "..") or "/" in plan.name or "\\" in plan.name:
        raise BadInput(
            f"-n {plan.name!r} is not a folder name: it names the folder the render writes "
            "inside the output, so give one name without '/'"
        )
    check_frames_per_job(plan.frames_per_job)
    if plan.frame_count < 1:
        raise BadInput(f"the scene has {plan.frame_count} frames to render: check its range")
    layout.check_output_names(plan.output_root, plan.video_name)


def check_locations(input_uri: str, output_uri: str, upload: str | None = None) -> None:
    """AWS Batch children read the .blend from S3 and write to S3: anything else is lost or
    unreachable. With `--upload`, -i is still an S3 key: where the .blend is copied to."""
    if not output_uri.startswith("s3://") or not output_uri[5:].split("/")[0]:
        raise BadInput(
            f"-o {output_uri!r} is not an s3:// URI: on AWS Batch every frame would land on the "
            "container's disk and be lost; write -o s3://BUCKET/PREFIX (or render here with "
            "blendbatch run)"
        )
    if not input_uri.startswith("s3://"):
        if upload:
            raise BadInput(
                f"-i {input_uri!r} is not an s3:// URI: with --upload, -i is the S3 key the "
                ".blend is copied to (its bucket also holds the content-addressed store); "
                "write e.g. -i s3://BUCKET/scenes/shot.blend"
            )
        raise BadInput(
            f"-i {input_uri!r} is not an s3:// URI: AWS Batch children read the .blend from "
            f"S3; write -i s3://BUCKET/KEY.blend (with --upload {input_uri} to send the local "
            "file there)"
        )
    bucket, _, key = input_uri[5:].partition("/")
    example = PurePath(upload).name if upload else "shot.blend"
    if not bucket:
        raise BadInput(f"-i {input_uri!r} names no bucket: write s3://BUCKET/scenes/{example}")
    if not key:
        raise BadInput(
            f"-i {input_uri!r} names no object: write the object's key, e.g. "
            f"s3://{bucket}/scenes/{example}"
        )
    if key.endswith("/"):
        raise BadInput(
            f"-i {input_uri!r} ends in '/', so it names a folder, not the .blend: write the "
            f"object's key, e.g. {input_uri}{example}"
        )
    if len(key.encode()) > layout.MAX_KEY_BYTES:
        raise BadInput(
            f"-i names a key of {len(key.encode())} bytes but S3 keys hold at most "
            f"{layout.MAX_KEY_BYTES}: use a shorter key"
        )
    layout.check_input_name(input_uri, key.rpartition("/")[2])


def validate(plan: RenderPlan, batch: BatchOptions) -> None:
    """Refuse what AWS Batch would reject, before any call is made."""
    check_locations(plan.input_uri, plan.output_uri)
    check(plan)
    longest = plan.name + max(RENDER_SUFFIX, STITCH_SUFFIX, key=len)
    if not JOB_NAME.match(longest):
        raise BadInput(
            f"job name {plan.name!r} is not valid: start with a letter or digit, then use only "
            f"letters, digits, '-' and '_', at most {128 - len(STITCH_SUFFIX)} characters"
        )
    if plan.array_size > MAX_ARRAY_SIZE:
        fits = -(-plan.frame_count // MAX_ARRAY_SIZE)
        raise BadInput(
            f"{plan.frame_count} frames at {plan.frames_per_job} per job need {plan.array_size} "
            f"children but AWS Batch allows {MAX_ARRAY_SIZE}: use -f {fits} or more"
        )
    if not batch.queue:
        raise BadInput("no job queue: pass -q QUEUE or set BLENDBATCH_QUEUE")
    if not batch.job_definition:
        raise BadInput("no job definition: pass -d JOBDEF or set BLENDBATCH_JOB_DEFINITION")
    if batch.attempts is not None:
        jobdef.check_attempts(batch.attempts)
    if batch.timeout_seconds is not None:
        jobdef.check_timeout(batch.timeout_seconds)
    _validate_tags(batch.tags)
    _validate_environment(batch.environment)
    # Both, before either is sent: a stitch refused after the render job exists leaves an
    # orphan render running.
    requests = {"render": render_request(plan, batch)}
    if plan.make_video:
        requests["stitch"] = stitch_request(plan, batch, SIZING_JOB_ID)
    for kind, request in requests.items():
        size = request_size(request)
        if size > MAX_REQUEST_BYTES:
            raise BadInput(
                f"the {kind} request is {size} bytes but AWS Batch takes at most "
                f"{MAX_REQUEST_BYTES}: use fewer or shorter tags, environment variables or "
                "render options, or a shorter -o"
            )


def request_size(request: dict) -> int:
    """A SubmitJob request's size as Batch counts it against its 30 KiB: the JSON body."""
    return len(json.dumps(request).encode())


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


def render_command(plan: RenderPlan) -> list[str]:
    narrowing = []
    if plan.frame_range is not None:
        narrowing = ["--start", str(plan.frame_range[0]), "--end", str(plan.frame_range[1])]
    return [
        "render",
        "-i",
        plan.input_uri,
        "-o",
        plan.output_root,
        "-f",
        str(plan.frames_per_job),
        "-t",
        str(plan.frame_count),
        *narrowing,
        *_pinning(plan),
        *render_overrides.to_argv(plan.overrides),
        *allowances.argv(plan),
        *_encode(plan),
    ]


def _encode(plan: RenderPlan) -> list[str]:
    """The stitch's encode, so each child encodes its slice into a segment the stitch joins;
    none for frames only."""
    if not plan.make_video:
        return []
    return encode_options.encode_argv(*encode_options.encode_options_of(plan.stitch_args))


def _pinning(plan: RenderPlan) -> list[str]:
    """What the children must render exactly: the dependency manifest, the input's ETag."""
    args = []
    for flag, value in (
        ("--deps", plan.deps_uri),
        ("--input-etag", plan.input_etag),
        ("--content-id", plan.content_id),
    ):
        if value is not None:
            args += [flag, value]
    return args


def stitch_command(plan: RenderPlan) -> list[str]:
    return ["stitch", "-i", plan.output_root, "-o", plan.output_root, *plan.stitch_args]


def render_request(plan: RenderPlan, batch: BatchOptions) -> dict:
    """The render job: an array of one child per slice, or a plain job for a single slice."""
    request = {
        "jobName": plan.name + RENDER_SUFFIX,
        "jobQueue": batch.queue,
        "jobDefinition": batch.job_definition,
        "containerOverrides": _container(batch, render_command(plan)),
        **_job_options(batch),
    }
    # Batch refuses arrays of size 1: one slice is a plain job.
    if plan.array_size > 1:
        request["arrayProperties"] = {"size": plan.array_size}
    return request


def stitch_request(plan: RenderPlan, batch: BatchOptions, render_job_id: str) -> dict:
    """The stitch job runs once every render child has succeeded.

    A plain job after an array job depends on the parent id with no type (N_TO_N and
    SEQUENTIAL are for array jobs depending on array jobs).
    """
    return {
        "jobName": plan.name + STITCH_SUFFIX,
        "jobQueue": batch.stitch_queue or batch.queue,
        "jobDefinition": batch.job_definition,
        "containerOverrides": _container(batch, stitch_command(plan)),
        "dependsOn": [{"jobId": render_job_id}],
        **_job_options(batch),
    }


def _container(batch: BatchOptions, command: list[str]) -> dict:
    container: dict = {"command": command}
    if batch.environment:
        container["environment"] = [
            {"name": name, "value": value} for name, value in sorted(batch.environment.items())
        ]
    return container


def _job_options(batch: BatchOptions) -> dict:
    """What each job overrides of the job definition; unset options keep the definition's."""
    options: dict = {}
    if batch.attempts is not None:
        options["retryStrategy"] = jobdef.retry_strategy(batch.attempts)
    if batch.timeout_seconds is not None:
        options["timeout"] = {"attemptDurationSeconds": batch.timeout_seconds}
    if batch.tags:
        options["tags"] = dict(batch.tags)
        options["propagateTags"] = True
    return options


def dry_run(plan: RenderPlan, batch: BatchOptions) -> dict:
    """What `submit --dry-run` prints: both requests, the stitch's dependency a placeholder
    (the stitch null with `--no-video`)."""
    return {
        "render": render_request(plan, batch),
        "stitch": stitch_request(plan, batch, RENDER_JOB_PLACEHOLDER) if plan.make_video else None,
    }
