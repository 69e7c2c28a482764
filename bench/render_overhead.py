"""Render overhead: our `render` from and to the S3 emulator vs a bare bpy loop with no I/O.

    .venv/bin/python bench/render_overhead.py [--rounds 3] [--frames 6] [--samples 24]

A demo scene at 320x180 (examples/make_scene.py) whose frames take about a second or more each
on 2 cores. The variants run interleaved (A B C, A B C, ...), each as a fresh process (import
bpy, open the file, render the same frames with the same settings), timed wall clock; medians
are reported with the load:
  entrypoint  python -m entrypoint render -i s3://... -o s3://... -f N --device cpu
              (moto server on loopback): download, safe open, overrides read back, resume
              listing, render frame by frame while the previous frame uploads, manifest per frame
  bare        a bpy script: open the local .blend, frame_set + render(write_still) per frame
              into a local folder; no download, no upload, no manifest
  workshop    the workshop's flow: download the .blend, render the whole slice, then upload
              every frame
Goal: entrypoint / bare <= 1.02. CPU seconds (the children's, not the S3 emulator's) are
printed too: wall time on a shared 2-core machine swings with other work.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.emulator import use_emulator  # noqa: E402

# The same render loop for `bare` and `workshop`; `workshop` wraps it in S3 transfers.
RENDER_LOOP = textwrap.dedent(
    """
    import sys, bpy
    from pathlib import Path
    blend, folder, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    bpy.ops.wm.open_mainfile(filepath=blend, load_ui=False, use_scripts=False)
    scene = bpy.context.scene
    scene.cycles.device = "CPU"
    scene.render.image_settings.media_type = "IMAGE"
    scene.render.image_settings.file_format = "PNG"
    for frame in range(first, last + 1):
        scene.frame_set(frame)
        scene.render.filepath = str(Path(folder) / f"{frame:04d}.png")
        bpy.ops.render.render(write_still=True)
    """
)

WORKSHOP = textwrap.dedent(
    """
    import subprocess, sys, tempfile
    from pathlib import Path
    import boto3
    bucket, key, prefix, first, last, loop = sys.argv[1:7]
    s3 = boto3.client("s3")
    with tempfile.TemporaryDirectory() as tmp:
        blend = Path(tmp) / "scene.blend"
        s3.download_file(bucket, key, str(blend))
        frames = Path(tmp) / "frames"
        frames.mkdir()
        subprocess.run([sys.executable, "-c", loop, str(blend), str(frames), first, last],
                       check=True, capture_output=True)
        for path in sorted(frames.iterdir()):
            s3.upload_file(str(path), bucket, f"{prefix}/frames/{path.name}")
    """
)


def timed(argv: list[str], **env: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children: less sensitive to load)."""
    began, usage = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        argv, capture_output=True, text=True, cwd=ROOT, env=os.environ | env, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{argv[:4]} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return time.monotonic() - began, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--samples", type=int, default=24)
    args = parser.parse_args()
    use_emulator()
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="bench")
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        blend = Path(tmp) / "scene.blend"
        subprocess.run(
            [sys.executable, str(ROOT / "examples" / "make_scene.py"), "--out", str(blend),
             "--end", str(args.frames), "--samples", str(args.samples)],
            check=True, capture_output=True,
        )  # fmt: skip
        s3.upload_file(str(blend), "bench", "scene.blend")
        first, last = "1", str(args.frames)
        variants = {
            "entrypoint": lambda n: timed(
                [
                    sys.executable,
                    "-m",
                    "entrypoint",
                    "render",
                    "-i",
                    "s3://bench/scene.blend",
                    "-o",
                    f"s3://bench/entrypoint-{n}",
                    "-f",
                    last,
                    "--device",
                    "cpu",
                ],
                AWS_BATCH_JOB_ARRAY_INDEX="0",
            ),  # fmt: skip
            "bare": lambda n: timed(
                [
                    sys.executable,
                    "-c",
                    RENDER_LOOP,
                    str(blend),
                    _fresh(tmp, f"bare-{n}"),
                    first,
                    last,
                ]
            ),  # fmt: skip
            "workshop": lambda n: timed(
                [
                    sys.executable,
                    "-c",
                    WORKSHOP,
                    "bench",
                    "scene.blend",
                    f"workshop-{n}",
                    first,
                    last,
                    RENDER_LOOP,
                ]
            ),  # fmt: skip
        }
        print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores", flush=True)
        times: dict[str, list[float]] = {name: [] for name in variants}
        cpus: dict[str, list[float]] = {name: [] for name in variants}
        for n in range(args.rounds):
            for name, run in variants.items():
                wall, cpu = run(n)
                times[name].append(wall)
                cpus[name].append(cpu)
                print(f"  round {n + 1} {name:<10} {wall:6.2f} s wall {cpu:6.2f} s CPU", flush=True)
        print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")
        _check_outputs(s3, args.rounds, args.frames)
    bare, bare_cpu = statistics.median(times["bare"]), statistics.median(cpus["bare"])
    print(f"{args.frames} frames of 320x180 at {args.samples} samples, {args.rounds} rounds:")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:<10} median {median:6.2f} s  ({median / args.frames:.2f} s/frame)  "
            f"ratio to bare {median / bare:.3f}; CPU median {statistics.median(cpus[name]):6.2f} s "
            f"ratio {statistics.median(cpus[name]) / bare_cpu:.3f}"
        )


def _fresh(tmp: str, name: str) -> str:
    folder = Path(tmp) / name
    folder.mkdir()
    return str(folder)


def _check_outputs(s3, rounds: int, frames: int) -> None:
    """Every variant that uploads really uploaded every frame."""
    for n in range(rounds):
        for prefix in (f"entrypoint-{n}", f"workshop-{n}"):
            listing = s3.list_objects_v2(Bucket="bench", Prefix=f"{prefix}/frames/")
            assert listing.get("KeyCount", 0) == frames, (prefix, listing.get("KeyCount"))


if __name__ == "__main__":
    main()
