"""The encode as data: which codec, which file name, the exact ffmpeg argument list, and
whether a decoded result is the video we asked for.

Pure: imports no bpy, boto3 or subprocess of its own. The argument list is built with
ffmpeg-python's graph API and compiled (`.compile()` runs nothing); `entrypoint.video` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import PurePosixPath

# ffmpeg-python 0.2.0 pulls in `future`/`past` (Python 2 shims) and subprocess (for its own
# run/probe, never called here) at import: ~50 ms alone, ~12 ms on top of the submitter's imports.
import ffmpeg

from entrypoint.errors import BadInput
from entrypoint.layout import VIDEO_STEM


@dataclass(frozen=True)
class Codec:
    name: str
    encoder: str
    suffix: str
    pix_fmt: str
    default_crf: int | None
    extra: tuple[tuple[str, str], ...] = ()
    max_rate: Fraction = Fraction(240_000)  # frames per second its container keeps apart


CODECS = {
    c.name: c
    for c in (
        # +faststart moves the index to the front: players start before the download ends.
        Codec("h264", "libx264", ".mp4", "yuv420p", 18, (("movflags", "+faststart"),)),
        # hvc1 is the tag Apple players require for HEVC in MP4.
        Codec(
            "h265",
            "libx265",
            ".mp4",
            "yuv420p",
            22,
            (("tag:v", "hvc1"), ("x265-params", "log-level=error"), ("movflags", "+faststart")),
        ),
        # ProRes 422 HQ is an intra-frame mastering codec: no CRF, quality by profile.
        Codec("prores", "prores_ks", ".mov", "yuv422p10le", None, (("profile:v", "3"),)),
        # VP9 is constant-quality only with -b:v 0; row-mt uses the cores on small frames.
        # WebM timestamps are milliseconds: above 1000 fps frames collide (measured).
        Codec(
            "vp9",
            "libvpx-vp9",
            ".webm",
            "yuv420p",
            31,
            (("b:v", "0"), ("row-mt", "1")),
            Fraction(1000),
        ),
    )
}
# Options of the container, not the encoder: a stream-copy join must set them again.
MUXER_OPTIONS = ("movflags", "tag:v")
# Image-pipe demuxers: they split a byte stream into frames by parsing the images themselves.
PIPE_DEMUXERS = {"png": "png_pipe", "jpg": "jpeg_pipe", "jpeg": "jpeg_pipe"}
# RGB -> YUV with the BT.709 matrix, tagged as such, so players show the render's brightness.
COLOR_TAGS = {"colorspace": "bt709", "color_primaries": "bt709", "color_trc": "bt709"}
# ffmpeg-python puts global options after the output (ffmpeg applies them wherever they are).
QUIET = ("-hide_banner", "-loglevel", "error")


def pick_codec(name: str) -> Codec:
    if name not in CODECS:
        raise BadInput(f"--codec {name!r} is not one of {', '.join(CODECS)}: pick one of those")
    return CODECS[name]


def output_name(name: str | None, codec: Codec) -> str:
    """`--name`: a plain file name; the codec's suffix is added when none is given."""
    if name is None:
        return VIDEO_STEM + codec.suffix
    path = PurePosixPath(name)
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise BadInput(f"--name {name!r} is not a plain file name: give e.g. shot{codec.suffix}")
    if not path.suffix:
        return name + codec.suffix
    if path.suffix.lower() != codec.suffix:
        raise BadInput(
            f"--name {name!r} ends in {path.suffix} but {codec.name} goes in a {codec.suffix} "
            f"file: name it {path.stem}{codec.suffix} or pick another --codec"
        )
    return name


def quality_args(codec: Codec, crf: int | None) -> dict[str, int]:
    """The quality option as ffmpeg-python keyword arguments; raises on an impossible request."""
    if codec.default_crf is None:
        if crf is not None:
            raise BadInput(f"{codec.name} has no CRF setting: drop --crf")
        return {}  # not {"crf": None}: ffmpeg-python writes a None value as a bare `-crf`
    crf = codec.default_crf if crf is None else crf
    top = 63 if codec.name == "vp9" else 51
    if not 0 <= crf <= top:
        raise BadInput(f"--crf {crf} is outside 0-{top} for {codec.name}: lower is better quality")
    return {"crf": crf}


