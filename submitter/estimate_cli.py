"""`blendbatch estimate`: scout frames here, measured and projected for the whole shot; and
`-f auto` for `submit` and `run`, which chooses frames per child from a stored estimate.

Registered on `submitter.cli.app` when `cli` imports this module.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from entrypoint.errors import BadInput
from entrypoint.fingerprint import short
from entrypoint.overrides import Overrides
from submitter import blendfile, chunking, estimate, estimate_text, frameselect, options, plan
from submitter.cli import _edge, app

Opt = typer.Option


@app.command("estimate")
@_edge
@options.with_aws
@options.with_overrides
def estimate_command(
    blend_path: Annotated[
        Path | None,
        typer.Argument(
            help="the local .blend (with -i s3://... too: --on-batch uploads it and its outside "
            "files there, as submit --upload)",
            metavar="[SCENE.blend]",
        ),
    ] = None,
    output: Annotated[
        str,
        Opt(
            "-o",
            "--output",
            help="where the render will go (folder or s3://): the "
            "estimate is kept under <output>/<name>/estimates/",
        ),  # fmt: skip
    ] = "",
    input_uri: Annotated[
        str | None, Opt("-i", "--input", help="the .blend in S3, as submit reads it")
    ] = None,
    name: Annotated[str, Opt("-n", "--name", help="the render's name, as for run/submit")] = (
        "render"
    ),
    scouts: Annotated[int, Opt("--scout", help="scout frames: first, last, evenly spread")] = 3,
    local: Annotated[
        bool,
        Opt("--local/--on-batch", help="render the scouts here, or as jobs on AWS Batch"),
    ] = True,
    queue: Annotated[
        str, Opt("-q", "--queue", envvar="BLENDBATCH_QUEUE", help="--on-batch: the job queue")
    ] = "",
    job_definition: Annotated[
        str,
        Opt(
            "-d",
            "--job-definition",
            envvar="BLENDBATCH_JOB_DEFINITION",
            help="--on-batch: the real job's definition (image, vCPUs)",
        ),
    ] = "",  # fmt: skip
    wait: Annotated[
        bool,
        Opt(
            "--wait/--no-wait",
            help="--on-batch: wait for the scouts (the same command later collects them)",
        ),
    ] = True,  # fmt: skip
    interval: Annotated[float, Opt("--interval", help="--on-batch: seconds between checks")] = (
        15.0
    ),
    dry_run: Annotated[
        bool, Opt("--dry-run", help="--on-batch: print the scout jobs, call nothing")
    ] = False,
    frames_per_job: Annotated[
        str, Opt("-f", "--frames-per-job", help="frames per child to project, or auto")
    ] = chunking.AUTO,
    target_minutes: Annotated[
        float, Opt("--target-minutes", help="-f auto: minutes a child should run")
    ] = chunking.DEFAULT_TARGET_MINUTES,
    max_children: Annotated[
        int, Opt("--max-children", help="children running at once, for the wall time")
    ] = estimate.DEFAULT_MAX_CHILDREN,
    vcpus: Annotated[
        int | None, Opt("--vcpus", help="vCPUs a child (default: the instance's)")
    ] = None,
    instance: Annotated[
        str, Opt("--instance", help="an instance of the built-in price table")
    ] = estimate.DEFAULT_INSTANCE,
    market: Annotated[str, Opt("--market", help="spot or on-demand")] = estimate.DEFAULT_MARKET,
    price_per_hour: Annotated[
        float | None, Opt("--price-per-hour", help="USD an hour of a machine for one child")
    ] = None,
    frames: options.Frames = None,
    overrides: Overrides = options.FROM_TABLE,
    allow: dict[str, bool] = options.ALLOW_FROM_TABLE,
    as_json: Annotated[bool, Opt("--json", help="print the estimate as JSON")] = False,
) -> None:
    """Render a few scout frames (here, or as AWS Batch jobs); project render-hours, wall time
    and cost of the shot."""
    from submitter import estimating, scout

    if not output:
        raise BadInput("no output: pass -o OUTPUT, where the render will go (folder or s3://)")
    if blend_path is None and input_uri is None:
        raise BadInput("no scene: give SCENE.blend (a local file) or -i s3://BUCKET/KEY")
    if input_uri is not None and not input_uri.startswith("s3://"):
        raise BadInput(f"-i {input_uri}: give an s3:// URI; a local .blend is SCENE.blend")
    if dry_run and local:
        raise BadInput("--dry-run shows the scout jobs of --on-batch; --local renders here")
    projecting = estimating.Projecting(
        scouts=scouts,
        frames_per_job=chunking.parse_frames_per_job(frames_per_job),
        target_minutes=target_minutes,
        max_children=max_children,
        vcpus=vcpus,
        instance=instance,
        market=market,
        price_per_hour=price_per_hour,
    )
    projecting.check()
    frame_range = frameselect.parse_frames(frames) if frames else None
    if not local:
        batch_options = plan.BatchOptions(queue=queue, job_definition=job_definition)
        made = estimating.on_batch(
            blend=blend_path, input_uri=input_uri, output=output, name=name,
            frame_range=frame_range, overrides=overrides, allow=allow, projecting=projecting,
            options=batch_options, wait=wait, interval=interval, dry_run=dry_run, say=_err,
        )  # fmt: skip
        if isinstance(made, dict):
            typer.echo(json.dumps(made, indent=2))
        if isinstance(made, estimate.Estimate):
            _show(made, as_json)
        return
    if blend_path is None:
        made = estimating.local_from_s3(
            input_uri=input_uri, output=output, name=name, frame_range=frame_range,
            overrides=overrides, allow=allow, projecting=projecting, say=_err,
        )  # fmt: skip
        _show(made, as_json)
        return
    scout.require_blender()
    info = blendfile.read_blend_file(blend_path)
    render = plan.RenderPlan(
        name=name,
        input_uri=str(blend_path.resolve()),
        output_uri=output,
        frames_per_job=1,
        frame_count=frameselect.count_frames(info, overrides.scene, None, frame_range),
        frame_range=frame_range,
        overrides=overrides,
        **allow,
    )
    plan.check(render)
    _show(estimating.measure(render, blend_path, projecting, _err), as_json)


def _show(made: estimate.Estimate, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(estimate.to_json(made), indent=2))
    else:
        typer.echo("\n".join(estimate_text.lines(made)))


def _err(message: str) -> None:
    typer.echo(message, err=True)


def auto_frames_per_job(
    render: plan.RenderPlan,
    blend: Path | None,
    *,
    target_minutes: float,
    dry_run: bool,
    child_threads: int | None,
    say: Callable[[str], None],
) -> plan.RenderPlan:
    """`-f auto`: the plan with frames per child chosen from this render's estimate (stored,
    or measured here when Blender is installed); BadInput naming `blendbatch estimate`."""
    from submitter import estimating, pipeline, scout, stale

    fingerprint = stale.fingerprint_of(render)
    if fingerprint is None or pipeline.AT_SUBMIT in (render.content_id or ""):
        raise BadInput(
            "-f auto needs to know what the children render, and a dry run of an s3:// input "
            "does not read it: pass --upload LOCAL.blend, or give -f N"
        )
    found = scout.find_stored(render.output_root, fingerprint, may_call_aws=not dry_run)
    if found is None:
        if blend is None or not scout.has_blender():
            scene = f"{blend} -i S3_INPUT" if blend else f"-i {render.input_uri}"
            raise BadInput(
                f"-f auto: no estimate of this render (fingerprint {short(fingerprint)}) under "
                f"{render.output_root} or in {scout.cache_dir()}: run `blendbatch estimate "
                f"{scene} --on-batch -o {render.output_uri} -n {render.name} -q QUEUE -d JOBDEF` "
                "with the same settings first (scout frames as jobs on AWS Batch; or "
                "`blendbatch estimate SCENE.blend` here, with the render extra), or give -f N"
            )
        say(f"-f auto: no stored estimate of {short(fingerprint)}; rendering scout frames here")
        made = estimating.measure(render, blend, estimating.Projecting(), say)
        found = made, f"{render.output_root} (just measured)"
    made, where = found
    threads = made.measured["threads"]
    scale = threads / child_threads if child_threads else 1.0
    per_frame = made.per_frame_seconds.median * scale
    choice = chunking.choose(
        render.frame_count, made.startup_seconds.median, per_frame, target_minutes
    )
    say(
        f"-f auto: estimate {short(fingerprint)} from {where} ({len(made.scouts)} scouts on "
        f"{made.measured['host']}, {made.measured['when']}, {threads} threads)"
    )
    if scale != 1:
        say(f"  seconds a frame x {scale:g}: {threads} threads measured, {child_threads} a child")
    for reason in choice.reasons:
        say(f"  {reason}")
    return dataclasses.replace(render, frames_per_job=choice.frames_per_child)
