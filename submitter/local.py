"""Run a render plan on this machine: the render children as processes, then stitch.

Each child is exactly what AWS Batch would run: `python -m entrypoint render ...` with
`AWS_BATCH_JOB_ARRAY_INDEX` set, so the local path exercises the container's contract. Each
child's exact command opens its log and is said on the console, ready to run again by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from entrypoint.errors import BadInput, BlendbatchError, Interrupted, TransientFailure
from entrypoint.layout import FRAMES_DIR, LOGS_DIR, MANIFESTS_DIR, REPORT_NAME
from submitter import plan, progress


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


def run_local(
    render: plan.RenderPlan,
    workers: int,
    say: Callable[[str], None],
    show: Callable[[progress.Report], None] | None = None,
) -> progress.Report:
    """Render every slice with `workers` processes at a time, then stitch; returns the final
    report. Ctrl-C stops the children (see `_CtrlC`) and raises Interrupted."""
    root = Path(render.output_root)
    (root / LOGS_DIR).mkdir(parents=True, exist_ok=True)
    count = render.array_size
    say(f"rendering {render.frame_count} frames in {count} slices, {workers} at a time -> {root}")
    with _CtrlC(say) as stop:
        board = _Board(render, root, show)
        failures = _render_slices(render, root, workers, say, stop, board)
        if stop.presses:
            raise _stopped(root, render)
        if failures:
            raise _failure(failures)
        if not render.make_video:
            say(f"rendered in {board.seconds():.1f} s; no stitch (--no-video: frames only)")
            return board.final()
        say(f"rendered in {board.seconds():.1f} s; stitching")
        stitch = _Child(plan.stitch_command(render), root, "stitch", None, say)
        while stitch.process.poll() is None:
            stop.forward([stitch])
            stop.wait(0.25)
        result = stitch.finish()
        if stop.presses:
            raise _stopped(root, render)
        if result.exit_code != 0:
            raise _failure([result])
        return board.final()


def _render_slices(render, root, workers, say, stop, board) -> list[ChildResult]:
    waiting = list(range(render.array_size))
    running: list[_Child] = []
    failures: list[ChildResult] = []
    try:
        _loop(render, root, workers, say, stop, board, waiting, running, failures)
    except BaseException:
        # Whatever stops this process stops the children, which are outside its process group.
        for child in running:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
        for child in running:
            child.finish()
        raise
    return failures


def _loop(render, root, workers, say, stop, board, waiting, running, failures) -> None:
    while waiting or running:
        while waiting and len(running) < workers and not stop.presses:
            i = waiting.pop(0)
            running.append(_Child(plan.render_command(render), root, f"render-{i:05d}", i, say))
        for child in [c for c in running if c.process.poll() is not None]:
            running.remove(child)
            result = child.finish()
            if result.exit_code != 0:
                failures.append(result)
            for line in _missing_data_lines(result.log):
                say(f"  {result.label}: {line}")
            say(f"  {result.label} exited {result.exit_code} after {result.seconds:.1f} s")
        if stop.presses:
            waiting.clear()  # never started: the next run renders them
        stop.forward(running)
        board.tick(len(waiting), len(running), failures)
        if running:
            stop.wait(0.25)


class _Board:
    """The children's states and the frames in the output, as the progress report."""

    def __init__(self, render: plan.RenderPlan, root: Path, show) -> None:
        self.render, self.root, self.show = render, root, show
        self.began = time.monotonic()
        self.at_start = _frames_present(root)
        self.children = progress.Children(waiting=render.array_size)

    def seconds(self) -> float:
        return time.monotonic() - self.began

    def tick(self, waiting: int, running: int, failures: list[ChildResult]) -> None:
        finished = self.render.array_size - waiting - running
        self.children = progress.Children(
            waiting=waiting,
            running=running,
            done=finished - len(failures),
            failed=len(failures),
        )
        if self.show is not None:
            self.show(self.report(progress.RUNNING))

    def report(self, state: str, manifests: list[dict] | None = None) -> progress.Report:
        made = self.root / REPORT_NAME
        return progress.local_report(
            state=state,
            frames_done=_frames_present(self.root),
            frames_total=self.render.frame_count,
            children=self.children,
            output=str(self.root),
            video=self.render.video_name,
            seconds=self.seconds(),
            done_at_start=self.at_start,
            manifests=manifests,
            report_file=str(made) if made.exists() else None,
            frames_only=not self.render.make_video,
        )

    def final(self) -> progress.Report:
        manifests = []
        for path in sorted((self.root / MANIFESTS_DIR).glob("*.json")):
            try:
                manifests.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue  # the summary's frame times do without an unreadable record
        return self.report(progress.DONE, manifests)


class _CtrlC:
    """Ctrl-C (or SIGTERM) while children run: the first asks each child to stop after its frame
    in flight (SIGTERM), the second to abandon that frame (a second SIGTERM, see
    entrypoint/render/stopping.py). Either way finished frames stay and the children exit.

    The children run in their own process group (`_Child`), so the terminal's SIGINT reaches
    only this process, which decides what they get.
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.presses = 0
        self._forwarded = 0
        self._woken = threading.Event()
        self._saved: dict = {}

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._press)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)

    def _press(self, _signum, _frame) -> None:
        self.presses += 1
        self._woken.set()

    def wait(self, seconds: float) -> None:
        self._woken.wait(seconds)
        self._woken.clear()

    def forward(self, running: list[_Child]) -> None:
        while self._forwarded < self.presses:
            self._forwarded += 1
            if self._forwarded == 1:
                self.say(
                    "stopping: each child finishes its frame in flight (Ctrl-C again: abandon it)"
                )
            elif self._forwarded == 2:
                self.say("stopping now: the frames in flight are abandoned")
            for child in running:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)


class _Child:
    """One `python -m entrypoint ...` process, its output in its log."""

    def __init__(
        self,
        command: list[str],
        root: Path,
        label: str,
        index: int | None,
        say: Callable[[str], None],
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_BATCH_JOB_")}
        argv = [sys.executable, "-m", "entrypoint", *command]
        shown = shlex.join(argv)
        if index is not None:
            env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(index)
            shown = f"AWS_BATCH_JOB_ARRAY_INDEX={index} {shown}"
        self.label, self.log = label, root / LOGS_DIR / f"{label}.log"
        say(f"  {label}: {shown}")
        self.began = time.monotonic()
        self._sink = self.log.open("w")
        self._sink.write(f"$ {shown}\n")
        self._sink.flush()
        self.process = subprocess.Popen(
            argv,
            env=env,
            stdout=self._sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            process_group=0,  # Ctrl-C in the terminal goes to `run` alone (see _CtrlC)
        )

    def finish(self) -> ChildResult:
        code = self.process.wait()
        self._sink.close()
        return ChildResult(self.label, code, time.monotonic() - self.began, self.log)


def _stopped(root: Path, render: plan.RenderPlan) -> Interrupted:
    kept = _frames_present(root)
    return Interrupted(
        f"stopped: {kept}/{render.frame_count} frames kept; run the same command to resume"
    )


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
