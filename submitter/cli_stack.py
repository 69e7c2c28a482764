"""`blendbatch register` and `deploy`: the job definition and the AWS stack. They join the app
of `submitter.cli` through `add_to`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from entrypoint import blenderversions
from entrypoint.errors import BadInput
from submitter import jobdef, options


def register(
    image: Annotated[
        str,
        typer.Option(
            "--image",
            envvar="BLENDBATCH_IMAGE",
            help="the image by digest, REPOSITORY@sha256:... (`make push` prints it); a tag is "
            "refused",
        ),
    ],
    blender: Annotated[
        str | None,
        typer.Option(
            "--blender",
            help="the Blender version the image has (X.Y): registers BASE-blender-X-Y; default: "
            "the version the image's tag names, else the newest release",
        ),
    ] = None,
    base: Annotated[
        str,
        typer.Option(
            "--base",
            envvar="BLENDBATCH_JOB_DEFINITION",
            help="base name of the job definitions `submit` routes to",
        ),
    ] = jobdef.DEFAULT_NAME,
    name: Annotated[
        str | None,
        typer.Option("--name", help="a full job definition name instead of BASE-blender-X-Y"),
    ] = None,
    vcpus: Annotated[int, typer.Option("--vcpus", help="vCPUs per child")] = 4,
    memory: Annotated[int, typer.Option("--memory", help="MiB per child")] = 8192,
    gpus: Annotated[int, typer.Option("--gpus", help="GPUs per child (0: CPU rendering)")] = 0,
    timeout: Annotated[int, typer.Option("--timeout", help="seconds per attempt")] = 4 * 3600,
    attempts: Annotated[int, typer.Option("--attempts", help="attempts per child, 1-10")] = 3,
    job_role_arn: Annotated[
        str | None, typer.Option("--job-role-arn", help="IAM role the container runs as")
    ] = None,
    log_group: Annotated[
        str, typer.Option("--log-group", help="CloudWatch Logs group")
    ] = jobdef.DEFAULT_LOG_GROUP,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the request as JSON, call nothing")
    ] = False,
) -> None:
    """Register the job definition of one Blender version's image; an unchanged one is found and
    reused, not registered again."""
    version = _blender_version(blender, image)
    spec = jobdef.JobDefinitionSpec(
        image=image,
        vcpus=vcpus,
        memory_mib=memory,
        gpus=gpus,
        timeout_seconds=timeout,
        attempts=attempts,
        job_role_arn=job_role_arn,
        log_group=log_group,
        name=name or jobdef.name_for(base, version),
        blender=version,
    )
    request = jobdef.job_definition(spec)
    typer.echo(
        f"{request['jobDefinitionName']}: the image for Blender "
        f"{blenderversions.format_version(version)}{_why(blender, image)}",
        err=True,
    )
    if dry_run:
        typer.echo(json.dumps(request, indent=2))
        return
    from submitter import batch

    typer.echo(json.dumps(batch.register(request)))


def _blender_version(given: str | None, image: str) -> blenderversions.Version:
    """--blender, else the version the image's tag names, else the newest release."""
    try:
        if given is not None:
            return blenderversions.release(given).version
        tagged = jobdef.image_blender(image or "")
        return blenderversions.release(tagged or blenderversions.NEWEST.version).version
    except blenderversions.UnknownVersion as error:
        raise BadInput(f"--blender: {error}") from None


def _why(given: str | None, image: str) -> str:
    if given is not None:
        return ""
    if jobdef.image_blender(image or ""):
        return " (the version its tag names)"
    return " (the newest release; pass --blender X.Y for the image of another)"


def deploy(
    stack: Annotated[
        str, typer.Option("--stack", envvar="BLENDBATCH_STACK", help="CloudFormation stack name")
    ] = "blendbatch",
    parameter: Annotated[
        list[str] | None,
        typer.Option("-p", "--parameter", help="KEY=VALUE, a stack parameter; repeatable"),
    ] = None,
    template: Annotated[
        Path | None, typer.Option("--template", help="another template (default: ours)")
    ] = None,
    delete: Annotated[
        bool, typer.Option("--delete", help="delete the stack instead (the bucket is kept)")
    ] = False,
) -> None:
    """Create or update the AWS stack; print its outputs as the variables `submit` reads."""
    from submitter import deploy as stacks
    from submitter.stack.shipped import template_text

    say = functools.partial(typer.echo, err=True)
    if delete:
        kept = stacks.destroy(stack, say)
        if kept:
            say(
                f"kept bucket {kept} (your renders; it is versioned): to remove it, empty it "
                f"with the S3 console's Empty button, then `aws s3 rb s3://{kept}`"
            )
        return
    body = template.read_text() if template else template_text()
    outputs = stacks.deploy(stack, body, stacks.parse_parameters(parameter or []), say)
    typer.echo("\n".join(stacks.env_lines(outputs)))
    hint = stacks.next_step(outputs, stacks.parameters(stack), stack)
    if hint:
        say(hint)


def add_to(app: typer.Typer, edge: Callable[[Callable], Callable]) -> None:
    """Register the commands on `app`; `edge` maps our errors to exit codes."""
    for command in (register, deploy):
        app.command()(edge(options.with_aws(command)))
