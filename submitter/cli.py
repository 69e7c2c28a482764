"""`blendbatch`: submit a render to AWS Batch, or run the same pipeline on this machine.

Options take precedence over environment variables, which take precedence over defaults.
Exit codes: 0 done, 2 bad input (fix the command), 1 a failure worth retrying.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from entrypoint.errors import BadInput, BlendbatchError
from submitter import blendfile, jobdef, options, plan

app = typer.Typer(
    add_completion=False,
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
def submit(
    input_uri: Annotated[str, Opt("-i", "--input", help="the .blend in S3: s3://BUCKET/KEY")],
    output_uri: Annotated[
        str, Opt("-o", "--output", help="s3://BUCKET[/PREFIX]; results go to <output>/<name>")
    ],
    frames_per_job: Annotated[int, Opt("-f", "--frames-per-job", help="frames per child")],
    name: Annotated[str, Opt("-n", "--name", help="job name, also the output folder")],
    queue: Annotated[str, Opt("-q", "--queue", envvar="BLENDBATCH_QUEUE", help="job queue")] = "",
    job_definition: Annotated[
        str, Opt("-d", "--job-definition", envvar="BLENDBATCH_JOB_DEFINITION")
    ] = "",
    upload: Annotated[
        Path | None,
        Opt("--upload", help="a local .blend: it and its outside files go to the -i bucket"),
    ] = None,
    allow_missing: Annotated[
        bool, Opt("--allow-missing", help="render even if outside files are missing")
    ] = False,
    frames: options.Frames = None,
    step: Annotated[
        int | None, Opt("--step", help="frame_step of an s3:// input (read from --upload)")
    ] = None,
    scene: options.Scene = None,
    engine: options.Engine = None,
    samples: options.Samples = None,
    resolution_percent: options.ResolutionPercent = None,
    format: options.Format = None,
    threads: options.Threads = None,
    camera: options.Camera = None,
    device: options.Device = None,
    allow_scripts: options.AllowScripts = False,
    codec: options.Codec = options.DEFAULT_CODEC,
    crf: options.Crf = None,
    video_name: options.VideoName = None,
    allow_gaps: options.AllowGaps = False,
    stitch_queue: Annotated[
        str | None, Opt("--stitch-queue", envvar="BLENDBATCH_STITCH_QUEUE")
    ] = None,
    attempts: Annotated[int | None, Opt("--attempts", help="1-10 (default: job def)")] = None,
    timeout: Annotated[int | None, Opt("--timeout", help="seconds per attempt, >= 60")] = None,
    tag: Annotated[list[str] | None, Opt("--tag", help="k=v, repeatable")] = None,
    env: Annotated[list[str] | None, Opt("--env", help="NAME=VALUE, repeatable")] = None,
    dry_run: Annotated[bool, Opt("--dry-run", help="print both requests, call nothing")] = False,
    as_json: Annotated[
        bool, Opt("--json", help="print the job ids as JSON (the default when piped)")
    ] = False,
) -> None:
    """Submit the render array job and the stitch job that depends on it."""
    from submitter import pipeline

    if step is not None and step < 1:
        raise BadInput(f"--step {step}: give 1 or more")
    frame_range = plan.parse_frames(frames) if frames else None
    stitch_args, video = options.stitch_args(codec, crf, video_name, allow_gaps)
    count = pipeline.frame_count(
        input_uri, str(upload) if upload else None, scene, step, frame_range, dry_run=dry_run
    )
    sub = plan.Submission(
        name=name,
        input_uri=input_uri,
        output_uri=output_uri,
        frames_per_job=frames_per_job,
        frame_count=count,
        queue=queue,
        job_definition=job_definition,
        frame_range=frame_range,
        scene=scene,
        render_args=options.render_args(
            engine=engine,
            samples=samples,
            resolution_percent=resolution_percent,
            format=format,
            threads=threads,
            camera=camera,
            device=device,
            allow_scripts=allow_scripts,
        ),
        stitch_args=stitch_args,
        video_name=video,
        stitch_queue=stitch_queue,
        attempts=attempts,
        timeout_seconds=timeout,
        tags=plan.parse_pairs(tag or [], "--tag"),
        environment=plan.parse_pairs(env or [], "--env"),
    )
    plan.validate(sub)
    upload_path = str(upload) if upload else None
    sub = pipeline.pin_inputs(
        sub, upload_path, allow_missing=allow_missing, dry_run=dry_run, say=_warn
    )
    if dry_run:
        typer.echo(json.dumps(plan.dry_run(sub), indent=2))
        return
    jobs = pipeline.submit(sub, None, _warn)
    # `JOB_IDS=$(blendbatch submit ...)` and `| jq -r '.[0].jobId'` work as in the workshop.
    if as_json or not sys.stdout.isatty():
        typer.echo(json.dumps(jobs))
        return
    typer.echo(f"render {jobs[0]['jobId']} ({sub.array_size} children, {count} frames)")
    typer.echo(f"stitch {jobs[1]['jobId']} -> {sub.output_root}/{sub.video_name}")
    typer.echo(f"follow: blendbatch watch {jobs[0]['jobId']}")


def _warn(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
@_edge
def status(job_id: Annotated[str, typer.Argument(help="the render or the stitch job id")]) -> None:
    """Progress by frames, the stitch state and failed children; exit 1 if the pipeline failed."""
    from submitter import pipeline

    _show(pipeline.report(job_id))


@app.command()
@_edge
def watch(
    job_id: Annotated[str, typer.Argument(help="the render or the stitch job id")],
    interval: Annotated[float, Opt("--interval", help="seconds between checks")] = 15.0,
) -> None:
    """`status` again every --interval seconds until the pipeline succeeds or fails."""
    from submitter import pipeline, progress

    while True:
        report = pipeline.report(job_id)
        if report.state != progress.RUNNING:
            break
        typer.echo("\n".join(report.lines))
        time.sleep(interval)
    _show(report)


def _show(report) -> None:
    from submitter import progress

    typer.echo("\n".join(report.lines))
    if report.state == progress.FAILED:
        raise typer.Exit(1)


@app.command()
@_edge
def logs(
    job_id: Annotated[str, typer.Argument(help="a job id (array job: add --index)")],
    index: Annotated[int | None, Opt("--index", help="array child index")] = None,
    follow: Annotated[bool, Opt("--follow", help="keep printing until the job ends")] = False,
) -> None:
    """A job's output from CloudWatch Logs."""
    from submitter import logs as cloudwatch

    target = job_id if index is None else f"{job_id}:{index}"
    cloudwatch.follow(target, typer.echo, keep_going=follow, poll=5.0)


