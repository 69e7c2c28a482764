"""Which job definition a file goes to: the routing table as data (no AWS, no Blender)."""

from __future__ import annotations

import json

import pytest

from entrypoint.errors import BadInput
from submitter import routing

ARN = "arn:aws:batch:eu-west-1:123456789012:job-definition/studio-job:7"
SUPPORTED = ["4.2", "4.5", "5.0", "5.1", "5.2", "5.3"]

# file saved by -> the Blender its job definition runs
TABLE = [
    ((2, 93), "4.2"),
    ((4, 1), "4.2"),
    ((4, 2), "4.2"),
    ((4, 3), "4.5"),
    ((4, 5), "4.5"),
    ((5, 0), "5.0"),
    ((5, 1), "5.1"),
    ((5, 2), "5.2"),
    ((5, 3), "5.3"),
]


@pytest.mark.parametrize(("saved_by", "blender"), TABLE, ids=[f"{a}.{b}" for (a, b), _ in TABLE])
def test_a_file_goes_to_the_oldest_supported_blender_that_renders_it(saved_by, blender):
    route = routing.choose(saved_by, base="blendbatch")

    assert route.job_definition == "blendbatch-blender-" + blender.replace(".", "-")
    assert route.as_json()["blender"] == blender
    assert route.may_go_newer


def test_the_reason_says_the_files_blender_and_why_another_was_taken():
    assert routing.choose((5, 3), base="b").why == "saved by Blender 5.3"
    assert routing.choose((4, 3), base="b").why == (
        "saved by Blender 4.3; the oldest supported Blender that renders it is 4.5"
    )


def test_the_base_comes_from_the_option_or_environment():
    assert routing.choose((5, 0), base="studio").job_definition == "studio-blender-5-0"


def test_a_file_newer_than_every_supported_blender_is_refused_with_the_fix():
    with pytest.raises(BadInput) as caught:
        routing.choose((5, 4), base="blendbatch")

    message = str(caught.value)
    assert "saved by Blender 5.4, newer than every Blender" in message
    assert "update blendbatch" in message and "--allow-older-blender" in message


def test_submit_and_the_render_child_word_a_file_newer_than_all_alike():
    from entrypoint.render import versioncheck

    # Given a file newer than every Blender with an image, both refusals name the same fixes
    submit_says = routing.newer_than_all((5, 9))
    child_says = versioncheck.fix((5, 9))

    shared = "newer than every Blender this blendbatch has an image for (the newest is 5.3): "
    assert shared in submit_says and shared in child_says
    assert submit_says.endswith(
        child_says.removeprefix("it is ") + ", or pass "
        "--allow-older-blender to render it in Blender 5.3 (what 5.9 added may be lost)"
    )


def test_allow_older_blender_sends_a_file_newer_than_all_to_the_newest():
    route = routing.choose((6, 0), base="blendbatch", allow_older=True)

    assert route.job_definition == "blendbatch-blender-5-3"
    assert "newer than every supported Blender" in route.why


@pytest.mark.parametrize("blender", SUPPORTED)
def test_blender_option_picks_any_supported_release_not_older_than_the_file(blender):
    route = routing.choose((4, 2), base="blendbatch", blender=blender)

    assert route.job_definition == "blendbatch-blender-" + blender.replace(".", "-")
    assert route.why == f"--blender {blender}"
    assert not route.may_go_newer  # the user's choice: not swapped for another


def test_blender_option_older_than_the_file_is_refused_unless_allowed():
    with pytest.raises(BadInput, match="saved by Blender 5.3 and --blender 5.0 is older"):
        routing.choose((5, 3), base="blendbatch", blender="5.0")

    route = routing.choose((5, 3), base="blendbatch", blender="5.0", allow_older=True)
    assert route.job_definition == "blendbatch-blender-5-0"


@pytest.mark.parametrize(
    ("text", "message"),
    [("5.4", "Blender 5.4 is not one blendbatch has an image for; supported: 4.2 LTS"),
     ("five", "'five' is not a Blender version: give MAJOR.MINOR")],
    ids=["unsupported", "not-a-version"],
)  # fmt: skip
def test_blender_option_must_be_a_supported_release(text, message):
    with pytest.raises(BadInput, match=f"--blender {text}: {message}"):
        routing.choose((5, 0), base="blendbatch", blender=text)


def test_an_explicit_name_is_used_as_given_and_not_checked_without_a_version_suffix():
    route = routing.choose((5, 3), base="x", explicit="my-renderer")

    assert (route.job_definition, route.blender, route.may_go_newer) == ("my-renderer", None, False)
    assert routing.candidates(route) == []


def test_an_explicit_name_with_a_version_suffix_is_still_checked():
    assert routing.choose((5, 0), base="x", explicit="farm-blender-5-3").blender == (5, 3)
    with pytest.raises(BadInput) as caught:
        routing.choose((5, 3), base="x", explicit="farm-blender-5-0")
    message = str(caught.value)
    assert "saved by Blender 5.3 but job definition farm-blender-5-0 runs Blender 5.0" in message
    assert "register --blender 5.3" in message and "--allow-older-blender" in message

    allowed = routing.choose((5, 3), base="x", explicit="farm-blender-5-0", allow_older=True)
    assert allowed.job_definition == "farm-blender-5-0"


def test_an_explicit_name_and_blender_option_together_are_refused():
    with pytest.raises(BadInput, match="pass only one"):
        routing.choose((5, 0), base="x", explicit="jd", blender="5.0")


