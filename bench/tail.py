"""The serial tail after the render: `stitch` joining the children's segments vs `stitch
--reencode` (every frame fetched, checked, encoded, decoded) vs a bare ffmpeg encode of the same
frames, N slices of M frames of 640x360 from the S3 emulator (moto server on loopback).

    .venv/bin/python bench/tail.py [--cases 10x24,100x24] [--rounds 3]

Frames are generated with ffmpeg (moving test pattern with noise), not rendered; each slice's
segment is made by the render child's own code (entrypoint/render/segment.py) before the
rounds, and its encode time is reported against a render of about 1 s per frame (the children's
added time). The variants run interleaved (A B C, A B C, ...); medians, ratios side by side,
and /proc/loadavg before and after each case.
Goals (issue 15): join <= 0.2x the full encode at 240 frames, <= 0.05x at 2,400; the children's
added encode time <= 5 % of their render time at ~1 s/frame.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.emulator import use_emulator  # noqa: E402

WIDTH, HEIGHT, FPS = 640, 360, 24
RENDER_SECONDS_PER_FRAME = 1.0


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def make_output(root: Path, slices: int, per_slice: int) -> None:
    """Frames and each child's manifest with checked records, then each slice's segment."""
    from entrypoint.layout import manifest_key
    from entrypoint.manifest import slice_manifest
    from tests.stitch_kit import make_segments, noisy_frames

    count = slices * per_slice
    noisy_frames(root / "frames", count, (WIDTH, HEIGHT), FPS, noise=6)
    frames = list(range(1, count + 1))
    scene = {"name": "Scene", "frames": frames, "fps": FPS, "fps_base": 1.0}
    (root / "manifests").mkdir()
    now = datetime.datetime.now(datetime.UTC).isoformat()
    for index in range(slices):
        mine = frames[index * per_slice : (index + 1) * per_slice]
        rendered = [
            {"frame": f, "fingerprint": "bench", "blender": "5.0.1", "checked": True,
             "bytes": (root / "frames" / f"{f:04d}.png").stat().st_size, "written": now}
            for f in mine
        ]  # fmt: skip
        (root / manifest_key(index)).write_bytes(
            slice_manifest(
                index=index,
                scene=scene,
                slice_frames=tuple(mine),
                extension="png",
                rendered=rendered,
                skipped=[],
                settings={},
                fingerprint="bench",
            )  # fmt: skip
        )
    make_segments(root)


def upload(root: Path, bucket: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import boto3
    from botocore.config import Config

    s3 = boto3.client("s3", config=Config(max_pool_connections=16))
    s3.create_bucket(Bucket=bucket)
    files = [p for p in root.rglob("*") if p.is_file()]
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(lambda p: s3.upload_file(str(p), bucket, f"shot/{p.relative_to(root)}"), files)
        )


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{command[:6]} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - began


def run_case(slices: int, per_slice: int, rounds: int) -> None:
    from entrypoint.encode_plan import encode_command, numbered_frames, pick_codec
    from entrypoint.video import ffmpeg_exe

    count = slices * per_slice
    bucket = f"bench-tail-{slices}x{per_slice}"
    with tempfile.TemporaryDirectory(prefix="bench-tail-") as tmp:
        work = Path(tmp)
        local = work / "render"
        print(f"\n== {slices} slices x {per_slice} frames = {count} frames, {WIDTH}x{HEIGHT} PNG")
        print(f"loadavg before making frames: {loadavg()}")
        make_output(local, slices, per_slice)
        manifests = [json.loads(p.read_text()) for p in sorted((local / "manifests").iterdir())]
        encode = [m["segment"]["seconds"] for m in manifests]
        upload(local, bucket)
        size = sum(p.stat().st_size for p in (local / "frames").iterdir())
        print(f"frames {size / count / 1024:.0f} KiB each; segments made by the children's code")
        source = f"s3://{bucket}/shot"
        entry = [sys.executable, "-m", "entrypoint", "stitch", "-i", source]
        frames = numbered_frames(str(local / "frames" / "%04d.png"), 1, Fraction(FPS))
        variants = {
            "stitch-segments": [*entry, "-o", f"s3://{bucket}/joined"],
            "stitch-reencode": [*entry, "-o", f"s3://{bucket}/full", "--reencode"],
            "ffmpeg-bare": encode_command(
                ffmpeg_exe(), frames, pick_codec("h264"), None, str(work / "bare.mp4")
            ),
        }
        print(f"loadavg before rounds: {loadavg()}")
        runs: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, command in variants.items():
                runs[name].append(timed(command))
        print(f"loadavg after rounds:  {loadavg()}")
        full, bare = (statistics.median(runs[n]) for n in ("stitch-reencode", "ffmpeg-bare"))
        print("variant          wall median   vs reencode   vs bare ffmpeg   (each round)")
        for name, walls in runs.items():
            wall = statistics.median(walls)
            each = " ".join(f"{w:.2f}" for w in walls)
            print(f"{name:16s} {wall:8.2f} s   x{wall / full:7.3f}     x{wall / bare:7.3f}"
                  f"        ({each})")  # fmt: skip
        per_child = statistics.median(encode)
        render = per_slice * RENDER_SECONDS_PER_FRAME
        print(f"children: segment encode median {per_child:.3f} s per slice of {per_slice} "
              f"(min {min(encode):.3f}, max {max(encode):.3f}) = {per_child / render:.1%} of a "
              f"{render:.0f} s render at {RENDER_SECONDS_PER_FRAME:.0f} s/frame")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="10x24,100x24", help="SLICESxFRAMES, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    use_emulator()
    for case in options.cases.split(","):
        slices, per_slice = (int(n) for n in case.lower().split("x"))
        run_case(slices, per_slice, options.rounds)


if __name__ == "__main__":
    main()
