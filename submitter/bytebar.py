"""Progress in bytes on stderr: a live bar with speed and time left on a terminal, plain
lines (no control codes) when stderr is a file or a pipe, so logs stay readable.

Safe to advance from many threads (uploads report progress from the transfer pool).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

# Plain mode: a line at each quarter, and at least every so many seconds on a slow link.
PLAIN_EVERY_SECONDS = 10.0


def megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB"


class ByteBar:
    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.done = 0
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._said_at = self._started
        self._said_quarter = 0
        self._rich = None

    def __enter__(self) -> ByteBar:
        if self.total > 0 and self.stream.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._rich = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self._rich.start()
            self._task = self._rich.add_task(self.label, total=self.total)
        return self

    def advance(self, count: int) -> None:
        with self._lock:
            self.done += count
            if self._rich is not None:
                self._rich.update(self._task, completed=self.done)
                return
            now = time.monotonic()
            quarter = 4 * self.done // self.total if self.total else 4
            if quarter > self._said_quarter or now - self._said_at >= PLAIN_EVERY_SECONDS:
                self._said_quarter, self._said_at = quarter, now
                self._line(now)

    def _line(self, now: float) -> None:
        seconds = max(now - self._started, 1e-6)
        percent = 100 * self.done // self.total if self.total else 100
        self.stream.write(
            f"{self.label}: {megabytes(self.done)} of {megabytes(self.total)} ({percent}%), "
            f"{self.done / seconds / 1e6:.1f} MB/s\n"
        )
        self.stream.flush()

    def __exit__(self, *exc) -> None:
        if self._rich is not None:
            self._rich.stop()
