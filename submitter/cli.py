"""`blendbatch`: submit a render to AWS Batch, or run the same pipeline on this machine.

Options take precedence over environment variables, which take precedence over defaults.
Exit codes: 0 done, 2 bad input (fix the command), 1 a failure worth retrying.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from entrypoint.errors import BadInput, BlendbatchError
from entrypoint.overrides import Overrides
from submitter import (
    chunking,
    cli_follow,
    cli_jobs,
    cli_local,
    cli_stack,
    frameselect,
    jobdef,
    options,
    plan,
    reportcmd,
    routing,
)

app = typer.Typer(
    # Help text is shown as written: `s3://BUCKET[/PREFIX]` is not rich markup.
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Render a Blender animation on AWS Batch, or on this machine.",
)


def _edge(command: Callable) -> Callable:
    """Domain errors -> a one-line message on stderr and the exit code that says retry or not."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except BlendbatchError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None

    return wrapper


Opt = typer.Option


@app.command()
@_edge
@options.with_aws
@options.with_overrides
def submit(
    ctx: typer.Context,
    *,
    input_uri: Annotated[
        str | None, Opt("-i", "--input", help="the .blend in S3: s3://BUCKET/KEY")
    ] = None,
    output_uri: Annotated[
        str | None,
        Opt("-o", "--output", help="s3://BUCKET[/PREFIX]; results go to <output>/<name>"),
    ] = None,
    bucket: options.Bucket = None,
    frames_per_job: options.FramesPerJob,
    name: Annotated[str, Opt("-n", "--name", help="job name, also the output folder")],
    queue: Annotated[str, Opt("-q", "--queue", envvar="BLENDBATCH_QUEUE", help="job queue")] = "",
    job_definition: Annotated[
        str,
        Opt(
            "-d",
            "--job-definition",
            envvar="BLENDBATCH_JOB_DEFINITION",
            help="the job definition; unset, or from the environment, it is the base of "
            "BASE-blender-X-Y, chosen by the file's Blender",
        ),
    ] = jobdef.DEFAULT_NAME,
    blender: Annotated[
        str | None,
        Opt("--blender", help="render with this Blender X.Y (default: the file's own)"),
    ] = None,
    upload: Annotated[
        Path | None,
        Opt("--upload", help="a local .blend: it and its outside files go to the -i bucket"),
    ] = None,
    frames: options.Frames = None,
    step: Annotated[
        int | None, Opt("--step", help="frame_step of an s3:// input (read from --upload)")
    ] = None,
    overrides: Overrides = options.FROM_TABLE,
    allow: dict[str, bool] = options.ALLOW_FROM_TABLE,
    codec: options.Codec = options.DEFAULT_CODEC,
    crf: options.Crf = None,
    video_name: options.VideoName = None,
    allow_gaps: options.AllowGaps = False,
    no_video: options.NoVideo = False,
    fresh: options.Fresh = False,
    stitch_queue: Annotated[
        str | None, Opt("--stitch-queue", envvar="BLENDBATCH_STITCH_QUEUE")
    ] = None,
    attempts: Annotated[int | None, Opt("--attempts", help="1-10 (default: job def)")] = None,
    timeout: Annotated[int | None, Opt("--timeout", help="seconds per attempt, >= 60")] = None,
    tag: Annotated[list[str] | None, Opt("--tag", help="k=v, repeatable")] = None,
    env: Annotated[list[str] | None, Opt("--env", help="NAME=VALUE, repeatable")] = None,
    target_minutes: options.TargetMinutes = chunking.DEFAULT_TARGET_MINUTES,
    dry_run: Annotated[bool, Opt("--dry-run", help="print both requests, call nothing")] = False,
    as_json: Annotated[
        bool, Opt("--json", help="print the job ids as JSON (the default when piped)")
    ] = False,
) -> None:
    """Submit the render array job and the stitch job that depends on it."""
    from submitter import pipeline

    if step is not None and step < 1:
        raise BadInput(f"--step {step}: give 1 or more")
    input_uri, output_uri = options.locations(input_uri, output_uri, upload, bucket)
    plan.check_locations(input_uri, output_uri, str(upload) if upload else None)
    frame_range = frameselect.parse_frames(frames) if frames else None
    stitch_args, video = options.stitch_args(codec, crf, video_name, allow_gaps)
    info = pipeline.blend_info(input_uri, str(upload) if upload else None, dry_run=dry_run)
    route = routing.from_options(
        job_definition,
        typed=_typed(ctx, "job_definition"),
        blender=blender,
        saved_by=info.saved_by if info else None,
        allow_older=allow["allow_older_blender"],
    )
    per_job = chunking.parse_frames_per_job(frames_per_job)
    count = frameselect.count_frames(info, overrides.scene, step, frame_range)
    render = plan.RenderPlan(
        name=name,
        input_uri=input_uri,
        output_uri=output_uri,
        frames_per_job=per_job or chunking.fewest_allowed(count),
        frame_count=count,
        frame_range=frame_range,
        overrides=overrides,
        **allow,
        stitch_args=stitch_args,
        video_name=video,
        make_video=not no_video,
    )
    batch_options = plan.BatchOptions(
        queue=queue,
        job_definition=route.job_definition,
        stitch_queue=stitch_queue,
        attempts=attempts,
        timeout_seconds=timeout,
        tags=options.parse_pairs(tag or [], "--tag"),
        environment=options.parse_pairs(env or [], "--env"),
    )
    plan.validate(render, batch_options)
    if not dry_run:
        route = routing.resolve(route, pipeline.registered, _warn)
        batch_options = dataclasses.replace(batch_options, job_definition=route.job_definition)
    if route.may_go_newer:
        _warn(f"job definition {route.job_definition}: {route.why}")
    render, project = pipeline.pin(
        render, str(upload) if upload else None, dry_run=dry_run, say=_warn
    )
    if per_job is None:
        render = estimate_cli.auto_frames_per_job(
            render, upload, target_minutes=target_minutes, dry_run=dry_run, child_threads=None,
            say=_warn,
        )  # fmt: skip
    plan.validate(render, batch_options)  # the pinned command is longer
    if dry_run:
        printed = {"route": route.as_json(), **plan.dry_run(render, batch_options)}
        typer.echo(json.dumps(printed, indent=2))
        return
    from submitter import stale

    stale.announce(render, fresh=fresh, say=_warn)
    if project is not None:
        pipeline.upload(project, render, copy_to=input_uri, say=_warn)
    jobs = pipeline.submit(render, batch_options, _warn)
    # `JOB_IDS=$(blendbatch submit ...)` and `| jq -r '.[0].jobId'` work as in the workshop.
    if as_json or not sys.stdout.isatty():
        typer.echo(json.dumps(jobs))
        return
    typer.echo(
        f"render {jobs[0]['jobId']} ({render.array_size} children, {render.frame_count} frames)"
    )
    if render.make_video:
        typer.echo(f"stitch {jobs[1]['jobId']} -> {render.output_root}/{render.video_name}")
    else:
        typer.echo(f"no stitch (--no-video): frames in {render.output_root}/frames/")
    typer.echo(f"follow: blendbatch watch {jobs[0]['jobId']}")


def _typed(ctx: typer.Context, parameter: str) -> bool:
    """Whether the user typed the option (not its default, not its environment variable). By
    name: typer may bring its own copy of click, whose ParameterSource is another enum."""
    source = ctx.get_parameter_source(parameter)
    return getattr(source, "name", None) == "COMMANDLINE"


def _warn(message: str) -> None:
    typer.echo(message, err=True)


cli_local.add_to(app, _edge)
cli_follow.add_to(app, _edge)
cli_jobs.add_to(app, _edge)
cli_stack.add_to(app, _edge)
reportcmd.add_to(app, _edge)
from submitter import estimate_cli  # noqa: E402 (registers `estimate` on `app`)


def main() -> None:
    # The name shells complete for (`_BLENDBATCH_COMPLETE`), also under `python -m submitter`.
    app(prog_name="blendbatch")


if __name__ == "__main__":
    main()
