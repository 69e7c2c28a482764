"""`blendbatch run` of the demo vs one bare bpy process rendering the same frames with all cores.

    .venv/bin/python bench/local_run.py [--rounds 2] [-- RUN OPTIONS...]

Each round runs both, in alternating order (run bare, bare run, ...), each from scratch:
  run   the whole `blendbatch run -i examples/demo.blend -o TMP -n demo -f 12` as `make demo`
        runs it (read and hash the project, plan, render children, stitch with its checks,
        previews and report), timed from start to exit; extra options after `--` are added
  bare  one Python process: import bpy, open the .blend, threads = every core, frame_set +
        render(write_still) for each frame of the scene into a folder; nothing else
Efficiency = bare wall / run wall (goal >= 0.9). `/proc/loadavg` is printed before and after
each variant: the machine is shared and wall times swing with other work. The per-frame render
times (run: its manifests; bare: timed around each render) show the render itself apart from the
load: their ratio near 1 says the children render as fast as bare Blender did in that round, and
`run`'s overhead is its wall time minus its frames' time; "efficiency at equal frame speed" is
(run's frames / run's wall) / (bare's frames / bare's wall), the efficiency had both rendered
their frames equally fast. CPU seconds (this process's children) are printed too.
"""

from __future__ import annotations

import argparse
import json
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
DEMO = ROOT / "examples" / "demo.blend"

BARE = textwrap.dedent(
    """
    import json, os, sys, time, bpy
    from pathlib import Path
    blend, folder = sys.argv[1], Path(sys.argv[2])
    bpy.ops.wm.open_mainfile(filepath=blend, load_ui=False, use_scripts=False)
    scene = bpy.context.scene
    scene.render.threads_mode = "FIXED"
    scene.render.threads = len(os.sched_getaffinity(0))
    scene.render.image_settings.media_type = "IMAGE"
    scene.render.image_settings.file_format = "PNG"
    times = []
    for frame in range(scene.frame_start, scene.frame_end + 1, scene.frame_step):
        scene.frame_set(frame)
        scene.render.filepath = str(folder / f"{frame:04d}.png")
        began = time.perf_counter()
        bpy.ops.render.render(write_still=True)
        times.append(time.perf_counter() - began)
    print("FRAME_TIMES " + json.dumps(times))
    """
)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed(argv: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the children it started, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{argv[:4]} exited {result.returncode}:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


def run_variant(work: Path, extra: list[str]) -> dict:
    out = work / "run"
    argv = [sys.executable, "-m", "submitter", "run", "-i", str(DEMO), "-o", str(out),
            "-n", "demo", "-f", "12", *extra]  # fmt: skip
    wall, cpu, stdout = timed(argv)
    times = []
    for path in sorted((out / "demo" / "manifests").glob("*.json")):
        times += [r["seconds"] for r in json.loads(path.read_text())["rendered"]]
    chose = next((ln for ln in stdout.splitlines() if ln.startswith("rendering ")), "?")
    return {"wall": wall, "cpu": cpu, "frames": times, "said": chose}


def bare_variant(work: Path) -> dict:
    folder = work / "bare"
    folder.mkdir()
    wall, cpu, stdout = timed([sys.executable, "-c", BARE, str(DEMO), str(folder)])
    line = next(ln for ln in stdout.splitlines() if ln.startswith("FRAME_TIMES "))
    return {"wall": wall, "cpu": cpu, "frames": json.loads(line.split(" ", 1)[1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("extra", nargs="*", help="options added to `run` (after --)")
    args = parser.parse_args()
    print(f"cores {len(os.sched_getaffinity(0))}; demo {DEMO.name}; rounds {args.rounds}")
    rows = []
    for round_number in range(1, args.rounds + 1):
        order = ["run", "bare"] if round_number % 2 else ["bare", "run"]
        got = {}
        for name in order:
            with tempfile.TemporaryDirectory(prefix="blendbatch-bench-") as tmp:
                load_before = loadavg()
                got[name] = (
                    run_variant(Path(tmp), args.extra) if name == "run" else bare_variant(Path(tmp))
                )
                got[name]["load"] = f"{load_before} -> {loadavg()}"
        run, bare = got["run"], got["bare"]
        row = {
            "round": round_number,
            "efficiency": bare["wall"] / run["wall"],
            "frame_ratio": sum(run["frames"]) / sum(bare["frames"]),
            "run": run,
            "bare": bare,
        }
        rows.append(row)
        print(f"round {round_number} ({' then '.join(order)}): {run['said']}")
        for name in ("run", "bare"):
            v = got[name]
            print(
                f"  {name:4}  wall {v['wall']:6.1f} s  cpu {v['cpu']:6.1f} s  "
                f"{len(v['frames'])} frames: sum {sum(v['frames']):6.1f} s, median "
                f"{statistics.median(v['frames']):.3f} s/frame  load {v['load']}"
            )
        overhead = run["wall"] - sum(run["frames"])
        # At equal frame speed, efficiency is the ratio of the shares of wall time spent
        # rendering: it takes out a load that slowed one variant's frames more than the other's.
        row["equal_frames"] = (sum(run["frames"]) / run["wall"]) / (
            sum(bare["frames"]) / bare["wall"]
        )
        print(
            f"  efficiency (bare wall / run wall) {row['efficiency']:.3f}; run frames / bare "
            f"frames {row['frame_ratio']:.3f}; run's wall beyond its frames {overhead:.1f} s "
            f"(bare: {bare['wall'] - sum(bare['frames']):.1f} s); efficiency at equal frame "
            f"speed {row['equal_frames']:.3f}"
        )
    medians = {
        k: statistics.median(r[k] for r in rows)
        for k in ("efficiency", "frame_ratio", "equal_frames")
    }
    print(
        f"median efficiency {medians['efficiency']:.3f}; median frame-time ratio "
        f"{medians['frame_ratio']:.3f}; median efficiency at equal frame speed "
        f"{medians['equal_frames']:.3f}; load now {loadavg()}"
    )


if __name__ == "__main__":
    main()
