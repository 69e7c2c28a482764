"""The submitter's steps that touch AWS, in order: learn the frames, upload, submit, record;
and find a submitted pipeline again from one job id."""

from __future__ import annotations

from collections.abc import Callable

from entrypoint.errors import BadInput, BlendbatchError
from submitter import blendfile, plan, progress


def blend_info(input_uri: str, upload: str | None, *, dry_run: bool) -> blendfile.BlendInfo | None:
    """The .blend's scenes, from the local file (read whole), else a prefix of the S3 object
    (one ranged GET); None for a dry run, which calls nothing."""
    if upload:
        return blendfile.read_blend_file(upload)
    if dry_run:
        return None
    from submitter import aws

    prefix = aws.read_prefix(input_uri, blendfile.PREFIX_BYTES)
    try:
        return blendfile.read_blend_info(prefix, complete=False)
    except blendfile.BlendFileError as error:
        raise blendfile.BlendFileError(f"{input_uri}: {error}") from None


def submit(
    render: plan.RenderPlan,
    batch_options: plan.BatchOptions,
    upload: str | None,
    warn: Callable[[str], None],
) -> list[dict]:
    """Upload (if asked), submit both jobs, then record them next to the output."""
    from submitter import aws, batch

    if upload:
        aws.split_s3_uri(render.input_uri)
        aws.upload_file(upload, render.input_uri)
    jobs = batch.submit(render, batch_options)
    render_id, stitch_id = jobs[0]["jobId"], jobs[1]["jobId"]
    try:
        aws.put_json(
            progress.record_uri(render.output_root, render_id),
            progress.record(
                render_id,
                stitch_id,
                render.output_root,
                plan.render_request(render, batch_options),
            ),
        )
    except BlendbatchError as error:
        # Both jobs run regardless; only finding the stitch from the render id needs the record.
        warn(f"warning: could not write the job record ({error}); follow with the stitch id")
    return jobs


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
