"""Render overhead: our render child from and to the S3 emulator vs a bare bpy render loop.

    .venv/bin/python bench/render_overhead.py [--rounds 3] [--frames 8,24] [--percent 50]

Two scenes: the demo (examples/demo.blend, 320x180, 16 samples) and a heavy-sync one
(bench/heavy_scene.py: the demo plus 24 static subdivided rocks, made in a temporary folder),
both rendered at `--percent` of their size. For each scene and frame count the variants run
interleaved (A B C, A B C, ...), each a fresh process timed wall clock from spawn to exit:
  bare      a bpy script: open the local .blend, frame_set + render(write_still) per frame into
            a local folder, persistent data off; no download, no upload, no manifest
  child     python -m entrypoint render -i s3://... -o s3://... -f N --device cpu
            --no-persistent-data (moto on loopback): download, checks, overrides read back,
            resume listing, upload behind, manifest per frame
  child+pd  the same with persistent data on (the default for a slice of 2+ frames)
  local     the child with local input and output folders, persistent data off: the child's
            own overhead without the emulator (moto serves S3 from this process, on the same
            cores as the render)
Printed: medians, ratios to bare side by side, the CPU seconds of the children (wall time on
a shared machine swings with other work), the time from spawn to the first frame's start
(the child's fixed cost; bare: Python, bpy and the file), and /proc/loadavg before and after.
Goals (issue 15): child / bare <= 1.02 at 8 frames; child+pd / bare < 1.0 on the heavy scene.
Segment encoding, where present, is not part of these figures.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
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

RENDER_LOOP = textwrap.dedent(
    """
    import sys, time, bpy
    from pathlib import Path
    blend, folder, last, percent = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    bpy.ops.wm.open_mainfile(filepath=blend, load_ui=False, use_scripts=False)
    scene = bpy.context.scene
    scene.cycles.device = "CPU"
    scene.render.use_persistent_data = False
    scene.render.resolution_percentage = percent
    scene.render.image_settings.media_type = "IMAGE"
    scene.render.image_settings.file_format = "PNG"
    print("first frame at", time.time(), flush=True)
    for frame in range(1, last + 1):
        scene.frame_set(frame)
        scene.render.filepath = str(Path(folder) / f"{frame:04d}.png")
        bpy.ops.render.render(write_still=True)
    """
)
VARIANTS = ("bare", "child", "child+pd", "local")
# The child's log line as its first frame starts: "2026-11-30 18:00:00,123 INFO ...: frame 1:"
FIRST_FRAME = re.compile(r"^(\S+ \S+),(\d{3}) INFO \S+: frame \d+: rendering$", re.MULTILINE)


def load() -> str:
    return Path("/proc/loadavg").read_text().strip()


def timed(argv: list[str], **env: str) -> dict:
    """Wall seconds, CPU seconds (the process and its children) and seconds to the first frame."""
    began_wall, began = time.time(), time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        argv, capture_output=True, text=True, cwd=ROOT, env=os.environ | env, check=False
    )
    wall = time.monotonic() - began
    if result.returncode != 0:
        sys.exit(f"{argv[:5]} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return {"wall": wall, "cpu": cpu, "first": _first_frame(result) - began_wall}


def _first_frame(result: subprocess.CompletedProcess) -> float:
    bare = re.search(r"^first frame at (\S+)$", result.stdout, re.MULTILINE)
    if bare:
        return float(bare.group(1))
    found = FIRST_FRAME.search(result.stderr)
    moment = datetime.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S")
    return moment.timestamp() + int(found.group(2)) / 1000


def make_scenes(tmp: Path, longest: int) -> dict[str, Path]:
    heavy = tmp / "heavy.blend"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "heavy_scene.py"), "--out", str(heavy),
         "--objects", "24", "--levels", "1", "--frames", str(max(longest, 48))],
        check=True, capture_output=True,
    )  # fmt: skip
    return {"demo": ROOT / "examples" / "demo.blend", "heavy": heavy}


def run_variant(name: str, blend: Path, frames: int, percent: int, tag: str, tmp: Path) -> dict:
    if name == "bare":
        folder = tmp / tag
        folder.mkdir()
        loop = [sys.executable, "-c", RENDER_LOOP, str(blend), str(folder), str(frames)]
        return timed([*loop, str(percent)])
    source, out = f"s3://bench/{blend.name}", f"s3://bench/{tag}"
    if name == "local":
        source, out = str(blend), str(tmp / tag)
    child = [sys.executable, "-m", "entrypoint", "render", "-i", source, "-o", out,
             "-f", str(frames), "--end", str(frames),
             "--device", "cpu", "--resolution-percent", str(percent)]  # fmt: skip
    if name in ("child", "local"):
        child.append("--no-persistent-data")
    got = timed(child, AWS_BATCH_JOB_ARRAY_INDEX="0")
    if name == "local":
        assert len(list((tmp / tag / "frames").iterdir())) == frames, tag
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frames", default="8,24", help="frame counts, comma-separated")
    parser.add_argument("--percent", type=int, default=50, help="resolution percentage")
    parser.add_argument("--scenes", default="demo,heavy")
    args = parser.parse_args()
    counts = [int(n) for n in args.frames.split(",")]
    use_emulator()
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="bench")
    results: dict[tuple, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp_name:
        tmp = Path(tmp_name)
        scenes = {k: v for k, v in make_scenes(tmp, max(counts)).items() if k in args.scenes}
        for blend in scenes.values():
            s3.upload_file(str(blend), "bench", blend.name)
        print(f"loadavg before: {load()}; {os.cpu_count()} cores", flush=True)
        for n in range(args.rounds):
            for scene, blend in scenes.items():
                for frames in counts:
                    for name in VARIANTS:
                        tag = f"{scene}-{frames}-{name.replace('+', '-')}-{n}"
                        got = run_variant(name, blend, frames, args.percent, tag, tmp)
                        results.setdefault((scene, frames, name), []).append(got)
                        print(f"  round {n + 1} {scene:<5} {frames:>3} frames {name:<8} "
                              f"{got['wall']:7.2f} s wall {got['cpu']:7.2f} s CPU "
                              f"first frame at {got['first']:5.2f} s", flush=True)  # fmt: skip
        print(f"loadavg after: {load()}")
        _check_uploads(s3, results)
    _summary(results, args)


def _summary(results: dict, args: argparse.Namespace) -> None:
    print(f"\n{args.rounds} rounds at {args.percent} % size; medians; ratio = variant / bare")
    print(f"{'scene':<6}{'frames':>7}  {'bare s':>7} {'child':>14} {'child+pd':>14} "
          f"{'local':>14}  {'CPU ratio child, +pd, local':>28}  "
          f"{'first frame bare/child/+pd/local':>33}")  # fmt: skip
    for scene, frames in dict.fromkeys((s, f) for s, f, _ in results):
        med = {
            name: {k: statistics.median(r[k] for r in results[(scene, frames, name)])
                   for k in ("wall", "cpu", "first")}
            for name in VARIANTS
        }  # fmt: skip
        bare = med["bare"]
        ratio = {v: med[v]["wall"] / bare["wall"] for v in VARIANTS}
        cells = [f"{med[v]['wall']:6.2f} {ratio[v]:6.3f}x" for v in VARIANTS[1:]]
        cpu = [f"{med[v]['cpu'] / bare['cpu']:.3f}" for v in VARIANTS[1:]]
        first = "/".join(f"{med[v]['first']:.2f}" for v in VARIANTS)
        print(f"{scene:<6}{frames:>7}  {bare['wall']:7.2f} {cells[0]:>14} {cells[1]:>14} "
              f"{cells[2]:>14}  {', '.join(cpu):>28}  {first:>33}")  # fmt: skip


def _check_uploads(s3, results: dict) -> None:
    """Every child really uploaded every frame."""
    for (scene, frames, name), runs in results.items():
        if name in ("bare", "local"):  # local: counted as it ran
            continue
        for n in range(len(runs)):
            prefix = f"{scene}-{frames}-{name.replace('+', '-')}-{n}/frames/"
            count = s3.list_objects_v2(Bucket="bench", Prefix=prefix).get("KeyCount", 0)
            assert count == frames, (prefix, count)


if __name__ == "__main__":
    main()
