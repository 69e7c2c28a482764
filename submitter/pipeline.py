"""The submitter's steps that touch AWS, in order: learn the frames, upload, submit, record;
and find a submitted pipeline again from one job id."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from entrypoint.errors import BadInput, BlendbatchError
from entrypoint.frames import scene_frames
from submitter import blendfile, plan, progress


def frame_count(
    input_uri: str,
    upload: str | None,
    scene: str | None,
    step: int | None,
    frames: tuple[int, int] | None,
    *,
    dry_run: bool,
) -> int:
    """Frames the render will produce, from the local file (read whole), else a prefix of the
    S3 object (one ranged GET), else for a dry run from --frames alone."""
    if upload:
        info = blendfile.read_blend_file(upload)
    elif dry_run:
        if frames is None:
            raise BadInput(
                "a dry run does not read the .blend in S3: pass --frames A-B (and --step), "
                "or --upload LOCAL.blend"
            )
        return len(scene_frames(frames[0], frames[1], step or 1))
    else:
        from submitter import aws

        prefix = aws.read_prefix(input_uri, blendfile.PREFIX_BYTES)
        try:
            info = blendfile.read_blend_info(prefix, complete=False)
        except blendfile.BlendFileError as error:
            raise blendfile.BlendFileError(f"{input_uri}: {error}") from None
    return plan.planned_frames(blendfile.pick_scene(info, scene), step, frames)


def submit(sub: plan.Submission, upload: str | None, warn: Callable[[str], None]) -> list[dict]:
    """Upload (if asked), submit both jobs, then record them next to the output."""
    from submitter import aws, batch

    if upload:
        aws.split_s3_uri(sub.input_uri)
        aws.upload_file(upload, sub.input_uri)
    jobs = batch.submit(sub)
    render_id, stitch_id = jobs[0]["jobId"], jobs[1]["jobId"]
    try:
        aws.put_json(
            progress.record_uri(sub.output_root, render_id),
            progress.record(render_id, stitch_id, sub.output_root, plan.render_request(sub)),
        )
    except BlendbatchError as error:
        # Both jobs run regardless; only finding the stitch from the render id needs the record.
        warn(f"warning: could not write the job record ({error}); follow with the stitch id")
    return jobs


# What a dry run shows where the submit itself resolves a value (it makes no AWS call).
AT_SUBMIT = "<resolved at submit>"


def pin_inputs(
    sub: plan.Submission,
    upload: str | None,
    *,
    allow_missing: bool,
    dry_run: bool,
    say: Callable[[str], None],
) -> plan.Submission:
    """The submission with its render command naming exactly what it renders, fixed now.

    `--upload`: the .blend and every outside file go to the -i bucket's content-addressed
    store (a missing one stops everything first, unless `allow_missing`), the .blend is also
    copied to -i, and the command names the pinned .blend, `--deps` and `--content-id`. An
    s3:// input without `--upload` is pinned by its ETag (`--input-etag`). A dry run hashes
    and plans but calls nothing.
    """
    from submitter import aws

    extra: list[str] = []
    input_uri = sub.input_uri
    if upload:
        from submitter import cas
        from submitter.deps import find_dependencies

        bucket, _ = aws.split_s3_uri(sub.input_uri)
        deps = find_dependencies(Path(upload), frames=_scene_frames(upload, sub))
        project = cas.prepare(Path(upload), deps, allow_missing=allow_missing, say=say)
        input_uri, deps_uri = project.uris(bucket)
        extra = ["--deps", deps_uri, "--content-id", project.content_id]
    elif sub.input_uri.startswith("s3://"):
        etag = AT_SUBMIT if dry_run else aws.etag(sub.input_uri)
        extra = ["--input-etag", etag, "--content-id", f"etag:{etag}"]
    if allow_missing:
        extra.append("--allow-missing")
    # Before the user's own options, so those stay last as they typed them.
    pinned = dataclasses.replace(sub, input_uri=input_uri, render_args=(*extra, *sub.render_args))
    plan.validate(pinned)
    if upload and not dry_run:
        cas.upload(project, bucket, copy_to=sub.input_uri, say=say)
    return pinned


def _scene_frames(upload: str, sub: plan.Submission) -> tuple[int, ...]:
    """The frames the render uses (sequences need only theirs)."""
    picked = blendfile.pick_scene(blendfile.read_blend_file(upload), sub.scene)
    lo, hi = sub.frame_range or (None, None)
    return scene_frames(picked.start, picked.end, picked.step or 1, narrow_start=lo, narrow_end=hi)


def find(job_id: str) -> tuple[dict, dict | None]:
    """(render job, stitch job or None) of the pipeline that `job_id` belongs to."""
    from submitter import aws, batch

    job = batch.describe([job_id]).get(job_id)
    if job is None:
        raise BadInput(f"no job {job_id} in AWS Batch: pass the id `blendbatch submit` printed")
    render_id = progress.render_id_of(job)
    if render_id != job_id:
        render = batch.describe([render_id]).get(render_id)
        if render is None:
            raise BadInput(f"job {job_id} depends on {render_id}, which Batch no longer knows")
        return render, job
    root = progress.command_option(job, "-o")
    saved = aws.get_json(progress.record_uri(root, job_id)) if root else None
    stitch = None
    if saved:
        stitch = batch.describe([saved["stitchJobId"]]).get(saved["stitchJobId"])
    return job, stitch


def report(job_id: str) -> progress.Report:
    from submitter import aws, batch

    render, stitch = find(job_id)
    frames = progress.frames_uri(render)
    present = aws.count_objects(frames) if frames and frames.startswith("s3://") else None
    failed = []
    if render.get("arrayProperties", {}).get("statusSummary", {}).get("FAILED"):
        failed = batch.failed_children(render["jobId"])
    return progress.report(render, stitch, present, failed)
