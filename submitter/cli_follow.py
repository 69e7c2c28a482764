"""`blendbatch status`, `watch` and `logs`: following a submitted pipeline. They join the app
of `submitter.cli` through `add_to`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Annotated

import typer

from entrypoint.errors import BlendbatchError, Interrupted
from submitter import options

Opt = typer.Option


def status(
    job_id: Annotated[str, typer.Argument(help="the render or the stitch job id")],
    as_json: Annotated[
        bool, Opt("--json", help="one JSON object (docs/design.md, Progress)")
    ] = False,
) -> None:
    """Progress by frames, children by state, the stitch; exit 1 if the pipeline failed."""
    from submitter import pipeline, progress, screen

    report = pipeline.report(job_id)
    if as_json:
        typer.echo(json.dumps(progress.as_json(report)))
    else:
        screen.print_status(report)
    _exit_if_failed(report)


def watch(
    job_id: Annotated[str, typer.Argument(help="the render or the stitch job id")],
    interval: Annotated[float, Opt("--interval", help="seconds between checks")] = 15.0,
    as_json: Annotated[
        bool, Opt("--json", help="a JSON object per check, one a line; the last is final")
    ] = False,
) -> None:
    """Follow a pipeline until it succeeds or fails: a live bar on a terminal, then a summary;
    exit 1 if it failed."""
    from submitter import pipeline, progress, progresstext
    from submitter.screen import Screen

    looker = pipeline.Watcher(job_id)
    try:
        if as_json:
            while True:
                report = looker.report()
                typer.echo(json.dumps(progress.as_json(report)))
                if report.state != progress.RUNNING:
                    break
                time.sleep(interval)
        else:
            with Screen() as screen:
                while True:
                    report = looker.report()
                    screen.update(report)
                    if report.state != progress.RUNNING:
                        break
                    time.sleep(interval)
                screen.close()
                for line in progresstext.lines(report):
                    if line.startswith(("  failed", "  outside files")):
                        screen.say(line)
                screen.summary(report)
    except KeyboardInterrupt:
        typer.echo(f"stopped watching; the pipeline goes on (blendbatch watch {job_id})", err=True)
        raise typer.Exit(Interrupted.exit_code) from None
    _exit_if_failed(report)


def _exit_if_failed(report) -> None:
    from submitter import progress

    if report.state == progress.FAILED:
        raise typer.Exit(BlendbatchError.exit_code)


def logs(
    job_id: Annotated[str, typer.Argument(help="a job id (array job: add --index)")],
    index: Annotated[int | None, Opt("--index", help="array child index")] = None,
    follow: Annotated[bool, Opt("--follow", help="keep printing until the job ends")] = False,
) -> None:
    """A job's output from CloudWatch Logs."""
    from submitter import logs as cloudwatch

    target = job_id if index is None else f"{job_id}:{index}"
    cloudwatch.follow(target, typer.echo, keep_going=follow, poll=5.0)


def add_to(app: typer.Typer, edge: Callable[[Callable], Callable]) -> None:
    """Register the commands on `app`; `edge` maps our errors to exit codes."""
    for command in (status, watch, logs):
        app.command()(edge(options.with_aws(command)))
