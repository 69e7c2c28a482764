"""A render child's own encode of its slice: once every frame of the slice is in the output with
this render's fingerprint, the frames (or, for OpenEXR, their PNG proxies) become
`segments/slice-NNNNN.<ext>` with the stitch's codec settings, checked by its packets before it
is uploaded, and described in the slice manifest (entrypoint/segments.py), so the stitch can join
the segments instead of encoding every frame again.

Frames rendered by this attempt are kept (hard links) when queued for upload; frames an earlier
attempt made are downloaded. Either way they passed the whole-file check. A segment that cannot
be made is a WARNING, not a failure: the frames are safe and the stitch then encodes them all.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from entrypoint import encode_plan, segments, video
from entrypoint.errors import BadInput, TransientFailure
from entrypoint.framecheck import Unreadable, check_whole, image_size
from entrypoint.frames import frame_name, frame_rate
from entrypoint.layout import FRAMES_DIR, PROXIES_DIR, segment_key
from entrypoint.manifest import latest_records
from entrypoint.render import proxies
from entrypoint.settings import RenderSettings

log = logging.getLogger(__name__)


def check_options(settings: RenderSettings) -> None:
    """Refuse impossible encode options before anything is downloaded (as stitch would)."""
    if settings.codec is not None:
        encode_plan.quality_args(encode_plan.pick_codec(settings.codec), settings.crf)


class SegmentMaker:
    """Keeps the slice's pictures as they are queued, then encodes, checks and uploads them."""

    def __init__(self, settings: RenderSettings, job, workdir: Path) -> None:
        self.settings, self.job = settings, job
        self.codec = encode_plan.pick_codec(settings.codec)
        self.folder = workdir / "segment"
        self.folder.mkdir(exist_ok=True)
        self.kept: dict[int, Path] = {}

    def keep(self, frame: int, picture: Path) -> None:
        """Called before the uploader takes (and deletes) the picture the video shows."""
        target = self.folder / frame_name(frame, picture.suffix.lstrip("."))
        try:
            os.link(picture, target)
        except OSError:
            shutil.copyfile(picture, target)
        self.kept[frame] = target

    def make(self) -> None:
        """Encode the finished slice; a segment that cannot be made leaves the stitch to encode."""
        try:
            record = self._make()
        except (TransientFailure, BadInput, Unreadable) as error:
            log.warning("no segment for slice %d: %s", self.settings.index, error)
            return
        self.job.record_segment(record)

    def _make(self) -> dict:
        job, index = self.job, self.settings.index
        rate = frame_rate(job.scene["fps"], job.scene["fps_base"])
        encode_plan.check_rate(self.codec, rate, job.scene["fps"], job.scene["fps_base"])
        video.require_encoder(self.codec.encoder, self.codec.name)
        frames = list(job.frames)
        latest = latest_records([{"rendered": job.rendered}])
        fingerprint = segments.frames_fingerprint(latest, frames)
        extension = proxies.PROXY_EXTENSION if job.proxies else job.extension
        out = self.folder / segment_key(index, segments.segment_extension(self.codec))
        out.parent.mkdir(exist_ok=True)
        began = time.monotonic()
        stream = encode_plan.piped_frames(extension, rate)
        encoder = video.Encoder(
            encode_plan.encode_command(
                video.ffmpeg_exe(), stream, self.codec, self.settings.crf, str(out)
            )
        )
        try:
            size = None
            for frame in frames:
                data = self._picture(frame, latest.get(frame) or {}, extension)
                size = size or image_size(data, extension)
                encoder.write(data)
        except BaseException:
            encoder.abort()
            raise
        encoder.finish()
        self._verify(out, len(frames), rate)
        seconds = time.monotonic() - began
        job.output.put_file(out, segment_key(index, segments.segment_extension(self.codec)))
        log.info(
            "segment: %d frames encoded (%s) in %.2f s, %d bytes: %s (not frame render time)",
            len(frames),
            self.codec.name,
            seconds,
            out.stat().st_size,
            job.output.child_uri(segment_key(index, segments.segment_extension(self.codec))),
        )
        even = (size[0] + size[0] % 2, size[1] + size[1] % 2)
        return segments.segment_record(
            index=index,
            frames=frames,
            fingerprint=fingerprint,
            codec=self.codec,
            crf=encode_plan.quality_args(self.codec, self.settings.crf).get("crf"),
            size=even,
            rate=rate,
            size_bytes=out.stat().st_size,
            seconds=seconds,
        )

    def _picture(self, frame: int, record: dict, extension: str) -> bytes:
        """This attempt's kept picture, or the one an earlier attempt left in the output,
        checked whole and at its recorded size."""
        if frame in self.kept:
            data = self.kept[frame].read_bytes()
            self.kept.pop(frame).unlink()
            return data
        folder, size = (
            (PROXIES_DIR, record.get("proxy_bytes"))
            if self.job.proxies
            else (FRAMES_DIR, record.get("bytes"))
        )
        data = self.job.output.get_bytes(f"{folder}/{frame_name(frame, extension)}")
        if len(data) != size:
            raise TransientFailure(
                f"frame {frame}: {folder}/ holds {len(data)} bytes, its record says {size}"
            )
        check_whole(data, extension)
        return data

    def _verify(self, out: Path, frames: int, rate) -> None:
        """The segment's packets, read without decoding: count, times, a keyframe first."""
        packets, first_key = video.packets(out)
        problem = encode_plan.video_problem(packets, frames, rate)
        if problem is None and not first_key:
            problem = "it does not start on a keyframe"
        if problem:
            raise TransientFailure(f"the segment is wrong ({problem}); it was not uploaded")
        log.info("segment verified by its packets: %d frames at %s fps", frames, rate)
