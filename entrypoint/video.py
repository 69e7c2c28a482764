"""The one module that runs ffmpeg: encode an image sequence, and decode a video to check it.

ffmpeg exits 0 on broken input (a missing frame ends the video early, a bad PNG is dropped,
no input rate means 25 fps), so callers always check `probe` against what they expected.
"""

from __future__ import annotations

import functools
import logging
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from entrypoint.errors import TransientFailure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoFacts:
    frames: int
    rate: Fraction
    width: int
    height: int


@functools.cache
def ffmpeg_exe() -> str:
    """Debian's ffmpeg when installed (the container), else the one imageio-ffmpeg ships."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def encode_h264(pattern: Path, start_number: int, rate: Fraction, out: Path) -> None:
    """A contiguous numbered sequence -> H.264 yuv420p MP4 at exactly `rate` frames a second."""
    import ffmpeg

    stream = ffmpeg.input(
        str(pattern), framerate=f"{rate.numerator}/{rate.denominator}", start_number=start_number
    ).output(
        str(out),
        vcodec="libx264",
        pix_fmt="yuv420p",
        # yuv420p needs even sizes; pad instead of failing on odd resolutions.
        vf="pad=ceil(iw/2)*2:ceil(ih/2)*2",
        movflags="+faststart",
    )
    _run(stream.overwrite_output().compile(cmd=ffmpeg_exe()))


def probe(video: Path) -> VideoFacts:
    """Decode every frame (ffprobe may be absent) and report count, rate and size."""
    result = _run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            str(video),
            "-map",
            "0:v:0",
            "-f",
            "framecrc",
            "-",
        ],
    )
    time_base, width, height, durations = Fraction(1), 0, 0, []
    for line in result.splitlines():
        if line.startswith("#tb 0:"):
            time_base = Fraction(line.split(":", 1)[1].strip())
        elif line.startswith("#dimensions 0:"):
            width, height = (int(v) for v in line.split(":", 1)[1].strip().split("x"))
        elif line and not line.startswith("#"):
            durations.append(int(line.split(",")[3]))
    if not durations:
        return VideoFacts(0, Fraction(0), width, height)
    rate = 1 / (time_base * Fraction(max(set(durations), key=durations.count)))
    return VideoFacts(len(durations), rate, width, height)


def _run(command: list[str]) -> str:
    log.info("running: %s", shlex.join(command))
    done = subprocess.run(command, capture_output=True, text=True)
    log.info("ffmpeg exited %d", done.returncode)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise TransientFailure(f"ffmpeg failed with exit code {done.returncode}: {tail}")
    return done.stdout
