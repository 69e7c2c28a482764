"""The processes of `blendbatch run`: render children that take slices one after another
(`python -m entrypoint.series`), and the stitch (`python -m entrypoint stitch`).

Both run in a process group of their own, so Ctrl-C in the terminal reaches `run` alone, which
decides what they get (submitter/local.py).
"""

from __future__ import annotations

import contextlib
import os
import queue
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from entrypoint.errors import Terminated
from entrypoint.layout import LOGS_DIR
from entrypoint.series import PREFIX, log_name

TERMINATED = Terminated.exit_code


@dataclass(frozen=True)
class ChildResult:
    label: str
    exit_code: int
    seconds: float
    log: Path


def _environment() -> dict[str, str]:
    # A run started from inside a Batch job must not hand its own index to the children.
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_BATCH_JOB_")}


def slice_label(index: int) -> str:
    return log_name(index).removesuffix(".log")


class RenderChild:
    """One render process; `give` hands it a slice, `events` says what it did.

    Events: ("start", index, command) when a slice begins, ("done", ChildResult) when it ends,
    ("unstarted", index) when it died before beginning the slice it was given, ("said", line)
    for anything the process printed outside a slice.
    """

    def __init__(self, render_args: list[str], root: Path, wake: Callable[[], None]) -> None:
        self.root, self._wake = root, wake
        self.slice: int | None = None
        self.started = False  # the slice given has begun (its log exists)
        self.begun = 0  # slices it has begun
        self.retiring = False  # stopped by SIGTERM: it takes no more slices
        self._began = 0.0
        argv = [sys.executable, "-m", "entrypoint.series", str(root / LOGS_DIR), *render_args]
        self.process = subprocess.Popen(
            argv,
            env=_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            process_group=0,  # Ctrl-C in the terminal goes to `run` alone
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.ended = False

    def _read(self) -> None:
        # `wake` ends the parent's wait at once: the next slice is handed out without a gap.
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
            self._wake()
        self._lines.put(None)
        self._wake()

    def idle(self) -> bool:
        return self.slice is None and not self.ended and not self.retiring

    def give(self, index: int) -> None:
        self.slice, self.started, self._began = index, False, time.monotonic()
        # If it has died, its end shows in `events`.
        with contextlib.suppress(BrokenPipeError, OSError):
            self.process.stdin.write(f"{index}\n")
            self.process.stdin.flush()

    def close(self) -> None:
        """No more slices: it exits once the one in flight is done."""
        with contextlib.suppress(BrokenPipeError, OSError):
            self.process.stdin.close()

    def events(self) -> list[tuple]:
        found: list[tuple] = []
        while not self.ended:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                break
            if line is None:
                self.ended = True
                found += self._died()
            elif line.startswith(PREFIX + " start "):
                _, _, index, command = line.split(" ", 3)
                self.started = True
                self.begun += 1
                found.append(("start", int(index), command))
            elif line.startswith(PREFIX + " done "):
                code = int(line.split(" ")[3])
                found.append(("done", self._result(code)))
                self.slice = None
                self.retiring = code == TERMINATED
            else:
                found.append(("said", line))
        return found

    def _died(self) -> list[tuple]:
        code = self.process.wait()
        index, self.slice = self.slice, None
        if index is None:
            return []
        if not self.started and self.begun:
            # Handed over as it died (killed from outside): another child takes it. A child
            # that never began a slice is broken, not killed: its slice fails below.
            return [("unstarted", index)]
        self.slice = index
        result = self._result(code if code != 0 else 1)  # killed mid-slice
        self.slice = None
        return [("done", result)]

    def _result(self, code: int) -> ChildResult:
        label = slice_label(self.slice)
        log = self.root / LOGS_DIR / f"{label}.log"
        return ChildResult(label, code, time.monotonic() - self._began, log)

    def wait(self) -> None:
        self.close()
        self.process.wait()
        self._reader.join(timeout=5)


class StitchChild:
    """One `python -m entrypoint stitch` process, its output in its log; `wake` is called when
    it exits, so the parent's wait ends then and not at its next tick."""

    def __init__(
        self, command: list[str], root: Path, say: Callable[[str], None], wake: Callable[[], None]
    ) -> None:
        argv = [sys.executable, "-m", "entrypoint", *command]
        shown = shlex.join(argv)
        self.label, self.log = "stitch", root / LOGS_DIR / "stitch.log"
        say(f"  stitch: {shown}")
        self.began = time.monotonic()
        self._sink = self.log.open("w")
        self._sink.write(f"$ {shown}\n")
        self._sink.flush()
        self.process = subprocess.Popen(
            argv,
            env=_environment(),
            stdout=self._sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            process_group=0,
        )
        self._waiter = threading.Thread(target=lambda: (self.process.wait(), wake()), daemon=True)
        self._waiter.start()

    def finish(self) -> ChildResult:
        code = self.process.wait()
        self._sink.close()
        return ChildResult(self.label, code, time.monotonic() - self.began, self.log)
