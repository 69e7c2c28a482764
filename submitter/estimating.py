"""The steps of `blendbatch estimate`: scouts rendered here (`measure`), as AWS Batch jobs
(`on_batch`), or of an S3 object downloaded and scouted here (`local_from_s3`); projected onto
the shot and stored under the output.

What an s3:// input is, is what `submit` makes of it: without a local scene it is pinned by its
ETag (content id `etag:<ETag>`) and carries no outside files, so neither do its scouts; with the
local scene as well (`SCENE.blend -i s3://...`) the scene and its outside files are hashed and,
for `--on-batch`, uploaded as `submit --upload` does (the same content id and fingerprint).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path

from entrypoint.errors import BadInput
from entrypoint.fingerprint import short
from entrypoint.layout import check_input_name
from entrypoint.overrides import Overrides
from submitter import batchscout, blendfile, chunking, estimate, frameselect, plan


def on_batch(
    *,
    blend: Path | None,
    input_uri: str | None,
    output: str,
    name: str,
    frame_range: tuple[int, int] | None,
    overrides: Overrides,
    allow: dict[str, bool],
    projecting,
    options: plan.BatchOptions,
    wait: bool,
    interval: float,
    dry_run: bool,
    say: Callable[[str], None],
) -> estimate.Estimate | dict | None:
    """The estimate from scout jobs on AWS Batch; a dry run's requests (dict); None when the
    jobs were submitted without waiting."""
    from submitter import pipeline, scout, stale

    if input_uri is None:
        raise BadInput(
            "--on-batch: the scout jobs read the .blend from S3: pass -i s3://BUCKET/KEY "
            "(with SCENE.blend too, it and its outside files are uploaded there, as submit "
            "--upload does)"
        )
    upload = str(blend) if blend else None
    plan.check_locations(input_uri, output, upload)
    info = pipeline.blend_info(input_uri, upload, dry_run=dry_run)
    frames = frameselect.render_frames(info, overrides.scene, None, frame_range)
    render = plan.RenderPlan(
        name=name,
        input_uri=input_uri,
        output_uri=output,
        frames_per_job=chunking.fewest_allowed(len(frames)),
        frame_count=len(frames),
        frame_range=frame_range,
        overrides=overrides,
        **allow,
    )
    plan.validate(render, options)
    render, project = pipeline.pin(render, upload, dry_run=dry_run, say=say)
    known = pipeline.AT_SUBMIT not in (render.content_id or "")
    fingerprint = stale.fingerprint_of(render) if known else batchscout.UNKNOWN_FINGERPRINT
    picks = estimate.scout_frames(frames, projecting.scouts)
    if dry_run:
        made = batchscout.requests(render, picks, fingerprint, options)
        return {"scouts": [request for _, request in made]}
    if project is not None:
        pipeline.upload(project, render, copy_to=input_uri, say=say)
    say(
        f"estimate {short(fingerprint)}: {len(picks)} scout frames of {len(frames)} as jobs "
        f"on {options.queue} ({options.job_definition})"
    )
    jobs = batchscout.submit_or_find(render, picks, fingerprint, options, say)
    if not wait:
        say("not waiting: run the same command again to collect the scouts when they are done")
        return None
    batchscout.wait(jobs, interval, say)
    with batchscout.temporary() as work:
        scouts, run, files, host = batchscout.collect(render, jobs, fingerprint, Path(work))
        vcpus = batchscout.definition_vcpus(options.job_definition)
        measured = batchscout.measured(vcpus, run, host, options)
        if projecting.vcpus is None:
            projecting = dataclasses.replace(projecting, vcpus=measured["threads"])
        settings = run.get("settings", {})
        size = (int(settings.get("width", 0)), int(settings.get("height", 0)))
        sheet = scout.sheet_of(files, Path(work), size) if all(size) else None
        made = assemble(render, fingerprint, frames, scouts, settings, measured,
                                     projecting)  # fmt: skip
        sheet_at = scout.store(render.output_root, made, sheet)
    return dataclasses.replace(made, sheet=sheet_at)


def local_from_s3(
    *,
    input_uri: str,
    output: str,
    name: str,
    frame_range: tuple[int, int] | None,
    overrides: Overrides,
    allow: dict[str, bool],
    projecting,
    say: Callable[[str], None],
) -> estimate.Estimate:
    """Download the S3 .blend (pinned by the ETag read first) and scout it here, as a job
    without `--upload` would render it: its outside files are not in S3 with it, so one it
    names is refused here, naming the two ways out."""
    from submitter import aws, depfind, scout

    scout.require_blender()
    bucket, key = aws.split_s3_uri(input_uri)
    file_name = key.rsplit("/", 1)[-1]
    if not file_name:
        raise BadInput(f"-i {input_uri}: name the .blend object, not a folder")
    check_input_name(input_uri, file_name)
    etag = aws.etag(input_uri)
    with tempfile.TemporaryDirectory(prefix="blendbatch-input-") as work:
        blend = Path(work) / file_name
        say(f"downloading {input_uri} (ETag {etag}) to scout it here")
        with aws.aws_errors(input_uri), blend.open("wb") as sink:
            # GetObject, not download_file: the transfer manager takes no IfMatch.
            body = aws.client("s3").get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"]
            for chunk in body.iter_chunks(1 << 20):
                sink.write(chunk)
        missing = [d for d in depfind.find_dependencies(blend) if d.status == "missing"]
        if missing and not allow.get("allow_missing"):
            named = ", ".join(sorted({d.reference.written for d in missing})[:5])
            raise BadInput(
                f"{input_uri} names {len(missing)} outside files that are not in S3 with it "
                f"({named}): a job of this s3:// input gets none of them either. Estimate the "
                f"scene from your disk instead (`blendbatch estimate SCENE.blend -o {output} -n "
                f"{name}`, and submit it with --upload), or pass --allow-missing"
            )
        frames = frameselect.count_frames(
            blendfile.read_blend_file(blend), overrides.scene, None, frame_range
        )
        render = plan.RenderPlan(
            name=name,
            input_uri=str(blend),
            output_uri=output,
            frames_per_job=1,
            frame_count=frames,
            frame_range=frame_range,
            overrides=overrides,
            content_id=f"etag:{etag}",
            **allow,
        )
        plan.check(render)
        return measure(render, blend, projecting, say)


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
        made = assemble(render, fingerprint, frames, scouts, settings, measured, projecting)
        sheet_at = scout.store(render.output_root, made, sheet)
    return dataclasses.replace(made, sheet=sheet_at)


def assemble(
    render: plan.RenderPlan,
    fingerprint: str,
    frames: tuple[int, ...],
    scouts: tuple[estimate.Scout, ...],
    settings: dict,
    measured: dict,
    projecting: Projecting,
) -> estimate.Estimate:
    """The estimate of measured scouts (here or on Batch), projected onto the shot."""
    scene = {
        "name": settings.get("scene"),
        "first": frames[0],
        "last": frames[-1],
        "step": frames[1] - frames[0] if len(frames) > 1 else 1,
        "frames": len(frames),
        "width": int(settings.get("width", 0)),
        "height": int(settings.get("height", 0)),
    }
    return estimate.Estimate(
        fingerprint=fingerprint,
        content_id=render.content_id,
        scene=scene,
        measured=measured,
        scouts=scouts,
        projection=_project(scouts, len(frames), measured["threads"], projecting),
    )


def _frames(blend: Path, render: plan.RenderPlan) -> tuple[int, ...]:
    info = blendfile.read_blend_file(blend)
    return frameselect.render_frames(info, render.overrides.scene, None, render.frame_range)


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
