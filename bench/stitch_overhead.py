"""Stitch overhead: our `stitch` reading frames from the S3 emulator vs bare ffmpeg encoding the
same frames from local files with the same encode flags (240 frames of 640x360, 24 fps).

    .venv/bin/python bench/stitch_overhead.py [--rounds 5]

The variants run interleaved (A B C D, A B C D, ...) and medians are reported with the load:
  stitch-s3     python -m entrypoint stitch -i s3://... -o s3://...  (moto server on loopback):
                listing, manifests, fetch + check every frame, encode, decode to verify,
                previews, uploads
  stitch-local  the same from and to a local folder
  ffmpeg-same   ffmpeg -framerate 24 -i %04d.png <the same encode flags> out.mp4
  ffmpeg-anchor the workshop's bare `ffmpeg -i %04d.png output.mp4` (25 fps, 4:4:4: not a
                deliverable, only an anchor)
Goal: stitch-s3 / ffmpeg-same <= 1.05 in wall time. CPU seconds (the command's, plus the
emulator's, which runs in this process) are shown too: on a shared 2-core machine they are
steadier than wall time, and on 2 cores every extra CPU second competes with the encoder.
"""

from __future__ import annotations

import argparse
import os
import resource
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

FRAMES, WIDTH, HEIGHT, FPS = 240, 640, 360, 24


def make_render_output(root: Path) -> None:
    """240 frames with moving content and render-like noise, and one child's manifest."""
    from entrypoint.layout import manifest_key
    from entrypoint.manifest import slice_manifest
    from tests.stitch_kit import noisy_frames

    noisy_frames(root / "frames", FRAMES, (WIDTH, HEIGHT), FPS, noise=12)
    frames = list(range(1, FRAMES + 1))
    manifest = slice_manifest(
        index=0,
        scene={"name": "Scene", "frames": frames, "fps": FPS, "fps_base": 1.0},
        slice_frames=tuple(frames),
        extension="png",
        rendered=[],
        skipped=[],
        settings={},
    )
    (root / manifest_key(0)).parent.mkdir()
    (root / manifest_key(0)).write_bytes(manifest)


def upload(root: Path, bucket: str) -> None:
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    for path in root.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), bucket, f"shot/{path.relative_to(root)}")


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds of the command, CPU seconds of this process (the emulator)."""
    kinds = (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF)
    before = [resource.getrusage(who) for who in kinds]
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - began
    after = [resource.getrusage(who) for who in kinds]
    command_cpu, emulator_cpu = (
        a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime
        for a, b in zip(after, before, strict=True)
    )
    return wall, command_cpu, emulator_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds

    from entrypoint.encode_plan import encode_command, numbered_frames, pick_codec
    from entrypoint.video import ffmpeg_exe, probe

    use_emulator()
    with tempfile.TemporaryDirectory(prefix="bench-stitch-") as tmp:
        work = Path(tmp)
        local = work / "render"
        make_render_output(local)
        upload(local, "bench-stitch")
        ffmpeg = ffmpeg_exe()
        pattern = str(local / "frames" / "%04d.png")
        frames = numbered_frames(pattern, 1, Fraction(FPS))
        same = encode_command(ffmpeg, frames, pick_codec("h264"), None, str(work / "same.mp4"))
        variants = {
            "stitch-s3": [sys.executable, "-m", "entrypoint", "stitch",
                          "-i", "s3://bench-stitch/shot", "-o", "s3://bench-stitch/shot"],
            "stitch-local": [sys.executable, "-m", "entrypoint", "stitch",
                             "-i", str(local), "-o", str(work / "local-out")],
            "ffmpeg-same": same,
            "ffmpeg-anchor": [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
                              "-i", pattern, str(work / "anchor.mp4")],
        }  # fmt: skip
        size = sum(p.stat().st_size for p in (local / "frames").iterdir())
        print(f"{FRAMES} frames {WIDTH}x{HEIGHT} PNG, {size / FRAMES / 1024:.0f} KiB each; "
              f"ffmpeg {ffmpeg}")  # fmt: skip
        print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, command in variants.items():
                runs[name].append(timed(command))
        print(f"load after:  {os.getloadavg()[0]:.2f} (1 min)")

        def median(name: str, column: int) -> float:
            return statistics.median(run[column] for run in runs[name])

        base_wall, base_cpu = median("ffmpeg-same", 0), median("ffmpeg-same", 1)
        print("variant        wall median  ratio   CPU median (+emulator)  ratio  (wall per round)")
        for name in variants:
            wall, cpu, emulator = median(name, 0), median(name, 1), median(name, 2)
            each = " ".join(f"{run[0]:.2f}" for run in runs[name])
            print(f"{name:14s} {wall:8.2f} s  x{wall / base_wall:.3f}  "
                  f"{cpu:7.2f} s (+{emulator:.2f})  x{(cpu + emulator) / base_cpu:.3f}  "
                  f"({each})")  # fmt: skip
        anchor = probe(work / "anchor.mp4")
        print(f"anchor video: {anchor.frames} frames at {anchor.rate} fps (the scene is {FPS})")


if __name__ == "__main__":
    main()
