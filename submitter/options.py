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
from pathlib import Path
from typing import Annotated, Any

import typer

from entrypoint import allowances, encode_options, encode_plan, overrides
from entrypoint.errors import BadInput

Opt = typer.Option
DEFAULT_CODEC = encode_options.DEFAULT_CODEC


def completer(words: tuple[str, ...]) -> Callable[[str], list[str]]:
    """The shell's completions for a choice: the words that start like what was typed, in any
    case (the checks take any case too). typer keeps only completions that start with exactly
    what was typed, so the typed part is kept as typed: `C` completes to `Cycles`."""

    def complete(incomplete: str) -> list[str]:
        return [
            incomplete + word[len(incomplete) :]
            for word in words
            if word.lower().startswith(incomplete.lower())
        ]

    return complete


FRAMES_PER_JOB_HELP = "frames per child, or auto (from `blendbatch estimate`)"
FramesPerJob = Annotated[str, Opt("-f", "--frames-per-job", help=FRAMES_PER_JOB_HELP)]
TargetMinutes = Annotated[float, Opt("--target-minutes", help="-f auto: minutes per child")]
Frames = Annotated[str | None, Opt("--frames", help="scene frames A-B to render")]
Codec = Annotated[
    str,
    Opt(
        "--codec",
        help="h264, h265 (.mp4), prores (.mov), vp9 (.webm)",
        metavar="|".join(encode_plan.CODECS),
        autocompletion=completer(tuple(encode_plan.CODECS)),
    ),
]
Crf = Annotated[int | None, Opt("--crf", help="constant quality, lower is better")]
VideoName = Annotated[
    str | None, Opt("--video-name", help="the video's file name (default: output + suffix)")
]
Fresh = Annotated[
    bool, Opt("--fresh", help="delete <output>/<name>'s frames and manifests first, then render")
]
NoVideo = Annotated[
    bool, Opt("--no-video", help="frames only: no stitch, no video (e.g. OpenEXR for compositing)")
]
AllowGaps = Annotated[
    bool, Opt("--allow-gaps", help="hold the previous frame where one is missing (said loudly)")
]

# The default of a command's `overrides` parameter, which `with_overrides` replaces.
FROM_TABLE = overrides.Overrides()
# What a command declares as `allow: dict[str, bool] = ALLOW_FROM_TABLE`: `with_overrides`
# replaces it by one option per `--allow-*` flag (entrypoint/allowances.py).
ALLOW_FROM_TABLE: dict[str, bool] = {}


def _typer_option(row: overrides.Row) -> Any:
    if row.kind is bool:
        return Annotated[bool | None, Opt(f"{row.option}/--no-{row.option[2:]}", help=row.help)]
    if not row.choices:
        return Annotated[row.kind | None, Opt(row.option, help=row.help)]
    # Not click.Choice: the row's check takes aliases and any case (`exr`, `Cycles`) and
    # refuses with the child's own message; the metavar shows the words, the shell completes them.
    return Annotated[
        row.kind | None,
        Opt(
            row.option,
            help=row.help,
            metavar="|".join(row.choices),
            autocompletion=completer(row.choices),
        ),
    ]


def with_overrides(command: Callable) -> Callable:
    """Replace `command`'s `overrides` parameter by one option per override row, and its
    `allow` parameter (if any) by one option per `--allow-*` flag, handed over as a dict.

    typer reads the options from `inspect.signature`, so the wrapper shows it the generated
    signature; every parameter becomes keyword-only, as click passes them all by name.
    """
    keyword = inspect.Parameter.KEYWORD_ONLY
    params: list[inspect.Parameter] = []
    takes_allow = False
    for param in inspect.signature(command, eval_str=True).parameters.values():
        if param.name == "overrides":
            params += [
                inspect.Parameter(row.name, keyword, default=None, annotation=_typer_option(row))
                for row in overrides.ROWS
            ]
        elif param.name == "allow":
            takes_allow = True
            params += [
                inspect.Parameter(
                    a.field,
                    keyword,
                    default=False,
                    annotation=Annotated[bool, Opt(a.option, help=a.short_help)],
                )
                for a in allowances.ALLOWANCES
            ]
        else:
            params.append(param.replace(kind=keyword))

    @functools.wraps(command)
    def wrapper(**options: Any) -> Any:
        values = {row.name: options.pop(row.name) for row in overrides.ROWS}
        if takes_allow:
            options["allow"] = {field: bool(options.pop(field)) for field in allowances.FIELDS}
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


