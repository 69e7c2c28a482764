"""The submitter's steps that touch AWS, in order: learn the frames, upload, submit, record;
and find a submitted pipeline again from one job id."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from entrypoint.errors import BadInput, BlendbatchError
from entrypoint.layout import MANIFESTS_DIR
from submitter import blendfile, plan, progress, records


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


def registered(job_definition: str) -> bool:
    """Whether the job definition has an ACTIVE revision in this account and region."""
    from submitter import batch

    return batch.is_registered(job_definition)


def submit(
    render: plan.RenderPlan, batch_options: plan.BatchOptions, warn: Callable[[str], None]
) -> list[dict]:
    """Submit both jobs (`--no-video`: the render only), then record them next to the output."""
    from submitter import aws, batch

    jobs = batch.submit(render, batch_options)
    render_id, stitch_id = jobs[0]["jobId"], jobs[1]["jobId"] if len(jobs) > 1 else None
    try:
        aws.put_json(
            records.record_uri(render.output_root, render_id),
            records.record(
                render_id,
                stitch_id,
                render.output_root,
                plan.render_request(render, batch_options),
                video=render.make_video,
            ),
        )
    except BlendbatchError as error:
        # Both jobs run regardless; only finding the stitch from the render id needs the record.
        warn(f"warning: could not write the job record ({error}); follow with the stitch id")
    return jobs


# What a dry run shows where the submit itself resolves a value (it makes no AWS call).
AT_SUBMIT = "<resolved at submit>"


def pin(render: plan.RenderPlan, upload: str | None, *, dry_run: bool, say: Callable[[str], None]):
    """(the plan naming exactly what its children render, the project to upload or None).

    `--upload`: the .blend and every outside file are hashed (a missing one stops everything
    here, before any upload, unless the plan allows missing files); the children get the pinned
    .blend in the -i bucket's content-addressed store, `--deps` and `--content-id`. An s3://
    input without `--upload` is pinned by its ETag. A dry run hashes but calls nothing.
    """
    from submitter import aws

    if upload:
        bucket, _ = aws.split_s3_uri(render.input_uri)
        project = local_project(Path(upload), render, say)
        blend_uri, deps_uri = project.uris(bucket)
        pinned = dataclasses.replace(
            render, input_uri=blend_uri, deps_uri=deps_uri, content_id=project.content_id
        )
        return pinned, project
    if render.input_uri.startswith("s3://"):
        etag = AT_SUBMIT if dry_run else aws.etag(render.input_uri)
        return dataclasses.replace(render, input_etag=etag, content_id=f"etag:{etag}"), None
    return render, None


def local_blender() -> str | None:
    """The version of the installed bpy (e.g. "5.0.1"), read from its package metadata: the
    children's Blender, known without importing bpy (half a second and 250 MB)."""
    from importlib import metadata

    try:
        return metadata.version("bpy")
    except metadata.PackageNotFoundError:
        return None


def local_project(blend: Path, render: plan.RenderPlan, say: Callable[[str], None]):
    """The .blend and its outside files on this machine, hashed, with their manifest (no AWS)."""
    from submitter import cas
    from submitter.depfind import find_dependencies

    # Every file of a numbered series is sent (depfind): no frame range is needed here, and
    # reading the whole .blend again for one would be wasted.
    deps = find_dependencies(blend)
    return cas.prepare(blend, deps, allow_missing=render.allow_missing, say=say)


def upload(project, render: plan.RenderPlan, copy_to: str, say: Callable[[str], None]) -> None:
    """Put the project in the store of the pinned .blend's bucket; the .blend also at -i."""
    from submitter import aws, cas

    bucket, _ = aws.split_s3_uri(render.input_uri)
    cas.upload(project, bucket, copy_to=copy_to, say=say)


def find(job_id: str) -> tuple[dict, dict | None]:
    """(render job, stitch job or None) of the pipeline that `job_id` belongs to."""
    render, stitch, _ = find_recorded(job_id)
    return render, stitch


def find_recorded(job_id: str) -> tuple[dict, dict | None, bool]:
    """(render job, stitch job or None, whether a video was asked for: False for a
    `--no-video` pipeline, whose job record says so)."""
    from submitter import aws, batch

    job = batch.describe([job_id]).get(job_id)
    if job is None:
        raise BadInput(f"no job {job_id} in AWS Batch: pass the id `blendbatch submit` printed")
    render_id = records.render_id_of(job)
    if render_id != job_id:
        render = batch.describe([render_id]).get(render_id)
        if render is None:
            raise BadInput(f"job {job_id} depends on {render_id}, which Batch no longer knows")
        return render, job, True
    root = records.command_option(job, "-o")
    saved = aws.get_json(records.record_uri(root, job_id)) if root else None
    stitch = None
    if saved and saved.get("stitchJobId"):
        stitch = batch.describe([saved["stitchJobId"]]).get(saved["stitchJobId"])
    return job, stitch, records.wants_video(saved)


def report(job_id: str) -> progress.Report:
    return Watcher(job_id).report()


class Watcher:
    """Reports on one pipeline, again and again: the jobs are described afresh each time, a
    slice manifest is fetched again only when its ETag changed."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.began = time.monotonic()
        self.frames_at_start: int | None = None
        self.manifests: dict[str, tuple[str, dict]] = {}  # key -> (etag, manifest)
        self.image: str | None = None  # of the render's definition, looked up once

    def report(self) -> progress.Report:
        from submitter import aws, batch

        render, stitch, video = find_recorded(self.job_id)
        if not records.image_of(render) and render.get("jobDefinition"):
            # DescribeJobs names the image a job ran; an emulator may not, its definition does.
            if self.image is None:
                self.image = _definition_image(render["jobDefinition"])
            if self.image:
                render.setdefault("container", {})["image"] = self.image
        frames = records.frames_uri(render)
        in_s3 = bool(frames and frames.startswith("s3://"))
        present = aws.count_objects(frames) if in_s3 else None
        if self.frames_at_start is None:
            self.frames_at_start = present
        failed = []
        if render.get("arrayProperties", {}).get("statusSummary", {}).get("FAILED"):
            failed = batch.failed_children(render["jobId"])
        manifests = self._manifests(records.command_option(render, "-o")) if in_s3 else []
        return progress.batch_report(
            render,
            stitch,
            present,
            failed,
            manifests,
            now=time.time(),
            watched=(self.frames_at_start, time.monotonic() - self.began),
            frames_only=not video,
        )

    def _manifests(self, root: str) -> list[dict]:
        from submitter import aws

        listed = aws.list_etags(f"{root.rstrip('/')}/{MANIFESTS_DIR}/")
        bucket, _ = aws.split_s3_uri(root)
        for key, etag in listed.items():
            if self.manifests.get(key, ("",))[0] != etag:
                manifest = aws.get_json(f"s3://{bucket}/{key}")
                if manifest is not None:
                    self.manifests[key] = (etag, manifest)
        return [self.manifests[key][1] for key in sorted(listed) if key in self.manifests]


def _definition_image(definition: str) -> str:
    """The image a job definition names; "" when it cannot be looked up. The image line is
    information: `status` and `watch` go on without it rather than fail."""
    from submitter import batch

    try:
        return batch.definition_image(definition) or ""
    except BlendbatchError:
        return ""
