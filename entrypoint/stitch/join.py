"""The video from the render children's segments, joined by stream copy: nothing is decoded or
encoded, so the stitch's time no longer grows with the encode of every frame.

Used only when `segments.choose_join` finds a segment for every slice, holding the manifests'
latest frames, encoded as asked; otherwise (or with `--reencode`) the stitch encodes every frame
and the log says why. The joined file is checked by its packets (count, times, duration)
against the manifests; the previews are made from the few frames they show.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from entrypoint import encode_plan, previews, segments, video
from entrypoint.errors import Terminated, TransientFailure
from entrypoint.framecheck import image_size
from entrypoint.frames import frame_name
from entrypoint.layout import SEGMENTS_DIR
from entrypoint.manifest import SceneRecord
from entrypoint.stitch.job import FETCH_THREADS, StitchJob
from entrypoint.storage import Location, get_whole

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Joined:
    """The joined video's previews' frames (index in the frame list -> (frame, bytes)), the
    frames' size, and how many segments it was joined from."""

    kept: dict[int, tuple[int, bytes]]
    size: tuple[int, int]
    segments: int


def join_segments(job: StitchJob, manifests: list[dict]) -> Joined | str:
    """Join the segments into `job.out` and fetch the previews' frames; or why every frame must
    be encoded instead."""
    source, record, folder, codec = job.source, job.record, job.folder, job.codec
    settings, out, stop = job.settings, job.out, job.stop
    if settings.reencode:
        log.info("full encode of every frame: --reencode")
        return "--reencode"
    linked = source.links(SEGMENTS_DIR)
    present = {n: s for n, s in source.list_dir(SEGMENTS_DIR).items() if n not in linked}
    crf = encode_plan.quality_args(codec, settings.crf).get("crf")
    plan = segments.choose_join(manifests, record, codec, crf, present)
    if isinstance(plan, str):
        log.warning("full encode of every frame instead of joining segments: %s", plan)
        return plan
    parts = out.parent / SEGMENTS_DIR
    parts.mkdir()
    locals_ = [parts / key.rpartition("/")[2] for key in plan.keys]
    with ThreadPoolExecutor(1) as side:
        # The previews' few frames come while the segments are fetched and joined.
        shown = side.submit(_preview_frames, source, record, folder)
        problem = _join(source, plan.keys, locals_, present, codec, record, out, stop)
        if problem:
            return problem
        return Joined(*shown.result(), segments=len(plan.keys))


def _join(
    source: Location,
    keys: tuple[str, ...],
    locals_: list[Path],
    present: dict[str, int],
    codec: encode_plan.Codec,
    record: SceneRecord,
    out: Path,
    stop: threading.Event,
) -> str | None:
    """Fetch the segments, join them into `out` and check it; what is wrong with it, if any."""
    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        list(pool.map(lambda kl: _fetch(source, *kl, present), zip(keys, locals_, strict=True)))
    if stop.is_set():
        raise Terminated("SIGTERM: stitch stopped before delivering anything; retry the job")
    listing = out.parent / "segments.txt"
    listing.write_text(segments.concat_list([str(p) for p in locals_]))
    try:
        video.join(encode_plan.join_command(video.ffmpeg_exe(), str(listing), codec, str(out)))
        problem = _check(out, record)
    except TransientFailure as error:
        problem = str(error)
    if problem:
        log.warning("full encode of every frame: the joined segments are wrong (%s)", problem)
        return f"the joined segments are wrong ({problem})"
    log.info(
        "joined %d segments by stream copy (no frame encoded): %d frames at %s fps",
        len(keys),
        len(record.frames),
        record.rate,
    )
    return None


def _fetch(source: Location, key: str, local: Path, present: dict[str, int]) -> None:
    get_whole(source, key, local, present[key.rpartition("/")[2]])


def _check(out: Path, record: SceneRecord) -> str | None:
    """The joined video's packets, read without decoding, against the manifests."""
    packets, first_key = video.packets(out)
    problem = encode_plan.video_problem(packets, len(record.frames), record.rate)
    if problem is None and not first_key:
        problem = "it does not start on a keyframe"
    if problem is None:
        log.info(
            "verified by its packets: %d frames, %s s, %dx%d",
            packets.frames,
            packets.seconds,
            packets.width,
            packets.height,
        )
    return problem


def _preview_frames(
    source: Location, record: SceneRecord, folder: str
) -> tuple[dict[int, tuple[int, bytes]], tuple[int, int]]:
    count = len(record.frames)
    picks = sorted(set(previews.sheet_picks(count)) | {previews.poster_index(count)})

    def fetch(index: int) -> tuple[int, tuple[int, bytes]]:
        frame = record.frames[index]
        return index, (frame, source.get_bytes(f"{folder}/{frame_name(frame, record.extension)}"))

    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        kept = dict(pool.map(fetch, picks))
    return kept, image_size(next(iter(kept.values()))[1], record.extension)
