"""Ctrl-C (or SIGTERM) during `blendbatch run` (submitter/local.py), forwarded to its children."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable


class CtrlC:
    """Ctrl-C (or SIGTERM) while children run: the first asks each child to stop after its frame
    in flight (SIGTERM), the second to abandon that frame (a second SIGTERM, see
    entrypoint/render/stopping.py). Either way finished frames stay and the children exit.

    The children run in their own process group (submitter/localprocs.py), so the terminal's
    SIGINT reaches only this process, which decides what they get. A child between slices
    exits at once on SIGTERM (entrypoint/series.py).
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.presses = 0
        self._forwarded = 0
        self._woken = threading.Event()
        self._saved: dict = {}

    def __enter__(self) -> CtrlC:
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

    def wake(self) -> None:
        self._woken.set()

    def wait(self, seconds: float) -> None:
        self._woken.wait(seconds)
        self._woken.clear()

    def forward(self, running: list) -> None:
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
