"""Run a submission's plan on this machine: the render children as processes, then stitch.

Each child is exactly what AWS Batch would run: `python -m entrypoint render ...` with
`AWS_BATCH_JOB_ARRAY_INDEX` set, so the local path exercises the container's contract.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from entrypoint.errors import BadInput, BlendbatchError, TransientFailure
from entrypoint.layout import FRAMES_DIR, LOGS_DIR
from submitter import plan


@dataclass(frozen=True)
class ChildResult:
    label: str
    exit_code: int
    seconds: float
    log: Path


def run_local(sub: plan.Submission, workers: int, say: Callable[[str], None]) -> Path:
    """Render every slice with `workers` processes at a time, then stitch; returns the video."""
    root = Path(sub.output_root)
    (root / LOGS_DIR).mkdir(parents=True, exist_ok=True)
    count = sub.array_size
    say(f"rendering {sub.frame_count} frames in {count} slices, {workers} at a time -> {root}")
    began = time.monotonic()
    failures = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: set[Future] = {
            pool.submit(_child, plan.render_command(sub), root, f"render-{i:05d}", i)
            for i in range(count)
        }
        done_children, shown = 0, -1
        while pending:
            finished, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            for future in finished:
                result = future.result()
                done_children += 1
                if result.exit_code != 0:
                    failures.append(result)
                say(
                    f"  {result.label} exited {result.exit_code} after {result.seconds:.1f} s "
                    f"({done_children}/{count} slices)"
                )
            frames = _frames_present(root)
            if frames != shown:
                say(f"  frames {frames}/{sub.frame_count}")
                shown = frames
    if failures:
        raise _failure(failures)
    say(f"rendered in {time.monotonic() - began:.1f} s; stitching")
    result = _child(plan.stitch_command(sub), root, "stitch", None)
    if result.exit_code != 0:
        raise _failure([result])
    return root / sub.video_name


def _child(command: list[str], root: Path, label: str, index: int | None) -> ChildResult:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_BATCH_JOB_")}
    if index is not None:
        env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(index)
    log = root / LOGS_DIR / f"{label}.log"
    began = time.monotonic()
    with log.open("w") as sink:
        code = subprocess.run(
            [sys.executable, "-m", "entrypoint", *command],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        ).returncode
    return ChildResult(label, code, time.monotonic() - began, log)


def _frames_present(root: Path) -> int:
    folder = root / FRAMES_DIR
    return sum(1 for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else 0


def _failure(failures: list[ChildResult]) -> BlendbatchError:
    lines = []
    for result in sorted(failures, key=lambda r: r.label):
        last = _last_error_line(result.log)
        lines.append(f"{result.label} exited {result.exit_code}: {last} (log: {result.log})")
    kind = (
        BadInput if all(r.exit_code == BadInput.exit_code for r in failures) else TransientFailure
    )
    return kind("\n".join(lines))


def _last_error_line(log: Path) -> str:
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if " ERROR " in ln]
    text = (errors or lines or ["(no output)"])[-1]
    return text.split(": ", 1)[-1] if " ERROR " in text else text
