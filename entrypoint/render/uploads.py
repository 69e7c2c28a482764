"""Finished frames go to the output on a background thread while Blender renders the next one.

Blender releases the GIL while it renders, so a Python thread uploads at full speed in the
meantime. The queue is bounded: if the output is slower than the renders, rendering waits
instead of filling the local disk.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from entrypoint.errors import TransientFailure
from entrypoint.framecheck import Unreadable, check_whole
from entrypoint.layout import FRAME_TAGS, pass_key
from entrypoint.storage import Location

log = logging.getLogger(__name__)


class FrameUploader:
    """put_file(frame) then `on_uploaded(record)`, in order, one frame at a time.

    A frame's extra files (its proxy) go before the frame itself, so a frame in the output
    never lacks them for long and the manifest records the frame only once all are there."""

    def __init__(
        self, output: Location, on_uploaded: Callable[[dict], None], depth: int = 2
    ) -> None:
        self._output = output
        self._on_uploaded = on_uploaded
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._closed = False
        self._close_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="frame-uploader", daemon=True)
        self._thread.start()

    def submit(
        self, local: Path, key: str, record: dict, extra: list[tuple[Path, str]] | None = None
    ) -> None:
        """Queue a finished frame (and its extra (file, key) pairs); blocks while `depth`
        frames already wait."""
        self.raise_if_failed()
        self._queue.put(([*(extra or []), (local, key)], record))

    def raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Finish every queued upload, stop the thread, and raise the first upload error."""
        with self._close_lock:
            if not self._closed:
                self._closed = True
                self._queue.put(None)
                self._thread.join()
        self.raise_if_failed()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue  # a retry renders what was not uploaded
            files, record = item
            try:
                for local, key in files:
                    self._output.put_file(local, key, FRAME_TAGS)
                    local.unlink(missing_ok=True)
                self._on_uploaded(record)
            except BaseException as error:  # handed to the render loop, which stops
                log.error("upload of %s failed: %s", key, error)
                self._error = error


def put_passes(output: Location, folder: Path, frame: int) -> list[str]:
    """Upload what the kept File Output nodes wrote for `frame` under `folder`, then delete it.

    Keys come from the frame and the node's own file names, so a retry writes the same keys.
    """
    keys = []
    for local in sorted(p for p in folder.rglob("*") if p.is_file()):
        extension = local.suffix.lstrip(".").lower()
        if extension in ("png", "jpg", "jpeg", "exr"):
            try:
                check_whole(local.read_bytes(), extension)
            except Unreadable as error:
                local.unlink()
                raise TransientFailure(
                    f"frame {frame}: the File Output file {local.name} is incomplete ({error}); "
                    "nothing was uploaded for it. Check the free disk space; the job is retried"
                ) from None
        key = pass_key(frame, local.relative_to(folder).as_posix())
        output.put_file(local, key)
        local.unlink()
        keys.append(key)
    return keys
