"""Past pipelines under an output location, and their results fetched to this machine.

S3 reads and Batch's DescribeJobs only; nothing here writes to AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from entrypoint.errors import BadInput
from entrypoint.layout import FRAMES_DIR, JOBS_DIR, PROXIES_DIR
from submitter import records

THREADS = 8


def recent(location: str, limit: int) -> list[dict]:
    """The `limit` newest pipelines recorded under `location` (`s3://B/renders`: every
    `<name>/jobs/` below it, and its own), newest first, with their Batch states."""
    from submitter import aws, batch

    folders, _ = aws.list_folder(location)
    roots = [location.rstrip("/")] + [f"{location.rstrip('/')}/{name}" for name in folders]
    with ThreadPoolExecutor(THREADS) as pool:
        listed = list(pool.map(lambda root: aws.list_folder(f"{root}/{JOBS_DIR}")[1], roots))
    found = [
        (entry["LastModified"], f"{root}/{JOBS_DIR}/{entry['Name']}")
        for root, entries in zip(roots, listed, strict=True)
        for entry in entries
        if entry["Name"].endswith(".json")
    ]
    newest = sorted(found, reverse=True)[:limit]
    with ThreadPoolExecutor(THREADS) as pool:
        saved = list(pool.map(lambda item: aws.get_json(item[1]), newest))
    kept = [(when, record) for (when, _), record in zip(newest, saved, strict=True) if record]
    ids = [r[key] for _, r in kept for key in ("renderJobId", "stitchJobId") if r.get(key)]
    statuses = {job_id: job["status"] for job_id, job in batch.describe(ids).items()}
    return [records.pipeline_row(record, when, statuses) for when, record in kept]


def output_of(job_id: str) -> tuple[str, dict | None, bool]:
    """(the pipeline's output, its stitch job or None, whether it makes a video) from either
    job id."""
    from submitter import pipeline

    render, stitch, video = pipeline.find_recorded(job_id)
    root = records.command_option(render, "-o")
    if not root:
        raise BadInput(
            f"job {job_id} names no output (-o): pass the output instead, s3://BUCKET/PREFIX/NAME"
        )
    return root.rstrip("/"), stitch, video


def makes_video(root: str) -> bool:
    """Whether the newest job record of an output asks for a video (`--no-video` does not);
    an output without records is taken to make one."""
    from submitter import aws

    _, entries = aws.list_folder(f"{root}/{JOBS_DIR}")
    named = sorted((e["LastModified"], e["Name"]) for e in entries if e["Name"].endswith(".json"))
    if not named:
        return True
    return records.wants_video(aws.get_json(f"{root}/{JOBS_DIR}/{named[-1][1]}"))


def fetch(root: str, into: Path, *, with_frames: bool, say: Callable[[str], None]) -> list[str]:
    """Download the results at the top of `root` (and its frames) into `into`; the names
    of the videos found. A file already here at the same size is kept (safe to repeat)."""
    from submitter import aws

    _, files = aws.list_folder(root)
    wanted = set(records.results([f["Name"] for f in files]))
    jobs = [
        (f"{root}/{f['Name']}", into / f["Name"], f["Size"]) for f in files if f["Name"] in wanted
    ]
    # The frames are the masters (OpenEXR ones too); their display-referred proxies, when
    # the render made them, come along under proxies/.
    for folder in (FRAMES_DIR, PROXIES_DIR) if with_frames else ():
        _, frames = aws.list_folder(f"{root}/{folder}")
        jobs += [
            (f"{root}/{folder}/{f['Name']}", into / folder / f["Name"], f["Size"]) for f in frames
        ]
    _download_all(jobs, say)
    return records.videos(sorted(wanted))


def _download_all(jobs: list[tuple[str, Path, int]], say: Callable[[str], None]) -> None:
    from submitter import aws

    for folder in {path.parent for _, path, _ in jobs}:
        folder.mkdir(parents=True, exist_ok=True)
    todo = [(uri, path) for uri, path, size in jobs if not _same_size(path, size)]
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda job: aws.download(*job), todo))
    kept = len(jobs) - len(todo)
    say(
        f"downloaded {len(todo)} files"
        + (f" ({kept} already here at the same size)" if kept else "")
    )


def _same_size(path: Path, size: int) -> bool:
    return path.is_file() and path.stat().st_size == size