@app.command()
@_edge
def cancel(job_id: Annotated[str, typer.Argument(help="the render or the stitch job id")]) -> None:
    """Terminate the render array job (all its children) and the stitch job."""
    from submitter import batch, pipeline

    render, stitch = pipeline.find(job_id)
    ids = [render["jobId"]] + ([stitch["jobId"]] if stitch else [])
    batch.cancel(ids, "cancelled with blendbatch cancel")
    typer.echo("terminated " + " ".join(ids))
    if stitch is None:
        typer.echo("stitch job not found: it fails on its own once the render fails", err=True)


@app.command()
@_edge
def run(
    input_path: Annotated[Path, Opt("-i", "--input", help="a local .blend")],
    output_dir: Annotated[
        Path, Opt("-o", "--output", help="a local folder; results go to <output>/<name>")
    ],
    frames_per_job: Annotated[int, Opt("-f", "--frames-per-job", help="frames per child")] = 10,
    name: Annotated[str, Opt("-n", "--name", help="run name, also the output folder")] = "render",
    workers: Annotated[int, Opt("-w", "--workers", help="children at a time (default: cores)")] = 0,
    frames: options.Frames = None,
    scene: options.Scene = None,
    engine: options.Engine = None,
    samples: options.Samples = None,
    resolution_percent: options.ResolutionPercent = None,
    format: options.Format = None,
    threads: options.Threads = None,
    camera: options.Camera = None,
    device: options.Device = None,
    allow_scripts: options.AllowScripts = False,
    codec: options.Codec = options.DEFAULT_CODEC,
    crf: options.Crf = None,
    video_name: options.VideoName = None,
    allow_gaps: options.AllowGaps = False,
) -> None:
    """Run the whole pipeline on this machine, no AWS: children in parallel, then stitch."""
    from submitter.local import run_local

    frame_range = plan.parse_frames(frames) if frames else None
    stitch_args, video = options.stitch_args(codec, crf, video_name, allow_gaps)
    picked = blendfile.pick_scene(blendfile.read_blend_file(input_path), scene)
    workers = workers or os.cpu_count() or 1
    sub = plan.Submission(
        name=name,
        input_uri=str(input_path.resolve()),
        output_uri=str(output_dir.resolve()),
        frames_per_job=frames_per_job,
        frame_count=plan.planned_frames(picked, None, frame_range),
        queue="local",
        job_definition="local",
        frame_range=frame_range,
        scene=scene,
        render_args=options.render_args(
            engine=engine,
            samples=samples,
            resolution_percent=resolution_percent,
            format=format,
            # Children share the cores: without a count each would start one thread per core.
            threads=threads or max(1, (os.cpu_count() or 1) // workers),
            camera=camera,
            device=device,
            allow_scripts=allow_scripts,
        ),
        stitch_args=stitch_args,
        video_name=video,
    )
    plan.validate(sub)
    result = run_local(sub, workers, typer.echo)
    typer.echo(f"video: {result}")


@app.command()
@_edge
def register(
    image: Annotated[
        str, typer.Option("--image", envvar="BLENDBATCH_IMAGE", help="container image URI")
    ],
    name: Annotated[str, typer.Option("--name", help="job definition name")] = jobdef.DEFAULT_NAME,
    vcpus: Annotated[int, typer.Option("--vcpus", help="vCPUs per child")] = 4,
    memory: Annotated[int, typer.Option("--memory", help="MiB per child")] = 8192,
    gpus: Annotated[int, typer.Option("--gpus", help="GPUs per child (0: CPU rendering)")] = 0,
    timeout: Annotated[int, typer.Option("--timeout", help="seconds per attempt")] = 4 * 3600,
    attempts: Annotated[int, typer.Option("--attempts", help="attempts per child, 1-10")] = 3,
    job_role_arn: Annotated[
        str | None, typer.Option("--job-role-arn", help="IAM role the container runs as")
    ] = None,
    log_group: Annotated[
        str, typer.Option("--log-group", help="CloudWatch Logs group")
    ] = jobdef.DEFAULT_LOG_GROUP,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the request as JSON, call nothing")
    ] = False,
) -> None:
    """Register the job definition; an unchanged one is found and reused, not registered again."""
    spec = jobdef.JobDefinitionSpec(
        image=image,
        vcpus=vcpus,
        memory_mib=memory,
        gpus=gpus,
        timeout_seconds=timeout,
        attempts=attempts,
        job_role_arn=job_role_arn,
        log_group=log_group,
        name=name,
    )
    request = jobdef.job_definition(spec)
    if dry_run:
        typer.echo(json.dumps(request, indent=2))
        return
    from submitter import batch

    typer.echo(json.dumps(batch.register(request)))


@app.command()
@_edge
def deploy(
    stack: Annotated[
        str, typer.Option("--stack", envvar="BLENDBATCH_STACK", help="CloudFormation stack name")
    ] = "blendbatch",
    parameter: Annotated[
        list[str] | None,
        typer.Option("-p", "--parameter", help="KEY=VALUE for infra/stack.yaml; repeatable"),
    ] = None,
    template: Annotated[
        Path | None, typer.Option("--template", help="another template (default: ours)")
    ] = None,
    delete: Annotated[
        bool, typer.Option("--delete", help="delete the stack instead (the bucket is kept)")
    ] = False,
) -> None:
    """Create or update the AWS stack; print its outputs as the variables `submit` reads."""
    from submitter import deploy as stacks

    say = functools.partial(typer.echo, err=True)
    if delete:
        kept = stacks.destroy(stack, say)
        if kept:
            say(f"kept bucket {kept} (your renders): `aws s3 rb s3://{kept} --force` removes it")
        return
    body = (template or stacks.TEMPLATE).read_text()
    outputs = stacks.deploy(stack, body, stacks.parse_parameters(parameter or []), say)
    typer.echo("\n".join(stacks.env_lines(outputs)))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
