"""Options `submit` and `run` share, and how they become the children's arguments.

The render overrides come from the one override table (`entrypoint.overrides.ROWS`): the
`with_overrides` decorator gives a command one typer option per row and hands it one checked
`Overrides`, so a bad value fails with the child's own message before any job or process
exists. The stitch options are checked here first for the same reason.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from entrypoint import encode_plan, overrides

Opt = typer.Option
DEFAULT_CODEC = "h264"

Frames = Annotated[str | None, Opt("--frames", help="scene frames A-B to render")]
AllowScripts = Annotated[bool, Opt("--allow-scripts", help="run the file's Python (trusted)")]
AllowMissing = Annotated[
    bool, Opt("--allow-missing", help="render even if outside files are missing (said loudly)")
]
AllowFileOutput = Annotated[
    bool,
    Opt("--allow-file-output", help="keep the file's File Output nodes (files under passes/)"),
]
AllowUnbaked = Annotated[
    bool, Opt("--allow-unbaked", help="render unbaked simulations (frames depend on -f)")
]
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

# The default of a command's `overrides` parameter, which `with_overrides` replaces.
FROM_TABLE = overrides.Overrides()


def _typer_option(row: overrides.Row) -> Any:
    if row.kind is bool:
        return Annotated[bool | None, Opt(f"{row.option}/--no-{row.option[2:]}", help=row.help)]
    metavar = "|".join(row.choices) if row.choices else None
    return Annotated[row.kind | None, Opt(row.option, help=row.help, metavar=metavar)]


def with_overrides(command: Callable) -> Callable:
    """Replace `command`'s `overrides` parameter by one option per override row.

    typer reads the options from `inspect.signature`, so the wrapper shows it the generated
    signature; every parameter becomes keyword-only, as click passes them all by name.
    """
    keyword = inspect.Parameter.KEYWORD_ONLY
    params: list[inspect.Parameter] = []
    for param in inspect.signature(command, eval_str=True).parameters.values():
        if param.name == "overrides":
            params += [
                inspect.Parameter(row.name, keyword, default=None, annotation=_typer_option(row))
                for row in overrides.ROWS
            ]
        else:
            params.append(param.replace(kind=keyword))

    @functools.wraps(command)
    def wrapper(**options: Any) -> Any:
        values = {row.name: options.pop(row.name) for row in overrides.ROWS}
        return command(**options, overrides=overrides.from_options(values))

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {param.name: param.annotation for param in params}
    return wrapper


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
