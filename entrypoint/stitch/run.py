"""`stitch`: after every render child, the frames become one video in the output.

It knows what to expect from the render manifests (frame list, exact rate), checks every
frame file itself, verifies the encoded result by decoding it, and only then puts the video
(and its previews) in the output. It never delivers a video that does not hold exactly the
expected frames: bad input is refused before anything is written.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from entrypoint import encode_plan, previews, video
from entrypoint.errors import BadInput, Terminated, TransientFailure
from entrypoint.framecheck import FrameProblems, Unreadable, check_extension, image_size
from entrypoint.frames import parse_frame_name
from entrypoint.layout import (
    FRAMES_DIR,
    MANIFESTS_DIR,
    PROXIES_DIR,
    check_output_names,
    manifest_index,
    preview_names,
)
from entrypoint.manifest import (
    SceneRecord,
    check_one_render,
    read_manifest,
    scene_record,
    unreadable,
)
from entrypoint.settings import StitchSettings
from entrypoint.stitch.join import join_segments
from entrypoint.stitch.report import write_report
from entrypoint.storage import Location, parse_location

log = logging.getLogger(__name__)

FETCH_THREADS = 8
# Frames held ahead of the encoder: bounds memory (a 4K 16-bit PNG is 30-50 MB).
FETCH_AHEAD = 24


def run_stitch(settings: StitchSettings) -> None:
    stop = threading.Event()
    # Python as PID 1 ignores SIGTERM without a handler. Raising from the handler could land
    # inside logging (which swallows it), so it only sets a flag checked between steps.
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        _stitch(settings, stop)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_stop(stop: threading.Event) -> None:
    if stop.is_set():
        raise Terminated("SIGTERM: stitch stopped before delivering anything; retry the job")


def _stitch(settings: StitchSettings, stop: threading.Event) -> None:
    source = parse_location(settings.input_uri)
    dest = parse_location(settings.output_uri)
    codec = encode_plan.pick_codec(settings.codec)
    name = encode_plan.output_name(settings.name, codec)
    check_output_names(dest.uri, name)
    encode_plan.quality_args(codec, settings.crf)
    manifests = _read_manifests(source)
    record = scene_record(manifests)
    encode_plan.check_rate(codec, record.rate, record.fps, record.fps_base)
    check_one_render(manifests, record.frames)
    folder, record = _pictures(manifests, record)
    video.require_encoder(codec.encoder, codec.name)
    with tempfile.TemporaryDirectory(prefix="blendbatch-stitch-") as tmp:
        work = Path(tmp)
        out = work / name
        joined = join_segments(source, manifests, record, folder, codec, settings, out, stop)
        if joined is None:
            fed, poster, sheet = _encode(source, record, folder, codec, settings, out, stop)
        else:
            kept, (width, height) = joined
            fed = Fed(width=width, height=height, kept=kept)
            poster, sheet = _make_previews(fed, record, work, name)
        _check_stop(stop)
        # The video goes last: whoever sees it can rely on the previews being there too.
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda p: dest.put_file(p, p.name), (poster, sheet)))
        dest.put_file(out, name)
    log.info(
        "video: %s (%d frames, %s fps, %dx%d, %s); previews: %s, %s",
        dest.child_uri(name),
        len(record.frames),
        record.rate,
        fed.width + fed.width % 2,
        fed.height + fed.height % 2,
        codec.name,
        dest.child_uri(poster.name),
        dest.child_uri(sheet.name),
    )
    write_report(dest, manifests, settings, codec.name, name, fed.problems, (fed.width, fed.height))


def _encode(
    source: Location,
    record: SceneRecord,
    folder: str,
    codec: encode_plan.Codec,
    settings: StitchSettings,
    out: Path,
    stop: threading.Event,
) -> tuple[Fed, Path, Path]:
    """Every frame fetched, checked and encoded; the result decoded and verified."""
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
        made = side.submit(_make_previews, fed, record, work, name)
        encoder.finish()
        _check_stop(stop)
        _verify(video.probe(out), len(record.frames), record)
        poster, sheet = made.result()
    return fed, poster, sheet


def _read_manifests(source: Location) -> list[dict]:
    names = sorted(n for n in source.list_dir(MANIFESTS_DIR) if n.endswith(".json"))
    if not names:
        raise BadInput(
            f"no render manifest in {source.child_uri(MANIFESTS_DIR)}: run the render job "
            "into this output first, or check -i"
        )
    linked = source.links(MANIFESTS_DIR)
    for name in names:
        if name in linked:
            rel = f"{MANIFESTS_DIR}/{name}"
            raise unreadable(source.child_uri(rel), manifest_index(name), "a symbolic link")

    def read(name: str) -> dict:
        rel = f"{MANIFESTS_DIR}/{name}"
        return read_manifest(source.get_bytes(rel), source.child_uri(rel), manifest_index(name))

    # One manifest per child: hundreds of small GETs, each mostly waiting on the network.
    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        return list(pool.map(read, names))


def _pictures(manifests: list[dict], record: SceneRecord) -> tuple[str, SceneRecord]:
    """Where the video's pictures are: the frames, or for OpenEXR frames (scene-linear) their
    display-referred PNG proxies, when every manifest says its child made them."""
    kinds = {m.get("proxies") for m in manifests}
    if record.extension == "exr" and len(kinds) == 1 and None not in kinds:
        log.info("the frames are OpenEXR: the video is made from their proxies (%s/)", PROXIES_DIR)
        return PROXIES_DIR, dataclasses.replace(record, extension=kinds.pop())
    refusal = check_extension(record.extension)
    if refusal:
        raise BadInput(refusal)
    return FRAMES_DIR, record


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
        _check_stop(stop)
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


def _make_previews(fed: Fed, record: SceneRecord, work: Path, video_name: str) -> tuple[Path, Path]:
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
