"""Showing a progress report: a live rich bar on a terminal, plain lines anywhere else.

On a terminal: one bar by frames with the rate and the time left, and under it the children by
state (and the stitch job on Batch); lines said meanwhile print above the bar. Not a terminal
(CI logs, a pipe, a file): a plain progress line each time the frames or the children change,
never a control code.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from submitter import progresstext
from submitter.progress import Report


class Screen:
    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty() if live is None else live
        self._progress = None
        self._shown: tuple | None = None

    def __enter__(self) -> Screen:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def say(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def update(self, report: Report) -> None:
        if not self.live:
            key = (report.frames_done, report.children, report.stitch)
            if key != self._shown:
                self._shown = key
                self.say(f"  {progresstext.progress_line(report)}")
            return
        if self._progress is None:
            self._start(report)
        self._progress.show(report)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def summary(self, report: Report) -> None:
        """Stop the bar (it stays as drawn last) and print the summary under it."""
        self.close()
        for line in progresstext.summary_lines(report):
            self.say(line)

    def _start(self, report: Report) -> None:
        self._progress = _FramesBar(Console(file=self.stream), report)
        self._progress.start()


def print_status(report: Report, stream: TextIO | None = None) -> None:
    """`status`: the report's lines; on a terminal the frames line is a drawn bar."""
    stream = stream or sys.stdout
    lines = progresstext.lines(report)
    if not stream.isatty():
        stream.write("\n".join(lines) + "\n")
        return
    console = Console(file=stream)
    for line in lines:
        if line.strip().startswith("frames ") and report.frames_done is not None:
            row = Table.grid(padding=(0, 1))
            row.add_row(
                "  frames",
                ProgressBar(total=max(report.frames_total, 1), completed=report.frames_done,
                            width=30),
                f"{report.frames_done}/{report.frames_total}",
                progresstext.children_text(report.children),
            )  # fmt: skip
            console.print(row)
        else:
            console.print(line, markup=False, highlight=False)


class _FramesBar(Progress):
    """The frames bar with the children (and the stitch) on a line of their own."""

    def __init__(self, console: Console, report: Report) -> None:
        self._children = Text("")  # drawn from within Progress.__init__ already
        super().__init__(
            TextColumn("frames"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[eta]}"),
            TimeElapsedColumn(),
            console=console,
            refresh_per_second=4,
        )
        total = max(report.frames_total, 1)
        done = report.frames_done or 0
        self._task = self.add_task("frames", total=total, completed=done, rate="", eta="")

    def show(self, report: Report) -> None:
        pace = report.pace
        self.update(
            self._task,
            completed=report.frames_done or 0,
            rate=f"{pace.rate:.2f} frames/s" if pace.rate else "",
            eta=f"ETA {progresstext.duration(pace.eta)}" if pace.eta is not None else "",
        )
        text = "children: " + progresstext.children_text(report.children)
        if report.stitch is not None:
            text += f" | stitch {report.stitch.status}"
        self._children = Text(text)

    def get_renderables(self):
        yield self.make_tasks_table(self.tasks)
        yield self._children
