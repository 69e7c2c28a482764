"""`blendbatch estimate`: scout frames here, measured and projected for the whole shot; and
`-f auto` for `submit` and `run`, which chooses frames per child from a stored estimate.

Registered on `submitter.cli.app` when `cli` imports this module.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from entrypoint.errors import BadInput
from entrypoint.fingerprint import short
from entrypoint.overrides import Overrides
from submitter import blendfile, chunking, estimate, options, plan
from submitter.cli import _edge, app

Opt = typer.Option


@dataclasses.dataclass(frozen=True)
class Projecting:
    """How to project the scouts onto the shot (the command's options, checked)."""

    scouts: int = estimate.DEFAULT_SCOUTS
    frames_per_job: int | None = None  # None: chosen for target_minutes
    target_minutes: float = chunking.DEFAULT_TARGET_MINUTES
    max_children: int = estimate.DEFAULT_MAX_CHILDREN
    vcpus: int | None = None
    instance: str = estimate.DEFAULT_INSTANCE
    market: str = estimate.DEFAULT_MARKET
    price_per_hour: float | None = None

    def check(self) -> None:
        for flag, value in (("--scout", self.scouts), ("--max-children", self.max_children)):
            if value < 1:
                raise BadInput(f"{flag} {value}: give 1 or more")
        if self.vcpus is not None and self.vcpus < 1:
            raise BadInput(f"--vcpus {self.vcpus}: give 1 or more")
        if self.price_per_hour is not None and self.price_per_hour < 0:
            raise BadInput(f"--price-per-hour {self.price_per_hour:g}: give 0 or more")
        if self.instance not in estimate.PRICES:
            known = ", ".join(estimate.PRICES)
            raise BadInput(
                f"--instance {self.instance!r} is not in the price table ({known}): "
                "pass --vcpus N --price-per-hour USD for another"
            )
        if self.market not in estimate.MARKETS:
            raise BadInput(f"--market {self.market!r}: give spot or on-demand")


@app.command("estimate")
@_edge
@options.with_overrides
def estimate_command(
    blend_path: Annotated[Path, typer.Argument(help="the local .blend", metavar="SCENE.blend")],
    output: Annotated[
        str,
        Opt(
            "-o",
            "--output",
            help="where the render will go (folder or s3://): the "
            "estimate is kept under <output>/<name>/estimates/",
        ),  # fmt: skip
    ],
    name: Annotated[str, Opt("-n", "--name", help="the render's name, as for run/submit")] = (
        "render"
    ),
    scouts: Annotated[int, Opt("--scout", help="scout frames: first, last, evenly spread")] = 3,
    local: Annotated[bool, Opt("--local", help="render the scouts on this machine")] = True,
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
    """Render a few scout frames here; project render-hours, wall time and cost of the shot."""
    from submitter import scout

    scout.require_blender()
    projecting = Projecting(
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
    info = blendfile.read_blend_file(blend_path)
    frame_range = plan.parse_frames(frames) if frames else None
    render = plan.RenderPlan(
        name=name,
        input_uri=str(blend_path.resolve()),
        output_uri=output,
        frames_per_job=1,
        frame_count=plan.count_frames(info, overrides.scene, None, frame_range),
        frame_range=frame_range,
        overrides=overrides,
        **allow,
    )
    plan.check(render)
    made = measure(render, blend_path, projecting, _err)
    if as_json:
        typer.echo(json.dumps(estimate.to_json(made), indent=2))
    else:
        typer.echo("\n".join(estimate.lines(made)))


def _err(message: str) -> None:
    typer.echo(message, err=True)


def measure(
    render: plan.RenderPlan, blend: Path, projecting: Projecting, say: Callable[[str], None]
) -> estimate.Estimate:
    """Scout, project, keep the sheet and store the estimate under the render's output."""
    from submitter import pipeline, scout, stale

    if render.content_id is None:
        project = pipeline.local_project(blend, render, say)
        render = dataclasses.replace(render, content_id=project.content_id)
    fingerprint = stale.fingerprint_of(render)
    frames = _frames(blend, render)
    picks = estimate.scout_frames(frames, projecting.scouts)
    say(f"estimate {short(fingerprint)}: {len(picks)} scout frames of {len(frames)}, one at a time")
    with tempfile.TemporaryDirectory(prefix="blendbatch-scouts-") as work:
        scouts, run = scout.render_scouts(render, picks, Path(work), say)
        settings = run.get("settings", {})
        size = (int(settings.get("width", 0)), int(settings.get("height", 0)))
        sheet = scout.contact_sheet(render, picks, Path(work), size) if all(size) else None
        measured = scout.measured(render, run)
        scene = {
            "name": settings.get("scene"),
            "first": frames[0],
            "last": frames[-1],
            "step": frames[1] - frames[0] if len(frames) > 1 else 1,
            "frames": len(frames),
            "width": size[0],
            "height": size[1],
        }
        made = estimate.Estimate(
            fingerprint=fingerprint,
            content_id=render.content_id,
            scene=scene,
            measured=measured,
            scouts=scouts,
            projection=_project(scouts, len(frames), measured["threads"], projecting),
        )
        sheet_at = scout.store(render.output_root, made, sheet)
    return dataclasses.replace(made, sheet=sheet_at)


def _frames(blend: Path, render: plan.RenderPlan) -> tuple[int, ...]:
    info = blendfile.read_blend_file(blend)
    return plan.render_frames(info, render.overrides.scene, None, render.frame_range)


def _project(
    scouts: tuple[estimate.Scout, ...], frames: int, threads: int, projecting: Projecting
) -> estimate.Projection:
    instance_vcpus = estimate.PRICES[projecting.instance][0]
    fallback = threads if projecting.price_per_hour is not None else instance_vcpus
    vcpus = projecting.vcpus or fallback
    per_job = projecting.frames_per_job
    if per_job is None:
        per_frame = estimate.spread([s.seconds * threads / vcpus for s in scouts]).median
        startup = estimate.spread([s.startup_seconds for s in scouts]).median
        per_job = chunking.choose(frames, startup, per_frame, projecting.target_minutes)
        per_job = per_job.frames_per_child
    price = estimate.price_for(
        vcpus,
        price_per_hour=projecting.price_per_hour,
        instance=projecting.instance,
        market=projecting.market,
    )
    return estimate.project(
        scouts,
        frames=frames,
        frames_per_child=per_job,
        max_children=projecting.max_children,
        measured_threads=threads,
        vcpus=vcpus,
        price=price,
    )


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
    from submitter import pipeline, scout, stale

    fingerprint = stale.fingerprint_of(render)
    if fingerprint is None or pipeline.AT_SUBMIT in (render.content_id or ""):
        raise BadInput(
            "-f auto needs to know what the children render, and a dry run of an s3:// input "
            "does not read it: pass --upload LOCAL.blend, or give -f N"
        )
    found = scout.find_stored(render.output_root, fingerprint, may_call_aws=not dry_run)
    if found is None:
        if blend is None or not scout.has_blender():
            raise BadInput(
                f"-f auto: no estimate of this render (fingerprint {short(fingerprint)}) under "
                f"{render.output_root} or in {scout.cache_dir()}: run `blendbatch estimate "
                f"{blend or 'SCENE.blend'} -o {render.output_uri} -n {render.name}` with the same "
                "settings first (it needs the render extra), or give -f N"
            )
        say(f"-f auto: no stored estimate of {short(fingerprint)}; rendering scout frames here")
        made = measure(render, blend, Projecting(), say)
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
