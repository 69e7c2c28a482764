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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from entrypoint import encode_plan, video
from entrypoint.errors import BadInput
from entrypoint.framecheck import check_extension
from entrypoint.layout import (
    FRAMES_DIR,
    MANIFESTS_DIR,
    PROXIES_DIR,
    check_output_names,
    manifest_index,
)
from entrypoint.manifest import (
    SceneRecord,
    check_one_render,
    read_manifest,
    scene_record,
    unreadable,
)
from entrypoint.settings import StitchSettings
from entrypoint.stitch.encode import (
    Fed,
    check_stop,
    encode_frames,
    make_previews,
)
from entrypoint.stitch.job import FETCH_THREADS, StitchJob
from entrypoint.stitch.join import join_segments
from entrypoint.stitch.report import write_report
from entrypoint.storage import Location, parse_location

log = logging.getLogger(__name__)


def run_stitch(settings: StitchSettings) -> None:
    stop = threading.Event()
    # Python as PID 1 ignores SIGTERM without a handler. Raising from the handler could land
    # inside logging (which swallows it), so it only sets a flag checked between steps.
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        _stitch(settings, stop)
    finally:
        signal.signal(signal.SIGTERM, previous)


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
        job = StitchJob(source, record, folder, codec, settings, out, stop)
        joined = join_segments(job, manifests)
        if isinstance(joined, str):
            made = f"every frame encoded: {joined}"
            fed, poster, sheet = encode_frames(job)
        else:
            made = f"joined from {joined.segments} segments by stream copy"
            (width, height) = joined.size
            fed = Fed(width=width, height=height, kept=joined.kept)
            poster, sheet = make_previews(fed, record, work, name)
        check_stop(stop)
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
    write_report(
        dest, manifests, settings, codec.name, name, fed.problems, (fed.width, fed.height), made
    )


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
