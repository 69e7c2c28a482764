"""Options `submit` and `run` share, and how they become the children's arguments.

The render overrides and the stitch options are passed through to `python -m entrypoint`;
the stitch options are checked here first, so a bad one fails before any job exists.
"""

from __future__ import annotations

from typing import Annotated

import typer

from entrypoint import encode_plan

Opt = typer.Option
DEFAULT_CODEC = "h264"

Frames = Annotated[str | None, Opt("--frames", help="scene frames A-B to render")]
Scene = Annotated[str | None, Opt("--scene", help="scene name (default: saved active)")]
Engine = Annotated[str | None, Opt("--engine", help="cycles, eevee or workbench")]
Samples = Annotated[int | None, Opt("--samples", help="render samples")]
ResolutionPercent = Annotated[int | None, Opt("--resolution-percent", help="1-1000")]
Format = Annotated[str | None, Opt("--format", help="PNG (default), JPEG or OpenEXR")]
Threads = Annotated[int | None, Opt("--threads", help="render threads per child")]
Camera = Annotated[str | None, Opt("--camera", help="camera object to render through")]
Device = Annotated[str | None, Opt("--device", help="cpu, cuda, optix, hip, oneapi or auto")]
AllowScripts = Annotated[bool, Opt("--allow-scripts", help="run the file's Python (trusted)")]
Codec = Annotated[str, Opt("--codec", help="h264, h265 (.mp4), prores (.mov), vp9 (.webm)")]
Crf = Annotated[int | None, Opt("--crf", help="constant quality, lower is better")]
VideoName = Annotated[
    str | None, Opt("--video-name", help="the video's file name (default: output + suffix)")
]
Fresh = Annotated[
    bool, Opt("--fresh", help="delete <output>/<name>'s frames and manifests first, then render")
]
AllowGaps = Annotated[
    bool, Opt("--allow-gaps", help="hold the previous frame where one is missing (said loudly)")
]


def render_args(**options: object) -> tuple[str, ...]:
    """Render overrides for `python -m entrypoint render`, in a fixed order."""
    args: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is not None and value is not False:
            args += [flag, str(value)]
    return tuple(args)


def stitch_args(
    codec: str, crf: int | None, video_name: str | None, allow_gaps: bool
) -> tuple[tuple[str, ...], str]:
    """(stitch arguments, the video's file name), checked as stitch will check them."""
    chosen = encode_plan.pick_codec(codec)
    encode_plan.quality_args(chosen, crf)
    name = encode_plan.output_name(video_name, chosen)
    args = [] if codec == DEFAULT_CODEC else ["--codec", codec]
    if name != encode_plan.output_name(None, chosen):
        args += ["--name", name]
    if crf is not None:
        args += ["--crf", str(crf)]
    if allow_gaps:
        args.append("--allow-gaps")
    return tuple(args), name
