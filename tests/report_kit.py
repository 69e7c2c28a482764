"""A rendered output as the children leave it, with everything a report shows: timings, a Spot
reclaim, a failed attempt, two Blender versions, a missing outside file, an unbaked simulation,
File Output nodes, and a hostile scene name from the user's file."""

from __future__ import annotations

import json

from entrypoint.frames import frame_name
from entrypoint.layout import manifest_key
from entrypoint.manifest import slice_manifest
from tests.stitch_kit import gray_of, png_bytes

EVIL = "<script>alert(1)</script>"
FRAMES = list(range(1, 13))  # 3 children of 4 frames
START = "2026-01-02T10:00:{:02d}+00:00"


def _frame(frame, seconds, attempt, second, blender="5.0.1", host="ip-10-0-0-1"):
    return {
        "frame": frame,
        "seconds": seconds,
        "bytes": 100,
        "attempt": attempt,
        "host": host,
        "fingerprint": "f" * 32,
        "blender": blender,
        "checked": True,
        "written": f"2026-01-02T10:00:{second:02d}.000000+00:00",
        "peak_rss_bytes": (300 + frame) << 20,
    }


def _run(attempt, started, finished, outcome, rendered, **extra):
    return {
        "attempt": attempt,
        "host": f"ip-10-0-0-{attempt}",
        "started": START.format(started),
        "outcome": outcome,
        "rendered": rendered,
        "skipped": [],
        "settings": {"engine": "CYCLES", "samples": 4, "blender": "5.0.1"},
        **({"finished": START.format(finished)} if finished is not None else {}),
        "remapped": [],
        "missing": [],
        "file_outputs": [],
        "osl": [],
        "unbaked": [],
        **extra,
    }


def manifests(scene_name: str = EVIL) -> list[dict]:
    """Child 0: clean. Child 1: reclaimed after 2 frames, attempt 2 renders the other 2.
    Child 2: attempt 1 renders frame 9 with Blender 4.5.0 and fails; attempt 2 renders all 4
    with Blender 5.0.0 and records a missing texture, an unbaked simulation and a File Output
    node."""
    scene = {"name": scene_name, "frames": FRAMES, "fps": 24, "fps_base": 1.0}
    settings = {"engine": "CYCLES", "samples": 4, "blender": "5.0.1", "scene": scene_name}
    children = [
        (
            [_frame(f, 1.0 + i, 1, 2 + 2 * i) for i, f in enumerate([1, 2, 3, 4])],
            [_run(1, 0, 10, "complete", [1, 2, 3, 4])],
        ),
        (
            [_frame(5, 2.0, 1, 3), _frame(6, 2.5, 1, 6)]
            + [_frame(7, 3.0, 2, 20), _frame(8, 3.5, 2, 24)],
            [
                _run(1, 0, 7, "terminated", [5, 6]),
                _run(2, 15, 25, "complete", [7, 8]),
            ],
        ),
        (
            [_frame(9, 0.7, 1, 3, blender="4.5.0")]
            + [_frame(f, 0.5, 2, 30 + i, blender="5.0.0") for i, f in enumerate([9, 10, 11, 12])],
            [
                _run(1, 1, 5, "failed: Blender crashed", [9]),
                _run(
                    2,
                    28,
                    40,
                    "complete",
                    [9, 10, 11, 12],
                    missing=[
                        {"kind": "image", "name": "<b>wood</b>", "path": "/x/wood.png",
                         "layout": None}
                    ],
                    unbaked=["Sim <i>smoke</i>"],
                    file_outputs=[{"tree": "Compositing", "node": "File Output", "directory": ""}],
                ),
            ],
        ),
    ]  # fmt: skip
    made = []
    for index, (rendered, runs) in enumerate(children):
        data = slice_manifest(
            index=index,
            scene=scene,
            slice_frames=tuple(FRAMES[index * 4 : index * 4 + 4]),
            extension="png",
            rendered=rendered,
            skipped=[],
            settings=settings,
            runs=runs,
            fingerprint="f" * 32,
            content_id="sha256:" + "0" * 64,
        )
        made.append(json.loads(data))
    return made


def output_files(scene_name: str = EVIL) -> dict[str, bytes]:
    """Relative key -> bytes: 12 tiny frames and the 3 manifests above."""
    files = {
        f"frames/{frame_name(f, 'png')}": png_bytes(64, 36, gray_of(i))
        for i, f in enumerate(FRAMES)
    }
    for m in manifests(scene_name):
        files[manifest_key(m["index"])] = json.dumps(m).encode()
    return files
