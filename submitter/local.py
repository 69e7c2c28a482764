"""Run a render plan on this machine: the render children as processes, then stitch.

Each slice runs exactly what AWS Batch would run, `python -m entrypoint render ...` with
`AWS_BATCH_JOB_ARRAY_INDEX` set, inside a render child that takes slices one after another
(entrypoint/series.py), so the local path exercises the container's contract and pays Blender's
start-up once per child. Each slice's exact command opens its log and is said on the console,
ready to run again by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from entrypoint.errors import BadInput, BlendbatchError, Interrupted, TransientFailure
from entrypoint.layout import FRAMES_DIR, LOGS_DIR, MANIFESTS_DIR, REPORT_NAME
from submitter import plan, progress
from submitter.ctrlc import CtrlC
from submitter.localplan import LocalChoice
from submitter.localprocs import ChildResult, RenderChild, StitchChild, slice_label


def check_request(output: Path, name: str, workers: int | None) -> None:
    """Refuse, before anything is created, what `run_local` could not do: an output that is
    not (and cannot become) a folder, or a worker count below 0 (0 means one per core)."""
    if workers is not None and workers < 0:
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
    choice: LocalChoice,
    say: Callable[[str], None],
    show: Callable[[progress.Report], None] | None = None,
) -> progress.Report:
    """Render every slice with `choice.workers` children at a time, then stitch; returns the
    final report. Ctrl-C stops the children (see submitter/ctrlc.py) and raises Interrupted."""
    root = Path(render.output_root)
    (root / LOGS_DIR).mkdir(parents=True, exist_ok=True)
    say(f"rendering {render.frame_count} frames on {choice.line()} -> {root}")
    with CtrlC(say) as stop:
        board = _Board(render, root, show)
        children: list[RenderChild] = []
        try:
            failures = _render_slices(render, root, choice, say, stop, board, children)
            if stop.presses:
                raise _stopped(root, render)
            if failures:
                raise _failure(failures)
            if not render.make_video:
                say(f"rendered in {board.seconds():.1f} s; no stitch (--no-video: frames only)")
                return board.final()
            say(f"rendered in {board.seconds():.1f} s; stitching")
            # The children have no slice left and exit (Blender's own shutdown) while it runs.
            stitch = StitchChild(plan.stitch_command(render), root, say, stop.wake)
            while stitch.process.poll() is None:
                stop.forward([stitch])
                stop.wait(0.25)
            result = stitch.finish()
        finally:
            for child in children:
                child.wait()
        if stop.presses:
            raise _stopped(root, render)
        if result.exit_code != 0:
            raise _failure([result])
        return board.final()


def _render_slices(render, root, choice, say, stop, board, children) -> list[ChildResult]:
    """Until every slice is done or failed; the children still exiting stay in `children`."""
    waiting = list(choice.order)
    failures: list[ChildResult] = []
    try:
        _loop(render, root, choice.workers, say, stop, board, waiting, children, failures)
    except BaseException:
        # Whatever stops this process stops the children, which are outside its process group.
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
        for child in children:
            child.wait()
        raise
    return failures


def _loop(render, root, workers, say, stop, board, waiting, children, failures) -> None:
    """Children take the waiting slices one at a time, in order; a child that dies (killed
    from outside) is replaced while slices wait."""
    args = plan.render_command(render)
    while waiting or any(c.slice is not None for c in children):
        if stop.presses:
            waiting.clear()  # never started: the next run renders them
        while waiting and len(children) < workers:
            children.append(RenderChild(args, root, stop.wake))
        for child in children:
            if child.idle():
                if waiting:
                    child.give(waiting.pop(0))
                else:
                    child.close()
        for child in list(children):
            for event in child.events():
                if event[0] == "unstarted":
                    if not stop.presses:
                        waiting.insert(0, event[1])
                    continue
                _said(event, say, failures)
            if child.ended:
                children.remove(child)
                child.wait()
        stop.forward(children)
        busy = sum(1 for c in children if c.slice is not None)
        board.tick(len(waiting), busy, failures)
        if waiting or busy:
            stop.wait(0.25)
    for child in children:
        child.close()


def _said(event: tuple, say: Callable[[str], None], failures: list[ChildResult]) -> None:
    kind = event[0]
    if kind == "start":
        say(f"  {slice_label(event[1])}: {event[2]}")
    elif kind == "said":
        say(f"  render child: {event[1]}")
    else:
        result = event[1]
        if result.exit_code != 0:
            failures.append(result)
        for line in _missing_data_lines(result.log):
            say(f"  {result.label}: {line}")
        say(f"  {result.label} exited {result.exit_code} after {result.seconds:.1f} s")


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
    for line in _read(log).splitlines():
        if following and line.strip() and not line[:1].isdigit():
            shown.append(line)  # the list under our ERROR line
            continue
        ours = " WARNING " in line or " ERROR " in line
        following = False
        if any(word in line.lower() for word in _MISSING_WORDS):
            shown.append(line.split(": ", 1)[-1] if ours else line.strip())
            following = ours
    return shown


def _read(log: Path) -> str:
    """A slice's log; a child stopped before it began the slice wrote none."""
    try:
        return log.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def _last_error_line(log: Path) -> str:
    output = _read(log).splitlines()[1:]  # after the command line
    lines = [ln for ln in output if ln.strip()]
    errors = [ln for ln in lines if " ERROR " in ln]
    text = (errors or lines or ["(no output)"])[-1]
    return text.split(": ", 1)[-1] if " ERROR " in text else text
