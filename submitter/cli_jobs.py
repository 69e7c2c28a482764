"""`blendbatch ls`, `get`, `cancel` and `--version`: the commands about pipelines already
submitted. They join the app of `submitter.cli` through `add_to`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from entrypoint.errors import BadInput, TransientFailure
from entrypoint.layout import FRAMES_DIR
from submitter import options

Opt = typer.Option
JobId = Annotated[str, typer.Argument(help="the render or the stitch job id")]


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"blendbatch {_installed_version()}")
        raise typer.Exit()


def version(
    show: Annotated[
        bool,
        Opt(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="print blendbatch's version and exit",
        ),
    ] = False,
) -> None:
    pass


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("blendbatch")
    except PackageNotFoundError:
        return "unknown (not installed: run from a source tree)"


def ls(
    location: Annotated[
        str | None,
        typer.Argument(
            help="the output location submit wrote to, s3://BUCKET/PREFIX "
            "(default: s3://<--bucket>/renders)",
            show_default=False,
        ),
    ] = None,
    bucket: options.Bucket = None,
    limit: Annotated[int, Opt("-n", "--limit", help="how many pipelines, newest first")] = 20,
    as_json: Annotated[bool, Opt("--json", help="machine-readable (docs/design.md)")] = False,
) -> None:
    """List the recent pipelines of an output location, from the job records `submit` wrote."""
    from submitter import outputs, records

    if limit < 1:
        raise BadInput(f"--limit {limit}: give 1 or more")
    where = location or options.default_output(bucket, "ls needs an output location")
    rows = outputs.recent(where, limit)
    if as_json:
        typer.echo(json.dumps(records.ls_json(where, rows), indent=2))
        return
    if not rows:
        typer.echo(f"no pipelines recorded under {where} (submit writes <output>/<name>/jobs/)")
        return
    typer.echo("\n".join(records.ls_table(rows)))


def get(
    job: Annotated[
        str,
        typer.Argument(help="the render or stitch job id, or the pipeline's output s3://.../NAME"),
    ],
    into: Annotated[
        Path | None, Opt("--to", help="the local folder (default: ./<name>)", show_default=False)
    ] = None,
    with_frames: Annotated[
        bool,
        Opt(
            "--with-frames",
            help="also download every frame (and OpenEXR frames' proxies): <folder>/frames/",
        ),
    ] = False,
) -> None:
    """Download a pipeline's video, previews and report to this machine."""
    from submitter import outputs

    if job.startswith("s3://"):
        root, stitch = job.rstrip("/"), None
        video = outputs.makes_video(root)
    else:
        root, stitch, video = outputs.output_of(job)
    if not video and not with_frames:
        raise BadInput(
            f"{root} was submitted with --no-video: it holds frames and no video; pass "
            "--with-frames to download them"
        )
    folder = into or Path(root.rpartition("/")[2])
    found = outputs.fetch(root, folder, with_frames=with_frames, say=typer.echo)
    if not found and not video:
        typer.echo(f"frames: {folder / FRAMES_DIR} (--no-video: no video)")
    elif not found:
        state = f" (stitch job {stitch['jobId']} is {stitch['status']})" if stitch else ""
        raise TransientFailure(
            f"no video in {root} yet{state}: `blendbatch status` says when it is done; "
            "run get again then"
        )
    for name in found:
        typer.echo(f"video: {folder / name}")


def cancel(job_id: JobId) -> None:
    """Terminate what still runs of a pipeline: the render array job (all its children) and
    the stitch job; finished jobs are left as they are."""
    from submitter import batch, pipeline, records

    render, stitch = pipeline.find(job_id)
    jobs = [records.Job("render", render["jobId"], render["status"])]
    if stitch:
        jobs.append(records.Job("stitch", stitch["jobId"], stitch["status"]))
    stop, left = records.split_for_cancel(jobs)
    batch.cancel([job.job_id for job in stop], "cancelled with blendbatch cancel")
    typer.echo("\n".join(records.cancel_lines(stop, left)))
    if stitch is None:
        typer.echo("stitch job not found: it fails on its own once the render fails", err=True)


def add_to(app: typer.Typer, edge: Callable[[Callable], Callable]) -> None:
    """Register the commands (and the app's `--version`) on `app`; `edge` maps our errors to
    exit codes."""
    app.callback()(version)
    app.command("ls")(edge(options.with_aws(ls)))
    app.command()(edge(options.with_aws(get)))
    app.command()(edge(options.with_aws(cancel)))