@pytest.mark.parametrize(
    ("name", "typed", "expected"),
    [("blendbatch", False, "blendbatch-blender-5-0"),  # the default
     ("studio", False, "studio-blender-5-0"),  # BLENDBATCH_JOB_DEFINITION
     ("studio-blender-5-2", False, "studio-blender-5-2"),  # a full name in the environment
     ("blendbatch", True, "blendbatch"),  # -d typed: the name itself
     ("studio-job:3", False, "studio-job:3"),  # a revision: one definition
     (ARN, False, ARN)],
    ids=["default", "environment-base", "environment-full-name", "typed", "revision", "arn"],
)  # fmt: skip
def test_from_options_routes_unless_the_name_was_typed_or_is_full(name, typed, expected):
    route = routing.from_options(
        name, typed=typed, blender=None, saved_by=(5, 0), allow_older=False
    )

    assert route.job_definition == expected


def test_an_arn_with_a_version_suffix_is_checked_too():
    with pytest.raises(BadInput, match="job definition .*farm-blender-5-0:4 runs Blender 5.0"):
        routing.from_options(
            ARN.replace("studio-job:7", "farm-blender-5-0:4"),
            typed=False,
            blender=None,
            saved_by=(5, 3),
            allow_older=False,
        )


def test_a_dry_run_without_the_header_says_the_choice_is_made_at_submit():
    route = routing.choose(None, base="blendbatch")

    assert route.job_definition == "blendbatch-blender-<resolved at submit>"
    assert "read from its header in S3 at submit" in route.why


# --- which registered definition a real submit uses -----------------------------------------


def resolve(route, registered: set[str]):
    said: list[str] = []
    return routing.resolve(route, registered.__contains__, said.append), said


def test_the_routed_definition_is_used_when_registered():
    route = routing.choose((5, 0), base="bb")

    used, said = resolve(route, {"bb-blender-5-0", "bb-blender-5-3"})

    assert (used, said) == (route, [])


def test_the_nearest_newer_registered_definition_is_taken_and_said():
    used, said = resolve(routing.choose((4, 5), base="bb"), {"bb-blender-5-3", "bb-blender-5-2"})

    assert used.job_definition == "bb-blender-5-2"
    assert said == [
        "note: job definition bb-blender-4-5 (Blender 4.5) is not registered; using "
        "bb-blender-5-2, the nearest newer one (Blender 5.2)"
    ]


def test_an_older_registered_definition_is_never_taken():
    with pytest.raises(BadInput) as caught:
        resolve(routing.choose((5, 3), base="bb"), {"bb-blender-5-0", "bb-blender-5-2"})

    message = str(caught.value)
    assert "job definition bb-blender-5-3 (Blender 5.3) is not registered" in message
    assert "`blendbatch register --blender 5.3 --base bb --image" in message
    assert "make image BLENDER=5.3" in message


def test_a_blender_option_is_not_swapped_for_a_newer_definition():
    with pytest.raises(BadInput, match="bb-blender-4-5 .Blender 4.5. is not registered"):
        resolve(routing.choose((4, 2), base="bb", blender="4.5"), {"bb-blender-5-3"})


def test_the_register_command_has_no_name_for_the_default_base():
    with pytest.raises(BadInput, match="`blendbatch register --blender 5.0 --image "):
        resolve(routing.choose((5, 0), base="blendbatch"), set())


@pytest.mark.parametrize(
    ("bpy", "saved_by", "refused"),
    [("5.0.1", (5, 0), False), ("5.0.1", (4, 5), False), ("5.0.1", (5, 3), True),
     ("5.3.0", (5, 3), False), ("5.3.0", (5, 4), True), (None, (5, 3), False)],
)  # fmt: skip
def test_run_refuses_a_file_newer_than_the_installed_bpy(bpy, saved_by, refused):
    if not refused:
        routing.check_local(saved_by, bpy, allow_older=False)
        return
    with pytest.raises(BadInput) as caught:
        routing.check_local(saved_by, bpy, allow_older=False)
    message = str(caught.value)
    assert f"saved by Blender {saved_by[0]}.{saved_by[1]}" in message
    assert f"(bpy {bpy}, the installed package)" in message
    assert "--allow-older-blender" in message
    routing.check_local(saved_by, bpy, allow_older=True)  # allowed: no refusal


# --- through the command line (typer's runner, no AWS) ---------------------------------------


@pytest.mark.parametrize(
    ("extra", "env", "expected"),
    [([], {}, "blendbatch-blender-<resolved at submit>"),
     ([], {"BLENDBATCH_JOB_DEFINITION": "studio"}, "studio-blender-<resolved at submit>"),
     (["-d", "blendbatch"], {}, "blendbatch"),
     (["-d", "jd"], {"BLENDBATCH_JOB_DEFINITION": "studio"}, "jd"),
     (["--blender", "4.5"], {}, "blendbatch-blender-4-5")],
    ids=["default-base", "environment-base", "typed-default", "typed-beats-env", "blender"],
)  # fmt: skip
def test_d_typed_on_the_command_line_turns_routing_off(extra, env, expected):
    from typer.testing import CliRunner

    from submitter import aws
    from submitter.cli import app

    args = ["submit", "-i", "s3://b/s.blend", "-o", "s3://b/r", "-f", "10", "-n", "shot",
            "-q", "q", "--frames", "1-20", "--dry-run", *extra]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"BLENDBATCH_JOB_DEFINITION": None, **env})
    aws.use()

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout[result.stdout.index("{") :])
    assert printed["route"]["jobDefinition"] == expected
    assert printed["render"]["jobDefinition"] == expected
