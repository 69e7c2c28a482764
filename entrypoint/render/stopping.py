"""SIGTERM (Spot reclaim, job terminated): stop between frames, or abandon a frame that overruns.

Measured with bpy 5.0.1: a Python signal handler runs only after the frame in flight has
finished, and Python as PID 1 (the container's ENTRYPOINT) ignores SIGTERM unless a handler is
installed. The C-level handler still writes the signal number to the wakeup fd at once, so a
watcher thread learns of SIGTERM mid-frame and, if the frame outlasts the grace period, hands
over to `abandon` (finish queued uploads, record the run) and exits 143 before SIGKILL comes.
A second SIGTERM during the grace period abandons the frame at once (`blendbatch run` sends one
on a second Ctrl-C). The abandoned frame only ever existed in the local work folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator

from entrypoint.errors import Terminated

log = logging.getLogger(__name__)


class StopSignal:
    """Installed once, early, in the main thread."""

    def __init__(self, grace: float) -> None:
        self.requested = threading.Event()
        self._grace = grace
        self._idle = threading.Event()
        self._idle.set()
        self._abandon: Callable[[], None] | None = None
        signal.signal(signal.SIGTERM, self._handle)
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        signal.set_wakeup_fd(write_end)
        threading.Thread(target=self._watch, args=(read_end,), name="sigterm", daemon=True).start()

    def on_abandon(self, abandon: Callable[[], None]) -> None:
        self._abandon = abandon

    @contextlib.contextmanager
    def frame_in_flight(self) -> Iterator[None]:
        self._idle.clear()
        try:
            yield
        finally:
            self._idle.set()

    def _handle(self, signum: int, _frame) -> None:
        self.requested.set()

    def _watch(self, read_end: int) -> None:
        seen = 0
        while not seen:
            seen = os.read(read_end, 64).count(signal.SIGTERM)
        self.requested.set()
        if self._idle.is_set():
            log.warning("SIGTERM: stopping before the next frame")
            return
        log.warning("SIGTERM: letting the frame in flight finish for up to %.0f s", self._grace)
        if self._finished_in_grace(read_end, again=seen > 1) or self._abandon is None:
            return
        try:
            self._abandon()
        except BaseException:
            log.exception("while stopping after SIGTERM")
        finally:
            logging.shutdown()
            os._exit(Terminated.exit_code)

    def _finished_in_grace(self, read_end: int, *, again: bool) -> bool:
        """True once the frame in flight is done; False when the grace ran out or a second
        SIGTERM came first."""
        if again and not self._idle.is_set():
            log.warning("SIGTERM again: abandoning the frame in flight")
            return False
        deadline = time.monotonic() + self._grace
        while not self._idle.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                log.warning(
                    "SIGTERM: the frame in flight overran %.0f s; abandoning it", self._grace
                )
                return False
            ready, _, _ = select.select([read_end], [], [], min(left, 0.1))
            if ready and signal.SIGTERM in os.read(read_end, 64):
                log.warning("SIGTERM again: abandoning the frame in flight")
                return False
        return True
