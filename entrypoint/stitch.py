"""`stitch`: after every render child, the frames become one video in the output.

It knows what to expect from the render manifests (frame list, exact rate) and refuses to
deliver a video that does not hold exactly those frames.
"""

from __future__ import annotations

import json
import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from entrypoint import video
from entrypoint.errors import BadInput
from entrypoint.frames import format_ranges, frame_name
from entrypoint.layout import FRAMES_DIR, MANIFESTS_DIR, VIDEO_NAME
from entrypoint.manifest import SceneRecord, scene_record
from entrypoint.settings import StitchSettings
from entrypoint.storage import Location, parse_location

log = logging.getLogger(__name__)

FETCH_THREADS = 16


def run_stitch(settings: StitchSettings) -> None:
    source = parse_location(settings.input_uri)
    dest = parse_location(settings.output_uri)
    record = scene_record(_read_manifests(source))
    names = [frame_name(f, record.extension) for f in record.frames]
    _check_frames_present(source, record, names)
    with tempfile.TemporaryDirectory(prefix="blendbatch-stitch-") as tmp:
        sequence = Path(tmp) / "sequence"
        sequence.mkdir()
        # ffmpeg stops at the first gap in a numbered sequence (steps, missing numbers):
        # give it 000000.png, 000001.png, ... in frame order instead.
        local = [sequence / f"{i:06d}.{record.extension}" for i in range(len(names))]
        with ThreadPoolExecutor(FETCH_THREADS) as pool:
            list(pool.map(lambda n, p: source.get_file(f"{FRAMES_DIR}/{n}", p), names, local))
        out = Path(tmp) / VIDEO_NAME
        video.encode_h264(sequence / f"%06d.{record.extension}", 0, record.rate, out)
        facts = video.probe(out)
        if facts.frames != len(names) or facts.rate != record.rate:
            raise BadInput(
                f"the encoded video has {facts.frames} frames at {facts.rate} fps but "
                f"{len(names)} at {record.rate} were expected: a frame is probably unreadable; "
                "re-render the slices and stitch again"
            )
        dest.put_file(out, VIDEO_NAME)
    log.info(
        "video: %s (%d frames, %s fps, %dx%d)",
        dest.child_uri(VIDEO_NAME),
        facts.frames,
        record.rate,
        facts.width,
        facts.height,
    )


def _read_manifests(source: Location) -> list[dict]:
    names = sorted(n for n in source.list_dir(MANIFESTS_DIR) if n.endswith(".json"))
    if not names:
        raise BadInput(
            f"no render manifest in {source.child_uri(MANIFESTS_DIR)}: run the render job "
            "into this output first, or check -i"
        )
    return [json.loads(source.get_bytes(f"{MANIFESTS_DIR}/{n}")) for n in names]


def _check_frames_present(source: Location, record: SceneRecord, names: list[str]) -> None:
    present = source.list_dir(FRAMES_DIR)
    missing = [f for f, n in zip(record.frames, names, strict=True) if n not in present]
    empty = [f for f, n in zip(record.frames, names, strict=True) if present.get(n) == 0]
    problems = []
    if missing:
        problems.append(f"missing {format_ranges(missing)}")
    if empty:
        problems.append(f"0-byte {format_ranges(empty)}")
    if problems:
        raise BadInput(
            f"frames of {source.child_uri(FRAMES_DIR)} are not all there "
            f"({'; '.join(problems)}): re-run the render children that own them"
        )
