"""`python -m entrypoint render|stitch ...`: the container's command contract.

The edge: argv and environment are parsed once into frozen settings here; domain exceptions
become exit codes only here (2 = bad input, never retried; 1 = retryable; 143 = SIGTERM).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Callable

from entrypoint import allowances, encode_options, overrides
from entrypoint.errors import BadInput, BlendbatchError
from entrypoint.settings import RenderSettings, StitchSettings

log = logging.getLogger("entrypoint")


def _render(args: argparse.Namespace) -> None:
    from entrypoint.render.run import run_render

    run_render(
        RenderSettings(
            input_uri=args.input,
            output_uri=args.output,
            frames_per_job=args.frames_per_job,
            total_frames=args.total_frames,
            index=_env_int("AWS_BATCH_JOB_ARRAY_INDEX", 0),
            attempt=_env_int("AWS_BATCH_JOB_ATTEMPT", 1),
            host=socket.gethostname(),
            narrow_start=args.start,
            narrow_end=args.end,
            overrides=overrides.from_options(vars(args)),
            **{field: getattr(args, field) for field in allowances.FIELDS},
            deps_uri=args.deps,
            input_etag=args.input_etag,
            content_id=args.content_id,
            stop_grace=args.stop_grace,
            codec=args.codec,
            crf=args.crf,
        )
    )


def _stitch(args: argparse.Namespace) -> None:
    from entrypoint.stitch.run import run_stitch

    run_stitch(
        StitchSettings(
            input_uri=args.input,
            output_uri=args.output,
            codec=args.codec,
            crf=args.crf,
            name=args.name,
            allow_gaps=args.allow_gaps,
            reencode=args.reencode,
        )
    )


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "render": _render,
    "stitch": _stitch,
}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadInput(
            f"{name}={raw!r} is not a whole number: unset it or give 0, 1, 2, ... "
            "(AWS Batch sets it itself)"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m entrypoint",
        description="Render a slice of a Blender scene, or stitch rendered frames into a video.",
    )
    commands = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    render = commands.add_parser("render", help="render this array child's slice of frames")
    render.add_argument("-i", "--input", required=True, help=".blend: s3://bucket/key or a path")
    render.add_argument(
        "-o", "--output", required=True, help="output: s3://bucket/prefix or a folder"
    )
    render.add_argument(
        "-f", "--frames-per-job", type=int, required=True, help="frames each array child renders"
    )
    render.add_argument(
        "-t",
        "--total-frames",
        type=int,
        help="frame count the submission planned for (checked against the scene)",
    )
    _add_render_options(render)
    stitch = commands.add_parser("stitch", help="make the video from all rendered frames")
    stitch.add_argument("-i", "--input", required=True, help="the render output (frames/ inside)")
    stitch.add_argument("-o", "--output", required=True, help="where the video goes")
    _add_encode_options(stitch, encode_options.DEFAULT_CODEC)
    stitch.add_argument("--name", help="video file name (default output + the codec's suffix)")
    stitch.add_argument(
        "--allow-gaps",
        action="store_true",
        help="hold the previous frame in place of missing or unreadable ones (default: refuse)",
    )
    stitch.add_argument(
        "--reencode",
        action="store_true",
        help="encode every frame even when the render children's segments could be joined",
    )
    return parser


def _add_encode_options(parser: argparse.ArgumentParser, codec: str | None) -> None:
    """The encode options (encode_options.ENCODE_OPTIONS); render's default None: no segment."""
    for flag, spec in encode_options.ENCODE_OPTIONS.items():
        default = codec if flag == "--codec" else None
        parser.add_argument(flag, default=default, **spec)


def _add_render_options(render: argparse.ArgumentParser) -> None:
    add = render.add_argument
    add("--start", type=int, help="render only scene frames from this one on")
    add("--end", type=int, help="render only scene frames up to this one")
    for row in overrides.ROWS:
        if row.kind is bool:
            add(row.option, dest=row.name, action=argparse.BooleanOptionalAction, help=row.help)
        else:
            metavar = "|".join(row.choices) if row.choices else None
            add(row.option, dest=row.name, type=row.kind, metavar=metavar, help=row.help)
    for allowance in allowances.ALLOWANCES:
        add(allowance.option, action="store_true", help=allowance.help)
    add("--deps", help="dependency manifest (s3:// or a path): fetch the outside files it lists")
    add("--input-etag", help="the ETag the s3:// input must still have (exit 2 if replaced)")
    add(
        "--content-id",
        help="what the pixels' inputs are (sha256:HEX or etag:ETAG; default: sha256 of the .blend)",
    )
    add(
        "--stop-grace",
        type=float,
        default=20.0,
        help="seconds a SIGTERM waits for the frame in flight before abandoning it (default 20)",
    )
    # What stitch will encode: the child encodes its own slice the same way (segments/).
    _add_encode_options(render, None)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    args = build_parser().parse_args(argv)
    if args.command is None:
        print(f"usage: python -m entrypoint {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return BadInput.exit_code
    try:
        COMMANDS[args.command](args)
    except BlendbatchError as error:
        log.error("%s", error)
        return error.exit_code
    except Exception:
        log.exception("unexpected failure (exit 1, the job will be retried)")
        return BlendbatchError.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
