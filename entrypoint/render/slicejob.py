"""One attempt at one slice: resume, render frame by frame, upload behind, keep the slice
manifest current (entrypoint/manifest.py), and leave it true when stopped or failing."""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import threading
import time
from pathlib import Path

from entrypoint.errors import Terminated
from entrypoint.layout import PASSES_DIR, PROXIES_DIR, frame_key, manifest_key, proxy_key
from entrypoint.manifest import frames_to_render, previous_runs, slice_manifest
from entrypoint.overrides import extension_of
from entrypoint.render import blender, memory, proxies, versioncheck
from entrypoint.render.provenance import Provenance, check_frame_file
from entrypoint.render.stopping import StopSignal
from entrypoint.render.uploads import FrameUploader, put_passes

log = logging.getLogger(__name__)


class SliceJob:
    """One attempt at one slice: resume, render, upload behind, keep the manifest current."""

    def __init__(
        self, settings, output, scene, frames, effective, render_dir, before, made
    ) -> None:
        self.settings, self.output, self.scene, self.frames = settings, output, scene, frames
        self.made: Provenance = made
        self.effective, self.render_dir, self.present = effective, render_dir, before.present
        self.extension = extension_of(effective["file_format"])
        self.proxies = proxies.wants_proxy(self.extension)
        self.proxies_present = (before.proxies or {}) if self.proxies else None
        self.rendered, runs, unreadable = previous_runs(before.manifest)
        if unreadable:
            log.warning(
                "the slice's earlier manifest %s is unreadable (%s): its records cannot be "
                "trusted; rendering the slice's frames again",
                output.child_uri(manifest_key(settings.index)),
                unreadable,
            )
        self.run_record = {
            "attempt": settings.attempt,
            "host": settings.host,
            "started": _now(),
            "outcome": "running",
            "rendered": [],
            "skipped": [],
            "settings": effective,
        }
        self.runs = [*runs, self.run_record]
        self.manifest_lock = threading.Lock()
        self.commit_lock = threading.Lock()
        self.uploader = FrameUploader(output, self._uploaded)
        # The slice's segment (entrypoint/render/segment.py): sees each picture before its
        # upload; the record it made goes in the manifest.
        self.keeper = None
        self.segment: dict | None = None

    def run(self, stop: StopSignal) -> None:
        todo, done, why = frames_to_render(
            self.frames,
            self.present,
            self.rendered,
            fingerprint=self.made.fingerprint,
            blender=self.made.blender,
            proxies=self.proxies_present,
        )
        self.run_record["skipped"] = done
        versioncheck.say_resume(done, why, self.rendered, self.made.blender)
        try:
            for frame in todo:
                if stop.requested.is_set():
                    raise Terminated(f"terminated before frame {frame}; finished frames are saved")
                self.uploader.raise_if_failed()
                with stop.frame_in_flight():
                    log.info("frame %d: rendering", frame)
                    began = time.monotonic()
                    self.run_record["frame_peak"] = memory.start_frame()
                    path = blender.render_frame(frame)
                    proxy = self._proxy(frame)
                    seconds = time.monotonic() - began
                    peak = memory.frame_peak_bytes()
                self._commit(frame, path, seconds, proxy, peak)
            self.uploader.close()
        except Terminated:
            self._finish("terminated")
            raise
        except BaseException as error:
            self._finish(f"failed: {error}")
            raise
        self._finish("complete")

    def abandon(self) -> None:
        """From the SIGTERM watcher: keep the frame in flight out, save what is finished."""
        self.commit_lock.acquire()  # never released: the process exits
        self._finish("terminated (the frame in flight was abandoned)")
        shutil.rmtree(self.render_dir, ignore_errors=True)

    def _proxy(self, frame: int) -> Path | None:
        """OpenEXR frames: the display-referred PNG the video is made from."""
        if not self.proxies:
            return None
        return proxies.write_proxy(frame, self.render_dir.parent / PROXIES_DIR)

    def _commit(
        self, frame: int, path: Path, seconds: float, proxy: Path | None, peak: int
    ) -> None:
        size = check_frame_file(frame, path, self.extension)
        extra = []
        log.info("frame %d: %.2f s, %d bytes, peak memory %d MiB", frame, seconds, size, peak >> 20)
        record = {
            "frame": frame,
            "seconds": round(seconds, 3),
            "bytes": size,
            "attempt": self.settings.attempt,
            "host": self.settings.host,
            "fingerprint": self.made.fingerprint,
            "blender": self.made.blender,
            "checked": True,
            "peak_rss_bytes": peak,
        }
        if proxy is not None:
            record["proxy_bytes"] = check_frame_file(frame, proxy, proxies.PROXY_EXTENSION)
            extra.append((proxy, proxy_key(frame)))
        if self.settings.allow_file_output:
            passes = self.render_dir.parent / PASSES_DIR
            record["passes"] = put_passes(self.output, passes, frame) if passes.is_dir() else []
        if self.keeper is not None:
            self.keeper(frame, proxy or path)
        with self.commit_lock:
            self.uploader.submit(path, frame_key(frame, self.extension), record, extra)

    def _uploaded(self, record: dict) -> None:
        with self.manifest_lock:
            self.rendered.append(record | {"written": _now(precise=True)})
            self.run_record["rendered"].append(record["frame"])
            self._write_manifest()

    def record_segment(self, record: dict) -> None:
        with self.manifest_lock:
            self.segment = record
            self._write_manifest()

    def _finish(self, outcome: str) -> None:
        try:
            self.uploader.close()
        except BaseException as error:
            outcome = outcome if outcome.startswith("failed") else f"failed: {error}"
        with self.manifest_lock:
            self.run_record["outcome"] = outcome
            self.run_record["finished"] = _now()
            self.run_record.update(_process_usage())
            self._write_manifest()

    def _write_manifest(self) -> None:
        data = slice_manifest(
            index=self.settings.index,
            scene=self.scene,
            slice_frames=self.frames,
            extension=self.extension,
            rendered=self.rendered,
            skipped=self.run_record["skipped"],
            settings=self.effective,
            runs=self.runs,
            fingerprint=self.made.fingerprint,
            content_id=self.made.content_id,
            proxies=proxies.PROXY_EXTENSION if self.proxies else None,
            segment=self.segment,
        )
        self.output.put_bytes(data, manifest_key(self.settings.index))


def _process_usage() -> dict:
    """This process's age (Python and Blender start, scene load and every frame: what a scout
    on Batch reports as its wall time) and peak resident memory, for `blendbatch estimate`."""
    usage = {"peak_rss_bytes": memory.process_peak_bytes()}
    try:
        # Field 22 of /proc/self/stat: the start in clock ticks since boot (Linux only).
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        usage["process_seconds"] = round(time.clock_gettime(time.CLOCK_BOOTTIME) - started, 3)
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    return usage


def _now(*, precise: bool = False) -> str:
    moment = datetime.datetime.now(datetime.UTC)
    return moment.isoformat(timespec="microseconds" if precise else "seconds")
