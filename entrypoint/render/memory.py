"""Peak resident memory per frame, read from Linux's /proc (no bpy).

`VmHWM` in /proc/self/status is the process's peak resident set so far. Writing "5" to
/proc/self/clear_refs (Linux 4.0+) resets it to the current resident set, so a reset before a
frame makes the next reading that frame's own peak. Where the kernel refuses the write (not
Linux, or a locked-down /proc) the reading stays the process's peak up to that frame, and
`start_frame` says so. The reset also lowers what getrusage reports as `ru_maxrss`, so the
process's peak is kept here across resets (`process_peak_bytes`).
"""

from __future__ import annotations

import re
import resource
from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")
_RESET_PEAK = "5"
_seen = 0  # the highest peak read before a reset lowered it


def start_frame() -> str:
    """Start a frame's peak; returns what `frame_peak_bytes` will measure: "frame" when the
    kernel reset the peak, "process" when it refused (the process's peak so far)."""
    global _seen
    _seen = max(_seen, _vm_hwm() or 0)
    try:
        CLEAR_REFS.write_text(_RESET_PEAK)
    except OSError:
        return "process"
    return "frame"


def frame_peak_bytes() -> int:
    """The peak resident set since `start_frame` (or of the process, see there)."""
    peak = _vm_hwm()
    return peak if peak is not None else _rusage_peak()


def process_peak_bytes() -> int:
    """The process's peak resident set, whatever the per-frame resets lowered."""
    return max(_seen, _vm_hwm() or 0, _rusage_peak())


def _vm_hwm() -> int | None:
    try:
        found = re.search(r"^VmHWM:\s+(\d+) kB", STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) * 1024 if found else None


def _rusage_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