def check_rate(codec: Codec, rate: Fraction, fps: object, fps_base: object) -> None:
    """Refuse a frame rate this codec's container cannot keep (frames would collide)."""
    if rate > codec.max_rate:
        others = ", ".join(c.name for c in CODECS.values() if rate <= c.max_rate)
        raise BadInput(
            f"the scene's frame rate (fps {fps} / fps_base {fps_base}) is {float(rate):g} frames "
            f"per second: {codec.name} plays at most {codec.max_rate}; pass --codec "
            f"{others.split(', ')[0]} ({others} can), or lower the scene's Frame Rate"
        )


def rate_arg(rate: Fraction) -> str:
    """`24000/1001`: ffmpeg assumes 25 fps unless told, and a decimal would drift."""
    return f"{rate.numerator}/{rate.denominator}"


def piped_frames(extension: str, rate: Fraction) -> ffmpeg.nodes.FilterableStream:
    """The frames, in order, as one stream of images on ffmpeg's standard input."""
    return ffmpeg.input("-", f=PIPE_DEMUXERS[extension.lower()], framerate=rate_arg(rate))


def numbered_frames(pattern: str, first: int, rate: Fraction) -> ffmpeg.nodes.FilterableStream:
    """Frame files named by a `%04d` pattern, from number `first` on, gap-free."""
    return ffmpeg.input(pattern, framerate=rate_arg(rate), start_number=first)


def encode_command(
    ffmpeg_exe: str, frames: ffmpeg.nodes.FilterableStream, codec: Codec, crf: int | None, out: str
) -> list[str]:
    """The argument list encoding `frames` into `out`, replacing any file of that name."""
    # yuv420p/yuv422p need even sizes: pad odd renders by one black row/column instead of failing.
    # ffmpeg-python escapes `:` and `=` inside an argument: pass each filter option on its own.
    video = frames.filter("pad", "ceil(iw/2)*2", "ceil(ih/2)*2").filter(
        "scale", out_color_matrix="bt709", out_range="tv"
    )
    options = {
        "c:v": codec.encoder,
        **quality_args(codec, crf),
        "pix_fmt": codec.pix_fmt,
        **COLOR_TAGS,
        **dict(codec.extra),
    }
    # ffmpeg-python sorts these by name; order within one output's options does not matter.
    output = video.output(out, **options).global_args(*QUIET).overwrite_output()
    return output.compile(cmd=ffmpeg_exe)


def join_command(ffmpeg_exe: str, concat_list: str, codec: Codec, out: str) -> list[str]:
    """Join the segments a concat list names by stream copy: no frame is decoded or encoded.

    The container's own options (fast start, the hvc1 tag) belong to the muxer, so they are
    given again; the encoder's are in the copied packets."""
    muxer = {k: v for k, v in codec.extra if k in MUXER_OPTIONS}
    joined = ffmpeg.input(concat_list, f="concat", safe=0).output(
        out, map="0:v:0", c="copy", **muxer
    )
    return joined.global_args(*QUIET).overwrite_output().compile(cmd=ffmpeg_exe)


@dataclass(frozen=True)
class DecodedVideo:
    """What decoding every frame of a video showed: presentation times in `time_base` units."""

    pts: tuple[int, ...]
    durations: tuple[int, ...]
    time_base: Fraction
    width: int
    height: int

    @property
    def frames(self) -> int:
        return len(self.pts)

    @property
    def seconds(self) -> Fraction:
        if not self.pts:
            return Fraction(0)
        return (self.pts[-1] - self.pts[0] + self.durations[-1]) * self.time_base

    @property
    def rate(self) -> Fraction:
        """Frames per second over the whole video (exact when the time base allows it)."""
        return Fraction(self.frames) / self.seconds if self.seconds else Fraction(0)


def video_problem(video: DecodedVideo, frames: int, rate: Fraction) -> str | None:
    """Why `video` is not `frames` frames at exactly `rate`, or None when it is.

    Containers round timestamps to their time base (WebM counts milliseconds), so each
    frame's time may be off by one tick, never more.
    """
    if video.frames != frames:
        return f"it has {video.frames} frames, not {frames}"
    start = video.pts[0]
    for i, pts in enumerate(video.pts):
        if abs((pts - start) * video.time_base - i / rate) > video.time_base:
            return f"frame {i} is shown at {(pts - start) * video.time_base} s, not {i / rate} s"
    if abs(video.seconds - frames / rate) > 2 * video.time_base:
        return f"it plays at {video.rate} fps, not {rate}"
    return None
