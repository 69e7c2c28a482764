"""`blendbatch`: submit a render to AWS Batch, or run the same pipeline on this machine.

Options take precedence over environment variables, which take precedence over defaults.
Exit codes: 0 done, 2 bad input (fix the command), 1 a failure worth retrying.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from entrypoint.errors import BlendbatchError
from entrypoint.frames import scene_frames
from submitter import blendfile, jobdef, plan

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


def _frame_count(scene: blendfile.SceneInfo, step: int | None) -> int:
    effective = step or scene.step or 1
    return len(scene_frames(scene.start, scene.end, effective))


@app.command()
@_edge
def submit(
    input_uri: Annotated[
        str, typer.Option("-i", "--input", help="the .blend in S3: s3://BUCKET/KEY")
    ],
    output_uri: Annotated[
        str,
        typer.Option("-o", "--output", help="s3://BUCKET[/PREFIX]; results go to <output>/<name>"),
    ],
    frames_per_job: Annotated[
        int, typer.Option("-f", "--frames-per-job", help="frames each array child renders")
    ],
    name: Annotated[str, typer.Option("-n", "--name", help="job name, also the output folder")],
    queue: Annotated[
        str, typer.Option("-q", "--queue", envvar="BLENDBATCH_QUEUE", help="job queue")
    ] = "",
    job_definition: Annotated[
        str,
        typer.Option(
            "-d", "--job-definition", envvar="BLENDBATCH_JOB_DEFINITION", help="job definition"
        ),
    ] = "",
    scene: Annotated[
        str | None, typer.Option("--scene", help="scene name (default: the one saved active)")
    ] = None,
    step: Annotated[
        int | None, typer.Option("--step", help="the scene's frame_step (not in the file header)")
    ] = None,
) -> None:
    """Submit the render array job and the stitch job that depends on it."""
    from submitter import aws

    info = blendfile.read_blend_info(
        aws.read_prefix(input_uri, blendfile.PREFIX_BYTES), complete=False
    )
    sub = plan.Submission(
        name=name,
        input_uri=input_uri,
        output_uri=output_uri,
        frames_per_job=frames_per_job,
        frame_count=_frame_count(blendfile.pick_scene(info, scene), step),
        queue=queue,
        job_definition=job_definition,
    )
    plan.validate(sub)
    from submitter import batch

    typer.echo(json.dumps(batch.submit(sub)))


@app.command()
@_edge
def run(
    input_path: Annotated[Path, typer.Option("-i", "--input", help="a local .blend")],
    output_dir: Annotated[
        Path, typer.Option("-o", "--output", help="a local folder; results go to <output>/<name>")
    ],
    frames_per_job: Annotated[
        int, typer.Option("-f", "--frames-per-job", help="frames each child renders")
    ] = 10,
    name: Annotated[
        str, typer.Option("-n", "--name", help="run name, also the output folder")
    ] = "render",
    workers: Annotated[
        int, typer.Option("-w", "--workers", help="children at a time (default: cores)")
    ] = 0,
    scene: Annotated[
        str | None, typer.Option("--scene", help="scene name (default: the one saved active)")
    ] = None,
) -> None:
    """Run the whole pipeline on this machine, no AWS: children in parallel, then stitch."""
    from submitter.local import run_local

    info = blendfile.read_blend_file(input_path)
    sub = plan.Submission(
        name=name,
        input_uri=str(input_path.resolve()),
        output_uri=str(output_dir.resolve()),
        frames_per_job=frames_per_job,
        frame_count=_frame_count(blendfile.pick_scene(info, scene), None),
        queue="local",
        job_definition="local",
    )
    plan.validate(sub)
    video = run_local(sub, workers or os.cpu_count() or 1, typer.echo)
    typer.echo(f"video: {video}")


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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
