"""`python -m entrypoint.series LOGS render ARGS...`: slices of one render, one after another in
one process, for `blendbatch run` on one machine.

Each slice runs exactly what `AWS_BATCH_JOB_ARRAY_INDEX=N python -m entrypoint render ARGS`
runs (the same `main`), so what a slice reads, writes and records is the container's contract;
only Blender's start-up (`import bpy`, ~0.6 s) is paid once per process instead of per slice.
A slice's output (ours and Blender's, fds 1 and 2) goes to LOGS/render-NNNNN.log, whose first
line is that one-slice command, ready to run again by hand.

With the parent (submitter/local.py): it writes slice numbers, one a line, on our stdin; we
answer on our stdout `@slice start N COMMAND` and `@slice done N EXIT_CODE`. End of stdin:
exit 0. A slice that ends 143 (SIGTERM) ends the process with 143. A SIGTERM between slices
exits 143 at once.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shlex
import signal
import sys
from pathlib import Path

from entrypoint.errors import Terminated

PREFIX = "@slice"


class _Stop(BaseException):
    """SIGTERM outside a slice's own handler: not an Exception, so `main` does not catch it."""


# Where we are when a SIGTERM comes and the slice's own handler (render/stopping.py) is not in
# place: waiting for a slice or starting one (stop now), or finishing one (stop after it).
_state = {"phase": "idle", "asked": False}


def _stop(_signum, _frame) -> None:
    _state["asked"] = True
    if _state["phase"] in ("idle", "setup"):
        raise _Stop


def log_name(index: int) -> str:
    return f"render-{index:05d}.log"


def one_slice_command(index: int, render_args: list[str]) -> str:
    argv = [sys.executable, "-m", "entrypoint", *render_args]
    return f"AWS_BATCH_JOB_ARRAY_INDEX={index} {shlex.join(argv)}"


def run_series(logs: Path, render_args: list[str]) -> int:
    control = os.fdopen(os.dup(0), "r")
    status = os.fdopen(os.dup(1), "w", buffering=1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # Blender never reads the parent's pipe
    signal.signal(signal.SIGTERM, _stop)
    try:
        for line in control:
            _state["phase"] = "slice"
            index = int(line)
            shown = one_slice_command(index, render_args)
            with (logs / log_name(index)).open("w") as sink:
                sink.write(f"$ {shown}\n")
                sink.flush()
                status.write(f"{PREFIX} start {index} {shown}\n")
                code = _in_log(sink.fileno(), index, render_args)
            status.write(f"{PREFIX} done {index} {code}\n")
            if code == Terminated.exit_code or _state["asked"]:
                return Terminated.exit_code
            _state["phase"] = "idle"
    except _Stop:
        return Terminated.exit_code
    return 0


def _in_log(fd: int, index: int, render_args: list[str]) -> int:
    """One slice, as `python -m entrypoint render`, its fds 1 and 2 in the slice's log."""
    from entrypoint.__main__ import main

    saved = os.dup(1), os.dup(2)
    _flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ["AWS_BATCH_JOB_ARRAY_INDEX"] = str(index)
    try:
        if _state["asked"]:
            raise _Stop
        _state["phase"] = "setup"
        return main(render_args)
    except _Stop:
        logging.getLogger("entrypoint").warning("SIGTERM before the slice began: stopping")
        return Terminated.exit_code
    finally:
        _state["phase"] = "after"
        _flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        # The slice's SIGTERM handler and wakeup pipe (render/stopping.py) end with it.
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, _stop)


def _flush() -> None:
    """Python's and C's buffered output (Blender prints through C stdio) into the current fds."""
    sys.stdout.flush()
    sys.stderr.flush()
    for handler in logging.getLogger().handlers:
        handler.flush()
    ctypes.CDLL(None).fflush(None)


if __name__ == "__main__":
    sys.exit(run_series(Path(sys.argv[1]), sys.argv[2:]))