# boto3 reads AWS_PROFILE and AWS_DEFAULT_REGION itself (an option given outranks them); it
# does not read AWS_REGION, which the aws CLI and the other SDKs prefer, so --region does.
Profile = Annotated[
    str | None,
    Opt(
        "--profile",
        help="AWS profile from ~/.aws/config (default: $AWS_PROFILE, else the default profile)",
        show_default=False,
    ),
]
Region = Annotated[
    str | None,
    Opt(
        "--region",
        envvar="AWS_REGION",
        show_envvar=True,
        help="AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION, else the profile's)",
        show_default=False,
    ),
]


def with_aws(command: Callable) -> Callable:
    """Give a command that calls AWS `--profile` and `--region`: every client it builds uses them.

    Option > environment (AWS_PROFILE; AWS_REGION, then AWS_DEFAULT_REGION, as the aws CLI
    reads them) > the profile's configuration. No short forms: `-p` is `deploy --parameter`.
    Without either, boto3 finds everything itself and the clients are those tests stub.
    """
    keyword = inspect.Parameter.KEYWORD_ONLY
    added = [
        inspect.Parameter("profile", keyword, default=None, annotation=Profile),
        inspect.Parameter("region", keyword, default=None, annotation=Region),
    ]
    params = [
        p.replace(kind=keyword)
        for p in inspect.signature(command, eval_str=True).parameters.values()
    ]

    @functools.wraps(command)
    def wrapper(**options: Any) -> Any:
        from submitter import aws

        aws.use(profile=options.pop("profile"), region=options.pop("region"))
        return command(**options)

    wrapper.__signature__ = inspect.Signature(params + added)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {param.name: param.annotation for param in params + added}
    return wrapper


# Where submit puts things in the stack's bucket when -i/-o are not given.
SCENES_PREFIX = "scenes"
RENDERS_PREFIX = "renders"

Bucket = Annotated[
    str | None,
    Opt(
        "--bucket",
        envvar="BLENDBATCH_BUCKET",
        show_envvar=True,
        help=f"the bucket for defaults: -o s3://BUCKET/{RENDERS_PREFIX}, and with --upload "
        f"-i s3://BUCKET/{SCENES_PREFIX}/<file name>",
    ),
]


def default_output(bucket: str | None, needs: str) -> str:
    """`s3://BUCKET/renders`, the output when none is given."""
    if not bucket:
        raise BadInput(
            f"{needs}: pass -o s3://BUCKET/PREFIX, or --bucket BUCKET (or set "
            "BLENDBATCH_BUCKET, which `blendbatch deploy` prints)"
        )
    return f"s3://{_bucket_name(bucket)}/{RENDERS_PREFIX}"


def locations(
    input_uri: str | None, output_uri: str | None, upload: Path | None, bucket: str | None
) -> tuple[str, str]:
    """(-i, -o) of submit: the options, else from the bucket (option > BLENDBATCH_BUCKET)."""
    output = output_uri or default_output(bucket, "where should the results go")
    if input_uri:
        return input_uri, output
    if upload is None or not bucket:
        raise BadInput(
            "which .blend: pass -i s3://BUCKET/KEY, or --upload LOCAL.blend with --bucket "
            "BUCKET (or BLENDBATCH_BUCKET)"
        )
    return f"s3://{_bucket_name(bucket)}/{SCENES_PREFIX}/{upload.name}", output


def _bucket_name(bucket: str) -> str:
    name = bucket.removeprefix("s3://").strip("/")
    if not name or "/" in name:
        raise BadInput(f"--bucket {bucket!r}: give a bucket name (BLENDBATCH_BUCKET), no prefix")
    return name


def parse_pairs(items: list[str], option: str, example: str = "project=film") -> dict[str, str]:
    """`k=v` options (`--tag`, `--env`, deploy's `-p`) -> a dict; later repeats win."""
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInput(f"{option} {item!r} is not KEY=VALUE: write e.g. {option} {example}")
        pairs[key] = value
    return pairs
