"""The full encode, the stitch's fallback beside `join.py`: every frame fetched, checked and
piped to ffmpeg, the result decoded and verified.

Used when the children's segments cannot be joined (or with `--reencode`). It also holds what
both ways to the video hand on: `Fed` (the frames' size and problems, the few frames the
previews show), `make_previews`, and the stop check between steps.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from entrypoint import encode_plan, previews, video
from entrypoint.errors import BadInput, Terminated, TransientFailure
from entrypoint.framecheck import FrameProblems, Unreadable, image_size
from entrypoint.frames import parse_frame_name
from entrypoint.layout import FRAMES_DIR, preview_names
from entrypoint.manifest import SceneRecord
from entrypoint.stitch.job import FETCH_THREADS, StitchJob
from entrypoint.storage import Location

log = logging.getLogger(__name__)

# Frames held ahead of the encoder: bounds memory (a 4K 16-bit PNG is 30-50 MB).
FETCH_AHEAD = 24


def check_stop(stop: threading.Event) -> None:
    if stop.is_set():
        raise Terminated("SIGTERM: stitch stopped before delivering anything; retry the job")


def encode_frames(job: StitchJob) -> tuple[Fed, Path, Path]:
    """Every frame fetched, checked and encoded; the result decoded and verified."""
    source, record, folder, codec = job.source, job.record, job.folder, job.codec
    settings, out, stop = job.settings, job.out, job.stop
    names, known = _locate_frames(source, record, folder)
    # With frames already known to be missing, only check the rest (for a complete report).
    check_only = bool(known) and not settings.allow_gaps
    work, name = out.parent, out.name
    frames = encode_plan.piped_frames(record.extension, record.rate)
    command = encode_plan.encode_command(video.ffmpeg_exe(), frames, codec, settings.crf, str(out))
    encoder = None if check_only else video.Encoder(command)
    try:
        fed = _feed(source, record, folder, names, known, encoder, settings.allow_gaps, stop)
    except BaseException:
        if encoder:
            encoder.abort()
        raise
    if encoder is None or (fed.problems and not settings.allow_gaps):
        raise _refusal(source, fed.problems, folder)
    if fed.problems:
        log.warning(
            "--allow-gaps: frames %s are NOT in the video; the frame before each "
            "(or the first good one) is held in their place",
            fed.problems.describe(),
        )
    with ThreadPoolExecutor(1) as side:
        made = side.submit(make_previews, fed, record, work, name)
        encoder.finish()
        check_stop(stop)
        _verify(video.probe(out), len(record.frames), record)
        poster, sheet = made.result()
    return fed, poster, sheet


def _locate_frames(
    source: Location, record: SceneRecord, folder: str = FRAMES_DIR
) -> tuple[dict[int, tuple[str, int]], FrameProblems]:
    """Frame number -> (file name, size) from one listing (any padding); missing, 0-byte and
    linked (a link in the output shows a file from elsewhere: never read)."""
    found: dict[int, tuple[str, int]] = {}
    for file_name, size in sorted(source.list_dir(folder).items()):
        number = parse_frame_name(file_name)
        if number is not None and file_name.endswith("." + record.extension):
            found.setdefault(number, (file_name, size))
    linked = source.links(folder)
    missing = tuple(f for f in record.frames if f not in found)
    bad = {f: "0-byte" for f in record.frames if found.get(f, ("", 1))[1] == 0}
    bad |= {f: "a symbolic link" for f in record.frames if f in found and found[f][0] in linked}
    names = {f: found[f] for f in record.frames if f in found and f not in bad}
    return names, FrameProblems(missing, tuple(sorted(bad.items())))


def _refusal(source: Location, problems: FrameProblems, folder: str) -> BadInput:
    return BadInput(
        f"not making a video: frames of {source.child_uri(folder)} are not all usable "
        f"({problems.describe()}). Re-run the render children that own them (a retried "
        "child re-renders what is missing), delete unreadable ones first, or pass "
        "--allow-gaps to hold the previous frame in their place"
    )


@dataclass
class Fed:
    """What went into the encoder: bad frames, the frame size, the bytes previews need."""

    problems: FrameProblems = FrameProblems()
    width: int = 0
    height: int = 0
    kept: dict[int, tuple[int, bytes]] = field(default_factory=dict)


def _feed(
    source: Location,
    record: SceneRecord,
    folder: str,
    names: dict[int, tuple[str, int]],
    known: FrameProblems,
    encoder: video.Encoder | None,
    allow_gaps: bool,
    stop: threading.Event,
) -> Fed:
    """Fetch frames concurrently, check each, write them to the encoder in frame order.

    With a bad frame the encode is aborted but the checking goes on, so the refusal lists
    every bad frame at once. With `allow_gaps`, bad frames repeat the last good one.
    """
    fed, bad = Fed(), dict(known.unreadable)
    bad.update((f, "missing") for f in known.missing)
    keep = set(previews.sheet_picks(len(record.frames))) | {
        previews.poster_index(len(record.frames))
    }
    last: tuple[int, bytes] | None = None
    held = 0  # bad frames before the first good one, written once it arrives
    aborted = encoder is None
    for i, (frame, data) in enumerate(_fetch_in_order(source, folder, record.frames, names)):
        check_stop(stop)
        if frame not in bad:
            try:
                size = image_size(data, record.extension)
                if fed.width and size != (fed.width, fed.height):
                    raise Unreadable(f"wrong size ({size[0]}x{size[1]}, not the first's)")
                fed.width, fed.height = size
                last = (frame, data)
            except Unreadable as error:
                bad[frame] = str(error)
        if frame in bad and not allow_gaps:
            if not aborted and encoder:
                encoder.abort()
                aborted = True
            continue
        if aborted:
            continue
        if last is None:
            held += 1
            continue
        for j in range(i - held, i + 1):  # bad frames before the first good one show it
            encoder.write(last[1])
            if j in keep:
                fed.kept[j] = last
        held = 0
    if last is None:
        raise BadInput(f"no usable frame at all in {source.child_uri(folder)}: render first")
    fed.problems = FrameProblems(
        tuple(f for f in known.missing),
        tuple((f, why) for f, why in sorted(bad.items()) if why != "missing"),
    )
    return fed


def _fetch_in_order(
    source: Location, folder: str, frames: tuple[int, ...], names: dict[int, tuple[str, int]]
) -> Iterator[tuple[int, bytes]]:
    """(frame, bytes) in frame order; at most FETCH_AHEAD fetched ahead, FETCH_THREADS at once."""

    def fetch(frame: int) -> bytes:
        if frame not in names:
            return b""
        name, size = names[frame]
        data = source.get_bytes(f"{folder}/{name}")
        if len(data) != size:  # the object changed or the connection dropped mid-body
            raise TransientFailure(
                f"read {len(data)} of {size} bytes of {source.child_uri(folder)}/{name}: "
                "retry the job"
            )
        return data

    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        pending: deque[tuple[int, Future]] = deque()
        upcoming = iter(frames)
        for frame in upcoming:
            pending.append((frame, pool.submit(fetch, frame)))
            if len(pending) >= FETCH_AHEAD:
                break
        try:
            while pending:
                frame, future = pending.popleft()
                data = future.result()
                for nxt in upcoming:
                    pending.append((nxt, pool.submit(fetch, nxt)))
                    break
                yield frame, data
        finally:
            for _, future in pending:
                future.cancel()


def make_previews(fed: Fed, record: SceneRecord, work: Path, video_name: str) -> tuple[Path, Path]:
    ext = record.extension
    poster_name, sheet_name = preview_names(video_name)
    poster_frame = work / f"poster.{ext}"
    poster_frame.write_bytes(fed.kept[previews.poster_index(len(record.frames))][1])
    video.make_picture(
        previews.poster_command(video.ffmpeg_exe(), str(poster_frame), str(work / poster_name))
    )
    plan = previews.sheet_plan(record.frames, fed.width, fed.height)
    tiles = work / "sheet"
    tiles.mkdir()
    shown = []
    for n, index in enumerate(plan.picks):
        frame, data = fed.kept[index]
        (tiles / f"{n:03d}.{ext}").write_bytes(data)
        shown.append(frame)
    # Label each tile with the frame it really shows (a held frame shows an earlier one).
    plan = previews.SheetPlan(**{**plan.__dict__, "labels": tuple(shown)})
    pattern, sheet = str(tiles / f"%03d.{ext}"), str(work / sheet_name)
    video.make_picture(previews.sheet_command(video.ffmpeg_exe(), plan, pattern, sheet))
    return work / poster_name, work / sheet_name


def _verify(decoded: encode_plan.DecodedVideo, frames: int, record: SceneRecord) -> None:
    problem = encode_plan.video_problem(decoded, frames, record.rate)
    if problem:
        raise TransientFailure(
            f"the encoded video is wrong ({problem}; expected {frames} frames at "
            f"{record.rate} fps) although every frame file checked out: nothing was "
            "delivered; retry the job, and report it if it happens again"
        )
    log.info(
        "verified by decoding: %d frames at %s fps (%s s), %dx%d",
        decoded.frames,
        record.rate,
        decoded.seconds,
        decoded.width,
        decoded.height,
    )
