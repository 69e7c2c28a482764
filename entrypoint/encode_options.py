"""The encode's options, declared once: `stitch` takes them (default h264); `render` takes them
to encode its own slice into a segment (without `--codec`: no segment); the submitter passes
the stitch's to both.

Pure: imports no bpy, boto3, ffmpeg or subprocess (the render child parses these at start-up;
`entrypoint.encode_plan` holds the codecs themselves and must name the same ones).
"""

from __future__ import annotations

CODEC_NAMES = ("h264", "h265", "prores", "vp9")
DEFAULT_CODEC = "h264"
ENCODE_OPTIONS = {
    "--codec": {
        "choices": list(CODEC_NAMES),
        "help": "h264/h265 (.mp4), prores (.mov), vp9 (.webm)",
    },
    "--crf": {"type": int, "help": "constant quality, lower is better (h264 18, h265 22, vp9 31)"},
}


def encode_argv(codec: str, crf: int | None) -> list[str]:
    """The encode options as arguments (for the render command: always names the codec)."""
    return ["--codec", codec] + ([] if crf is None else ["--crf", str(crf)])


def encode_options_of(args: tuple[str, ...] | list[str]) -> tuple[str, int | None]:
    """(codec, crf) that stitch arguments ask for (`--codec`, `--crf`; else the default)."""
    found: dict[str, str] = {}
    for flag, value in zip(args, args[1:], strict=False):
        if flag in ENCODE_OPTIONS:
            found[flag] = value
    crf = found.get("--crf")
    return found.get("--codec", DEFAULT_CODEC), None if crf is None else int(crf)
