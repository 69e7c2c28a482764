"""`blendbatch run` (the whole pipeline on this machine, no AWS) and `blendbatch deps`: the
commands that need only local files. They join the app of `submitter.cli` through `add_to`."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from entrypoint.errors import BadInput, Interrupted
from entrypoint.overrides import Overrides
from submitter import (
    blendfile,
    chunking,
    frameselect,
    localplan,
    options,
    plan,
    routing,
    stale,
)

Opt = typer.Option


def run(
    input_path: Annotated[Path, Opt("-i", "--input", help="a local .blend")],
    output_dir: Annotated[
        Path, Opt("-o", "--output", help="a local folder; results go to <output>/<name>")
    ],
    frames_per_job: Annotated[
        str | None,
        Opt("-f", "--frames-per-job", help=options.FRAMES_PER_JOB_HELP + " (default: picked)"),
    ] = None,
    target_minutes: options.TargetMinutes = chunking.DEFAULT_TARGET_MINUTES,
    name: Annotated[str, Opt("-n", "--name", help="run name, also the output folder")] = "render",
    workers: Annotated[
        int | None,
        Opt("-w", "--workers", help="children at a time, 0: one per core (default: picked)"),
    ] = None,
    frames: options.Frames = None,
    overrides: Overrides = options.FROM_TABLE,
    allow: dict[str, bool] = options.ALLOW_FROM_TABLE,
    codec: options.Codec = options.DEFAULT_CODEC,
    crf: options.Crf = None,
    video_name: options.VideoName = None,
    allow_gaps: options.AllowGaps = False,
    no_video: options.NoVideo = False,
    fresh: options.Fresh = False,
) -> None:
    """Run the whole pipeline on this machine, no AWS: children in parallel, then stitch."""
    from submitter.local import check_request, run_local

    check_request(output_dir, name, workers)
    with _ctrl_c_before_rendering():
        render, choice = _prepare_run(
            input_path, output_dir, frames_per_job, target_minutes, name, workers, frames,
            overrides, allow, (codec, crf, video_name, allow_gaps), no_video, fresh,
        )  # fmt: skip
    from submitter.screen import Screen

    with Screen() as screen:
        try:
            final = run_local(render, choice, screen.say, screen.update)
        except Interrupted as stopped:
            screen.close()
            typer.echo(str(stopped), err=True)
            raise typer.Exit(stopped.exit_code) from None
        screen.summary(final)


@contextlib.contextmanager
def _ctrl_c_before_rendering():
    """Ctrl-C while `run` reads, hashes or plans (no child started yet): one line, exit 130."""
    try:
        yield
    except KeyboardInterrupt:
        typer.echo("stopped before rendering: nothing rendered", err=True)
        raise typer.Exit(Interrupted.exit_code) from None


def _prepare_run(
    input_path, output_dir, frames_per_job, target_minutes, name, workers, frames, overrides,
    allow, stitch_options, no_video, fresh,
) -> tuple[plan.RenderPlan, localplan.LocalChoice]:  # fmt: skip
    """`run` up to its children: the plan, pinned to the project's content, stale frames said,
    and how this machine renders it (submitter/localplan.py)."""
    from submitter import pipeline

    codec, crf, video_name, allow_gaps = stitch_options
    frame_range = frameselect.parse_frames(frames) if frames else None
    stitch_args, video = options.stitch_args(codec, crf, video_name, allow_gaps)
    info = blendfile.read_blend_file(input_path)
    routing.check_local(info.saved_by, pipeline.local_blender(), allow["allow_older_blender"])
    per_job = None if frames_per_job is None else chunking.parse_frames_per_job(frames_per_job)
    frame_count = frameselect.count_frames(info, overrides.scene, None, frame_range)
    threads = overrides.threads  # the user's, or None
    choice = localplan.choose(
        _cores(), frame_count, workers=workers, threads=threads, frames_per_job=per_job
    )
    # Children share the cores: without a count each would start one thread per core.
    overrides = dataclasses.replace(overrides, threads=choice.threads)
    render = plan.RenderPlan(
        name=name,
        input_uri=str(input_path.resolve()),
        output_uri=str(output_dir.resolve()),
        frames_per_job=choice.frames_per_job,
        frame_count=frame_count,
        frame_range=frame_range,
        overrides=overrides,
        **allow,
        stitch_args=stitch_args,
        video_name=video,
        make_video=not no_video,
    )
    plan.check(render)
    # The children render the files in place; the manifest's hash says what their pixels
    # come from, and a missing outside file stops here, before any process starts.
    project = pipeline.local_project(input_path, render, typer.echo)
    render = dataclasses.replace(render, content_id=project.content_id)
    if frames_per_job is not None and per_job is None:  # -f auto
        from submitter import estimate_cli

        render = estimate_cli.auto_frames_per_job(
            render, input_path, target_minutes=target_minutes, dry_run=False,
            child_threads=render.overrides.threads, say=typer.echo,
        )  # fmt: skip
        choice = localplan.choose(
            _cores(), frame_count, workers=workers, threads=threads,
            frames_per_job=render.frames_per_job,
        )  # fmt: skip
        with_threads = dataclasses.replace(render.overrides, threads=choice.threads)
        render = dataclasses.replace(render, overrides=with_threads)
    stale.announce(render, fresh=fresh, say=typer.echo)
    return render, choice


def _cores() -> int:
    """The cores this process may use (a container's or taskset's limit, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def deps(
    blend_path: Annotated[Path, typer.Argument(help="the local .blend", metavar="SCENE.blend")],
    as_json: Annotated[
        bool, Opt("--json", help="machine-readable output (docs/design.md)")
    ] = False,
    frames: Annotated[
        str | None, Opt("--frames", help="A-B: the frames to render (default: the scene's)")
    ] = None,
) -> None:
    """List every outside file the scene needs (textures, libraries, caches, ...); exit 2 if
    any is missing."""
    from submitter import depfind, depreport

    frame_range = depreport.parse_frames(frames) if frames else None
    found = depfind.find_dependencies(blend_path, frames=frame_range)
    if as_json:
        typer.echo(json.dumps(depreport.as_json(found), indent=2))
    else:
        typer.echo(depreport.table(found))
    missing = [d for d in found if d.status == "missing"]
    if missing:
        typer.echo(f"error: {depreport.missing_message(missing)}", err=True)
        raise typer.Exit(BadInput.exit_code)


def add_to(app: typer.Typer, edge: Callable[[Callable], Callable]) -> None:
    """Register the commands on `app`; `edge` maps our errors to exit codes."""
    app.command()(edge(options.with_overrides(run)))
    app.command()(edge(deps))
