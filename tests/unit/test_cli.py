"""The `blendbatch` command line as a user meets it before any AWS call: every help screen,
the version, the choices shells complete, --profile/--region where AWS is called, and the
defaults BLENDBATCH_BUCKET gives. Through typer's runner; no AWS, no Blender."""

from __future__ import annotations

import json
import re

import pytest
import typer
from typer.testing import CliRunner

from submitter import aws
from submitter.cli import app

COMMANDS = sorted(typer.main.get_command(app).commands)
AWS_COMMANDS = {
    *(
        "submit",
        "status",
        "watch",
        "logs",
        "cancel",
        "register",
        "deploy",
        "ls",
        "get",
        "report",
        "estimate",
    )
}
runner = CliRunner()


def invoke(*args: str, env: dict | None = None):
    result = runner.invoke(app, list(args), prog_name="blendbatch", env=env)
    aws.use()  # a --profile/--region given here must not outlive the invocation
    return result


def test_the_commands_are_the_ones_this_file_knows():
    assert set(COMMANDS) == AWS_COMMANDS | {"run", "deps", "estimate"}


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_every_help_screen_shows(command):
    # When the user asks any command for help
    result = invoke(*([command] if command else []), "--help")
    # Then it is printed whole, naming the command as it is typed
    assert result.exit_code == 0, result.output
    assert f"Usage: blendbatch {command}".rstrip() in result.output
    assert "--help  " in result.output and "Show this message and exit." in result.output


def test_help_shows_the_text_as_written():
    # `[/PREFIX]` once read as rich markup and crashed the help screen
    result = invoke("submit", "--help")
    assert "s3://BUCKET[/PREFIX]" in result.output


def test_version():
    from importlib.metadata import version

    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"blendbatch {version('blendbatch')}\n"


@pytest.mark.parametrize("command", ["submit", "run"])
def test_help_shows_the_choices(command):
    result = invoke(command, "--help")
    for shown in (
        "--engine cycles|eevee|workbench",
        "--format PNG|JPEG|OpenEXR",
        "--device cpu|cuda|optix|hip|oneapi|auto",
        "--codec h264|h265|prores|vp9",
    ):
        assert shown in result.output


COMPLETIONS = [
    ("engine-any-case", "run --engine C", ["Cycles"]),
    ("engine-all", "submit --engine ", ["cycles", "eevee", "workbench"]),
    ("format", "run --format o", ["openEXR"]),
    ("device", "run --device c", ["cpu", "cuda"]),
    ("codec", "submit --codec h2", ["h264", "h265"]),
    ("command", "st", ["status"]),
]


@pytest.mark.parametrize(("typed", "offered"), [c[1:] for c in COMPLETIONS],
                         ids=[c[0] for c in COMPLETIONS])  # fmt: skip
def test_the_shell_completes_the_choices(typed, offered):
    # Given zsh asking blendbatch for completions of what the user typed
    env = {"_BLENDBATCH_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": f"blendbatch {typed}"}
    result = invoke(env=env)
    # Then it offers the choices that start like it, in any case
    # zsh's form: _arguments '*: :(("word":"help"\n"word2"))'
    assert re.findall(r'"([^"]*)"(?::"[^"]*")?', result.output) == offered, result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_aws_commands_take_profile_and_region_without_short_forms(command):
    params = typer.main.get_command(app).commands[command].params
    options = {tuple(p.opts) for p in params}
    wanted = {("--profile",), ("--region",)}
    assert (wanted <= options) == (command in AWS_COMMANDS)


def submit_dry_run(*extra: str, env: dict | None = None):
    args = ["submit", "-f", "2", "-n", "shot", "-q", "q", "-d", "jd", "--frames", "1-4"]
    return invoke(*args, "--dry-run", *extra, env={"BLENDBATCH_BUCKET": None, **(env or {})})


def test_aliases_and_any_case_still_reach_the_child_in_blenders_words():
    result = submit_dry_run(
        "-i", "s3://b/s.blend", "-o", "s3://b/r", "--format", "exr", "--engine", "Cycles",
        "--device", "CPU",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    command = json.loads(result.stdout)["render"]["containerOverrides"]["command"]
    assert command[-8:-2] == ["--engine", "CYCLES", "--format", "OPEN_EXR", "--device", "cpu"]
    assert command[-2:] == ["--codec", "h264"]  # the stitch's encode, for the child's segment


def test_no_persistent_data_reaches_the_render_children():
    # When the same dry run is asked with and without --no-persistent-data
    plain = submit_dry_run("-i", "s3://b/s.blend", "-o", "s3://b/r")
    off = submit_dry_run("-i", "s3://b/s.blend", "-o", "s3://b/r", "--no-persistent-data")

    # Then only the children's argv differs, by the switch
    assert (plain.exit_code, off.exit_code) == (0, 0), off.output
    before = json.loads(plain.stdout)["render"]["containerOverrides"]["command"]
    after = json.loads(off.stdout)["render"]["containerOverrides"]["command"]
    assert after.count("--no-persistent-data") == 1
    assert [word for word in after if word != "--no-persistent-data"] == before


BUCKET_DEFAULTS = [
    ("env", [], {"BLENDBATCH_BUCKET": "env-b"}, "s3://env-b/renders/shot"),
    ("option-beats-env", ["--bucket", "opt-b"], {"BLENDBATCH_BUCKET": "env-b"},
     "s3://opt-b/renders/shot"),
    ("output-beats-both", ["-o", "s3://mine/out", "--bucket", "opt-b"],
     {"BLENDBATCH_BUCKET": "env-b"}, "s3://mine/out/shot"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "env", "output"), [c[1:] for c in BUCKET_DEFAULTS],
                         ids=[c[0] for c in BUCKET_DEFAULTS])  # fmt: skip
def test_the_bucket_gives_submit_its_output(extra, env, output):
    result = submit_dry_run("-i", "s3://b/s.blend", *extra, env=env)
    assert result.exit_code == 0, result.output
    command = json.loads(result.stdout)["render"]["containerOverrides"]["command"]
    assert command[command.index("-o") + 1] == output


def test_without_an_output_or_a_bucket_submit_says_what_to_pass():
    result = submit_dry_run("-i", "s3://b/s.blend")
    assert result.exit_code == 2
    assert "pass -o s3://BUCKET/PREFIX, or --bucket BUCKET" in result.output
    assert "BLENDBATCH_BUCKET" in result.output


def test_without_an_input_submit_needs_upload_and_a_bucket():
    result = submit_dry_run(env={"BLENDBATCH_BUCKET": "b"})
    assert result.exit_code == 2
    assert "pass -i s3://BUCKET/KEY, or --upload LOCAL.blend" in result.output
