"""Which job definition renders a file on AWS Batch: the one whose image has the file's Blender.

Pure: imports no bpy, boto3 or subprocess. The rule is entrypoint/blenderversions.py's, the same
the render child applies: a file renders in a Blender whose major.minor is at least the file's
saved-by version. `submit` names the job definition `<base>-blender-X-Y` for the oldest
supported release that qualifies (the file's own when it is supported); the base is `-d`'s
default or BLENDBATCH_JOB_DEFINITION. An explicit `-d NAME` turns routing off, and a name that
ends in `-blender-X-Y` is still checked against the file. `--blender X.Y` picks a release.
A refusal happens here, before any job exists; `--allow-older-blender` lets it through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from entrypoint import blenderversions as bv
from entrypoint.blenderversions import Version
from entrypoint.errors import BadInput
from submitter import jobdef

# What a dry run shows where the version is read from the file in S3 at the real submit.
AT_SUBMIT = "<resolved at submit>"


@dataclass(frozen=True)
class Route:
    job_definition: str
    blender: Version | None  # the Blender that definition runs; None: unknown (a plain -d name)
    why: str  # one line for people: what chose it
    # Submit may take the nearest newer registered `<base>-blender-X-Y` when this one is not
    # registered: only when the choice was blendbatch's, not the user's (-d, --blender).
    may_go_newer: bool = False
    base: str = ""

    def as_json(self) -> dict:
        return {
            "jobDefinition": self.job_definition,
            "blender": bv.format_version(self.blender) if self.blender else None,
            "why": self.why,
        }


def choose(
    saved_by: Version | None,
    *,
    base: str,
    explicit: str | None = None,
    blender: str | None = None,
    allow_older: bool = False,
) -> Route:
    """The job definition for a file saved by `saved_by` (None: not read yet, a dry run of an
    s3:// input). `explicit`: the name `-d` gave; `blender`: `--blender`'s text."""
    if explicit is not None:
        return _explicit(saved_by, explicit, blender, allow_older)
    if blender is not None:
        version = _supported(blender)
        if saved_by is not None and not allow_older and not bv.can_render(saved_by, version):
            raise BadInput(
                f"the file was saved by Blender {bv.format_version(saved_by)} and --blender "
                f'{blender} is older: Blender opens a newer file with "expect loss of data" '
                f"and may render it wrong; leave --blender out (the file's own Blender is "
                f"picked), give --blender {bv.format_version(saved_by)} or newer, or pass "
                "--allow-older-blender"
            )
        return Route(bv.job_definition_name(base, version), version, f"--blender {blender}")
    if saved_by is None:
        return Route(
            f"{base}-blender-{AT_SUBMIT}",
            None,
            "the file's Blender is read from its header in S3 at submit",
            may_go_newer=True,
            base=base,
        )
    saved = bv.format_version(saved_by)
    fitting = bv.for_file(saved_by)
    if fitting is None:
        if not allow_older:
            raise BadInput(newer_than_all(saved_by))
        version = bv.NEWEST.version
        why = (
            f"saved by Blender {saved}, newer than every supported Blender: the newest, "
            f"{bv.NEWEST.name}, with --allow-older-blender"
        )
    else:
        version = fitting.version
        why = f"saved by Blender {saved}"
        if version != saved_by:
            why += f"; the oldest supported Blender that renders it is {fitting.name}"
    name = bv.job_definition_name(base, version)
    return Route(name, version, why, may_go_newer=True, base=base)


def from_options(
    job_definition: str,
    *,
    typed: bool,
    blender: str | None,
    saved_by: Version | None,
    allow_older: bool,
) -> Route:
    """`submit`'s choice from its options: -d typed on the command line (`typed`) names the
    job definition itself; its default or BLENDBATCH_JOB_DEFINITION is the base of the routed
    name, unless that already names one definition: it ends in -blender-X-Y, or it is an ARN
    or NAME:REVISION (what a stack deployed before routing wrote there)."""
    explicit = typed or ":" in job_definition or _version_of(job_definition) is not None
    return choose(
        saved_by,
        base=job_definition,
        explicit=job_definition if explicit else None,
        blender=blender,
        allow_older=allow_older,
    )


def check_local(saved_by: Version, bpy_version: str | None, allow_older: bool) -> None:
    """`run` has one Blender, the installed bpy (`bpy_version`, None: not found, and the
    children will say so): refuse a file saved by a newer one."""
    if bpy_version is None or allow_older:
        return
    local = bv.parse_version(bpy_version)
    if bv.can_render(saved_by, local):
        return
    saved = bv.format_version(saved_by)
    fitting = bv.for_file(saved_by)
    install = (
        f"install bpy {fitting.bpy} (Python {fitting.python}) and run again"
        if fitting
        else f"update blendbatch to one that supports Blender {saved}"
    )
    raise BadInput(
        f"the file was saved by Blender {saved} but this machine's Blender is "
        f"{bv.format_version(local)} (bpy {bpy_version}, the installed package), which may "
        f"render it wrong: {install}, or pass --allow-older-blender"
    )


def newer_than_all(saved_by: Version) -> str:
    saved = bv.format_version(saved_by)
    return (
        f"the file was saved by Blender {saved}, {bv.newer_than_every_image(saved_by)}, or "
        f"pass --allow-older-blender to render it in Blender {bv.NEWEST.name} (what {saved} "
        "added may be lost)"
    )


def _explicit(saved_by: Version | None, name: str, blender: str | None, allow_older: bool) -> Route:
    if blender is not None:
        raise BadInput(
            f"-d {name} names the job definition itself and --blender {blender} picks one of "
            "BASE-blender-X-Y: pass only one (without -d the base is BLENDBATCH_JOB_DEFINITION "
            f"or {jobdef.DEFAULT_NAME!r})"
        )
    version = _version_of(name)
    if version is None:
        return Route(name, None, f"-d {name}: not routed")
    if saved_by is not None and not allow_older and not bv.can_render(saved_by, version):
        saved = bv.format_version(saved_by)
        wanted = bv.for_file(saved_by)
        fix = (
            f"use the job definition for Blender {wanted.name} (leave -d out to route by the "
            f"file's version; `blendbatch register --blender {wanted.name}` registers it)"
            if wanted
            else "update blendbatch"
        )
        raise BadInput(
            f"the file was saved by Blender {saved} but job definition {name} runs Blender "
            f"{bv.format_version(version)}, which may render it wrong: {fix}, or pass "
            "--allow-older-blender"
        )
    return Route(name, version, f"-d {name}: not routed")


def _version_of(reference: str) -> Version | None:
    """The Blender of a job definition given by name, NAME:REVISION or ARN."""
    return bv.job_definition_version(reference.rsplit("/", 1)[-1].split(":")[0])


def _supported(text: str) -> Version:
    try:
        return bv.release(text).version
    except bv.UnknownVersion as error:
        raise BadInput(f"--blender {text}: {error}") from None


def candidates(route: Route) -> list[tuple[str, Version]]:
    """The definitions submit may use, in order: the routed one, then (when blendbatch chose
    it) each newer supported release's."""
    if route.blender is None:
        return []
    if not route.may_go_newer:
        return [(route.job_definition, route.blender)]
    newer = [r.version for r in bv.RELEASES if r.version >= route.blender]
    return [(bv.job_definition_name(route.base, v), v) for v in newer]


def resolve(route: Route, registered: Callable[[str], bool], say: Callable[[str], None]) -> Route:
    """The route to a registered (ACTIVE) definition: the chosen one, else (when blendbatch
    chose it) the nearest newer one, said on `say`; else a refusal naming `register`.

    A plain `-d` name is not looked up: Batch's own refusal names it.
    """
    names = candidates(route)
    for name, version in names:
        if registered(name):
            if name != route.job_definition:
                say(
                    f"note: job definition {route.job_definition} (Blender "
                    f"{bv.format_version(route.blender)}) is not registered; using {name}, "
                    f"the nearest newer one (Blender {bv.format_version(version)})"
                )
                why = f"{route.why}; {route.job_definition} is not registered"
                return Route(name, version, why, route.may_go_newer, route.base)
            return route
    if not names:
        return route
    wanted = bv.format_version(route.blender)
    also = " nor a newer one" if len(names) > 1 else ""
    name_option = "" if route.base in ("", jobdef.DEFAULT_NAME) else f" --base {route.base}"
    raise BadInput(
        f"job definition {route.job_definition} (Blender {wanted}){also} is not registered "
        f"(ACTIVE) in this account and region: register it with `blendbatch register "
        f"--blender {wanted}{name_option} --image REPOSITORY@sha256:...` (the image for Blender "
        f"{wanted}: make image BLENDER={wanted}, then make push), or pass -d NAME"
    )
