"""The one module that runs ffmpeg: encode a stream of images, decode a video to check it,
make preview images. What to run is planned (argument lists compiled from ffmpeg-python
graphs) in `entrypoint.encode_plan`/`previews`; this module only runs and probes.

ffmpeg exits 0 on broken input (a missing frame ends the video early, a bad PNG is dropped,
no input rate means 25 fps), so callers always check `probe` against what they expected.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shlex
import shutil
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

from entrypoint.encode_plan import DecodedVideo
from entrypoint.errors import BadInput, TransientFailure

log = logging.getLogger(__name__)


@functools.cache
def ffmpeg_exe() -> str:
    """Debian's ffmpeg when installed (the container), else the one imageio-ffmpeg ships."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.cache
def _encoders() -> frozenset[str]:
    listing = _run([ffmpeg_exe(), "-hide_banner", "-encoders"], quiet=True)
    return frozenset(line.split()[1] for line in listing.splitlines() if line[:2] == " V")


def require_encoder(encoder: str, codec: str) -> None:
    if encoder not in _encoders():
        raise BadInput(
            f"{ffmpeg_exe()} has no {encoder} encoder, which --codec {codec} needs: "
            "pick another --codec or install an ffmpeg built with it"
        )


class Encoder:
    """ffmpeg encoding the images written to its standard input, in order.

    stderr goes to a file, not a pipe: a chatty ffmpeg would otherwise block on a full pipe
    while we block writing frames to it.
    """

    def __init__(self, command: list[str]) -> None:
        log.info("running (frames in order on stdin): %s", shlex.join(command))
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr
        )
        self.frames = 0

    def write(self, image: bytes) -> None:
        try:
            self._process.stdin.write(image)
        except BrokenPipeError:
            self.finish()  # raises with ffmpeg's own message
            raise TransientFailure("ffmpeg stopped reading frames: retry the job") from None
        self.frames += 1

    def finish(self) -> None:
        """Close the input and wait for the encode; raise if ffmpeg failed."""
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()
        code = self._process.wait()
        log.info("ffmpeg exited %d after %d frames", code, self.frames)
        if code != 0:
            raise TransientFailure(f"ffmpeg failed with exit code {code}: {self._tail()}")
        self._stderr.close()

    def abort(self) -> None:
        """Stop the encode at once (bad input was found): its output is thrown away."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        # Frames still buffered for the killed ffmpeg: closing flushes them into a dead pipe.
        # Left open, Python 3.13 flushes it when collected and prints a BrokenPipeError
        # traceback ("Exception ignored") after our own message.
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()
        self._stderr.close()

    def _tail(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return "\n".join(lines[-5:])


def probe(video: Path) -> DecodedVideo:
    """Decode every frame (ffprobe may be absent): their times, the time base and the size."""
    time_base, width, height, rows = _framecrc(video, ["-f", "framecrc", "-"], quiet=False)
    pts = tuple(r[0] for r in rows)
    return DecodedVideo(pts, tuple(r[1] for r in rows), time_base, width, height)


def packets(video: Path) -> tuple[DecodedVideo, bool]:
    """The video's packets read by stream copy, nothing decoded: their times in presentation
    order, and whether the first one (in decoding order) is a keyframe."""
    time_base, width, height, rows = _framecrc(video, ["-c", "copy", "-f", "framecrc", "-"])
    first_key = bool(rows) and rows[0][2]
    rows.sort()
    pts = tuple(r[0] for r in rows)
    return DecodedVideo(pts, tuple(r[1] for r in rows), time_base, width, height), first_key


def _framecrc(
    video: Path, output: list[str], quiet: bool = True
) -> tuple[Fraction, int, int, list[tuple[int, int, bool]]]:
    """ffmpeg's framecrc of the first video stream: time base, size, and per frame or packet
    (pts, duration, keyframe), in the order ffmpeg wrote them."""
    result = _run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(video)]
        + ["-map", "0:v:0", *output],
        quiet=quiet,
    )
    time_base, width, height, rows = Fraction(1), 0, 0, []
    for line in result.splitlines():
        if line.startswith("#tb 0:"):
            time_base = Fraction(line.split(":", 1)[1].strip())
        elif line.startswith("#dimensions 0:"):
            width, height = (int(v) for v in line.split(":", 1)[1].strip().split("x"))
        elif line and not line.startswith("#"):
            fields = [f.strip() for f in line.split(",")]
            # framecrc prints `F=0x..` only for flags other than "keyframe".
            rows.append((int(fields[2]), int(fields[3]), len(fields) < 7))
    return time_base, width, height, rows


def join(command: list[str]) -> None:
    """Run a planned stream-copy join (`encode_plan.join_command`)."""
    _run(command)


def make_picture(command: list[str]) -> None:
    """Run a planned command that writes one picture (`previews.poster_command`/`sheet_command`)."""
    _run(command)


def _run(command: list[str], quiet: bool = False) -> str:
    if not quiet:
        log.info("running: %s", shlex.join(command))
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if not quiet:
        log.info("ffmpeg exited %d", done.returncode)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise TransientFailure(f"ffmpeg failed with exit code {done.returncode}: {tail}")
    return done.stdout
