"""The `--allow-*` flags: what a user lets a render do that blendbatch refuses by default.

Pure: imports no bpy, boto3 or subprocess. Each flag is declared once here; the render
command's options, the submitter's options, the child's argv and the fingerprint's flags are
derived from this table. Every flag can change the frames, so every flag is in the fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Allowance:
    field: str  # the attribute on RenderSettings / RenderPlan, e.g. "allow_scripts"
    help: str  # the render command's help
    short_help: str  # the submitter's help
    # A flag added after fingerprints existed enters the fingerprint only when it is on, so
    # frames rendered before it existed keep their fingerprint.
    in_fingerprint_when_off: bool = True

    @property
    def option(self) -> str:
        return "--" + self.field.replace("_", "-")


ALLOWANCES: tuple[Allowance, ...] = (
    Allowance(
        "allow_scripts",
        "run the .blend's Python (text blocks, Python drivers, OSL): only for files you trust",
        "run the file's Python (trusted)",
    ),
    Allowance(
        "allow_missing",
        "render even if outside files are missing (recorded in the manifest)",
        "render even if outside files are missing (said loudly)",
    ),
    Allowance(
        "allow_file_output",
        "keep the compositor's File Output nodes; their files go under the output's passes/",
        "keep the file's File Output nodes (files under passes/)",
    ),
    Allowance(
        "allow_unbaked",
        "render unbaked simulations (each child simulates from its own first frame)",
        "render unbaked simulations (frames depend on -f)",
    ),
    Allowance(
        "allow_older_blender",
        "render a file saved by a newer Blender than this one (what it added may be lost)",
        "render in an older Blender than the file's (may lose data)",
        in_fingerprint_when_off=False,
    ),
)
FIELDS: tuple[str, ...] = tuple(a.field for a in ALLOWANCES)


def of(thing: object) -> dict[str, bool]:
    """The flags of anything that carries them (settings, a plan), by field name."""
    return {field: bool(getattr(thing, field)) for field in FIELDS}


def fingerprint_flags(flags: dict[str, bool]) -> dict[str, bool]:
    """The flags as the fingerprint hashes them (see `in_fingerprint_when_off`)."""
    return {
        a.field: bool(flags.get(a.field, False))
        for a in ALLOWANCES
        if a.in_fingerprint_when_off or flags.get(a.field, False)
    }


def argv(thing: object) -> list[str]:
    """The options that pass `thing`'s flags on to a render child, in table order."""
    return [a.option for a in ALLOWANCES if getattr(thing, a.field)]
