"""Run a render plan on this machine: the render children as processes, then stitch.

Each child is exactly what AWS Batch would run: `python -m entrypoint render ...` with
`AWS_BATCH_JOB_ARRAY_INDEX` set, so the local path exercises the container's contract. Each
child's exact command opens its log and is said on the console, ready to run again by hand.
"""

from __future__ import annotations

import os
import shlex
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


def check_request(output: Path, name: str, workers: int) -> None:
    """Refuse, before anything is created, what `run_local` could not do: an output that is
    not (and cannot become) a folder, or a worker count below 0 (0 means one per core)."""
    if workers < 0:
        raise BadInput(
            f"--workers {workers}: give how many children run at a time (1 or more), "
            "or 0 for one per core"
        )
    target = output / name
    existing = target
    while not (existing.exists() or existing.is_symlink()) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise BadInput(
            f"-o {output}: {existing} is not a folder: pick a folder "
            "(it is created if it does not exist)"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInput(
            f"-o {output}: cannot create {target} in {existing}: pick a folder you can write to"
        )


def run_local(render: plan.RenderPlan, workers: int, say: Callable[[str], None]) -> Path:
    """Render every slice with `workers` processes at a time, then stitch; returns the video."""
    root = Path(render.output_root)
    (root / LOGS_DIR).mkdir(parents=True, exist_ok=True)
    count = render.array_size
    say(f"rendering {render.frame_count} frames in {count} slices, {workers} at a time -> {root}")
    began = time.monotonic()
    failures = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: set[Future] = {
            pool.submit(_child, plan.render_command(render), root, f"render-{i:05d}", i, say)
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
                for line in _missing_data_lines(result.log):
                    say(f"  {result.label}: {line}")
                say(
                    f"  {result.label} exited {result.exit_code} after {result.seconds:.1f} s "
                    f"({done_children}/{count} slices)"
                )
            frames = _frames_present(root)
            if frames != shown:
                say(f"  frames {frames}/{render.frame_count}")
                shown = frames
    if failures:
        raise _failure(failures)
    say(f"rendered in {time.monotonic() - began:.1f} s; stitching")
    result = _child(plan.stitch_command(render), root, "stitch", None, say)
    if result.exit_code != 0:
        raise _failure([result])
    return root / render.video_name


def _child(
    command: list[str], root: Path, label: str, index: int | None, say: Callable[[str], None]
) -> ChildResult:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_BATCH_JOB_")}
    argv = [sys.executable, "-m", "entrypoint", *command]
    shown = shlex.join(argv)
    if index is not None:
        env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(index)
        shown = f"AWS_BATCH_JOB_ARRAY_INDEX={index} {shown}"
    log = root / LOGS_DIR / f"{label}.log"
    say(f"  {label}: {shown}")
    began = time.monotonic()
    with log.open("w") as sink:
        sink.write(f"$ {shown}\n")
        sink.flush()
        code = subprocess.run(
            argv,
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


# What a child says about outside files it lacks: our WARNING/ERROR lines (with the list that
# follows an ERROR) and Blender's own, which otherwise stay in the child's log.
_MISSING_WORDS = ("missing", "does not exist", "not found")


def _missing_data_lines(log: Path) -> list[str]:
    shown, following = [], False
    for line in log.read_text(errors="replace").splitlines():
        if following and line.strip() and not line[:1].isdigit():
            shown.append(line)  # the list under our ERROR line
            continue
        ours = " WARNING " in line or " ERROR " in line
        following = False
        if any(word in line.lower() for word in _MISSING_WORDS):
            shown.append(line.split(": ", 1)[-1] if ours else line.strip())
            following = ours
    return shown


def _last_error_line(log: Path) -> str:
    output = log.read_text(errors="replace").splitlines()[1:]  # after the command line
    lines = [ln for ln in output if ln.strip()]
    errors = [ln for ln in lines if " ERROR " in ln]
    text = (errors or lines or ["(no output)"])[-1]
    return text.split(": ", 1)[-1] if " ERROR " in text else text
