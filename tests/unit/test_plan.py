"""The two AWS Batch requests a submission becomes, as data."""

import pytest

from entrypoint.errors import BadInput
from entrypoint.overrides import Overrides
from submitter import plan


def render_plan(**changes) -> plan.RenderPlan:
    values = dict(
        name="shot010",
        input_uri="s3://films/shot010.blend",
        output_uri="s3://films/renders/",
        frames_per_job=5,
        frame_count=48,
    )
    return plan.RenderPlan(**(values | changes))


def batch_options(**changes) -> plan.BatchOptions:
    return plan.BatchOptions(**(dict(queue="render-q", job_definition="blendbatch:3") | changes))


def test_the_render_job_is_an_array_of_one_child_per_slice():
    assert plan.render_request(render_plan(), batch_options()) == {
        "jobName": "shot010-render",
        "jobQueue": "render-q",
        "jobDefinition": "blendbatch:3",
        "containerOverrides": {
            "command": [
                "render",
                "-i",
                "s3://films/shot010.blend",
                "-o",
                "s3://films/renders/shot010",
                "-f",
                "5",
                "-t",
                "48",
                "--codec",
                "h264",
            ],
        },
        "arrayProperties": {"size": 10},
    }


def test_one_slice_is_submitted_as_a_plain_job():
    request = plan.render_request(render_plan(frames_per_job=48), batch_options())
    assert "arrayProperties" not in request
    assert request["containerOverrides"]["command"][-6:-2] == ["-f", "48", "-t", "48"]


def test_the_stitch_job_depends_on_the_render_job_without_a_type():
    assert plan.stitch_request(render_plan(), batch_options(), "abc-123") == {
        "jobName": "shot010-stitch",
        "jobQueue": "render-q",
        "jobDefinition": "blendbatch:3",
        "containerOverrides": {
            "command": [
                "stitch",
                "-i",
                "s3://films/renders/shot010",
                "-o",
                "s3://films/renders/shot010",
            ],
        },
        "dependsOn": [{"jobId": "abc-123"}],
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "-shot"}, "job name '-shot' is not valid"),
        ({"name": "shot 10"}, "job name 'shot 10' is not valid"),
        ({"name": "x" * 122}, "at most 121 characters"),
        ({"frames_per_job": 0}, "frames per job (-f) is 0"),
        ({"frame_count": 10_001, "frames_per_job": 1}, "use -f 2 or more"),
    ],
    ids=["leading-dash", "space", "too-long", "f-zero", "array-too-big"],
)
def test_what_batch_would_reject_in_the_plan_is_refused_before_any_call(changes, message):
    with pytest.raises(BadInput) as caught:
        plan.validate(render_plan(**changes), batch_options())
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"queue": ""}, "pass -q QUEUE or set BLENDBATCH_QUEUE"),
        ({"job_definition": ""}, "pass -d JOBDEF"),
    ],
    ids=["no-queue", "no-jobdef"],
)
def test_a_submission_needs_a_queue_and_a_job_definition(changes, message):
    with pytest.raises(BadInput) as caught:
        plan.validate(render_plan(), batch_options(**changes))
    assert message in str(caught.value)


def test_the_largest_array_batch_accepts_is_valid():
    plan.validate(render_plan(frame_count=10_000, frames_per_job=1), batch_options())


def test_a_local_run_is_not_held_to_aws_limits():
    # Given a plan Batch would refuse: a name with a space, 20,000 one-frame slices
    local = render_plan(name="take 2", frame_count=20_000, frames_per_job=1)

    # Then it is a valid local run
    plan.check(local)
    with pytest.raises(BadInput):
        plan.validate(local, batch_options())


@pytest.mark.parametrize(
    "name", ["../elsewhere", "a/b", "..", ""], ids=["up", "nested", "dots", "empty"]
)
def test_the_name_must_be_one_folder_inside_the_output(name):
    with pytest.raises(BadInput) as caught:
        plan.check(render_plan(name=name))
    assert f"-n {name!r} is not a folder name" in str(caught.value)


def test_dry_run_carries_every_option_into_both_requests():
    render = render_plan(
        frame_range=(10, 57),
        overrides=Overrides(scene="Shot", samples=16),
        allow_scripts=True,
    )
    batch = batch_options(
        stitch_queue="cpu-q",
        attempts=2,
        timeout_seconds=900,
        tags={"project": "film"},
        environment={"BLENDER_USER_SCRIPTS": "/opt/scripts"},
    )
    shared = {
        "retryStrategy": {
            "attempts": 2,
            "evaluateOnExit": [
                {"onStatusReason": "Host EC2*", "action": "RETRY"},
                {"onExitCode": "2", "action": "EXIT"},
            ],
        },
        "timeout": {"attemptDurationSeconds": 900},
        "tags": {"project": "film"},
        "propagateTags": True,
    }
    environment = [{"name": "BLENDER_USER_SCRIPTS", "value": "/opt/scripts"}]
    assert plan.dry_run(render, batch) == {
        "render": {
            "jobName": "shot010-render",
            "jobQueue": "render-q",
            "jobDefinition": "blendbatch:3",
            "containerOverrides": {
                "command": [
                    "render",
                    "-i",
                    "s3://films/shot010.blend",
                    "-o",
                    "s3://films/renders/shot010",
                    "-f",
                    "5",
                    "-t",
                    "48",
                    "--start",
                    "10",
                    "--end",
                    "57",
                    "--scene",
                    "Shot",
                    "--samples",
                    "16",
                    "--allow-scripts",
                    "--codec",
                    "h264",
                ],  # fmt: skip
                "environment": environment,
            },
            "arrayProperties": {"size": 10},
            **shared,
        },
        "stitch": {
            "jobName": "shot010-stitch",
            "jobQueue": "cpu-q",
            "jobDefinition": "blendbatch:3",
            "containerOverrides": {
                "command": [
                    "stitch",
                    "-i",
                    "s3://films/renders/shot010",
                    "-o",
                    "s3://films/renders/shot010",
                ],  # fmt: skip
                "environment": environment,
            },
            "dependsOn": [{"jobId": "<render job id>"}],
            **shared,
        },
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"attempts": 0}, "AWS Batch allows 1 to 10"),
        ({"attempts": 11}, "AWS Batch allows 1 to 10"),
        ({"timeout_seconds": 59}, "use --timeout 60 or more"),
        ({"tags": {f"k{i}": "v" for i in range(51)}}, "51 tags given but AWS Batch allows 50"),
        ({"tags": {"aws:owner": "me"}}, "do not start with 'aws:'"),
        ({"environment": {"AWS_BATCH_JOB_ID": "1"}}, "reserves names starting with AWS_BATCH"),
        ({"environment": {"X": "c" * 31_000}}, "AWS Batch takes at most 30720"),
    ],
    ids=["attempts-0", "attempts-11", "timeout", "51-tags", "aws-tag", "aws-batch-env", "30kib"],
)
def test_job_options_batch_would_reject_are_refused(changes, message):
    with pytest.raises(BadInput) as caught:
        plan.validate(render_plan(), batch_options(**changes))
    assert message in str(caught.value)


def test_a_render_option_too_long_for_a_request_is_refused():
    with pytest.raises(BadInput, match="AWS Batch takes at most 30720"):
        plan.validate(render_plan(overrides=Overrides(camera="c" * 31_000)), batch_options())


def test_fifty_tags_and_the_extreme_attempts_and_timeout_are_valid():
    plan.validate(
        render_plan(),
        batch_options(tags={f"k{i}": "v" for i in range(50)}, attempts=10, timeout_seconds=60),
    )
    plan.validate(render_plan(), batch_options(attempts=1))


def test_tags_are_key_value_pairs():
    from submitter.options import parse_pairs

    assert parse_pairs(["a=1", "b=x=y", "a=2"], "--tag") == {"a": "2", "b": "x=y"}
    with pytest.raises(BadInput, match="--tag 'oops' is not KEY=VALUE"):
        parse_pairs(["oops"], "--tag")


def test_stitch_options_reach_the_stitch_command_and_name_the_video():
    from submitter.options import stitch_args

    args, video = stitch_args("prores", None, "shot", allow_gaps=True)
    assert video == "shot.mov"
    assert plan.stitch_command(render_plan(stitch_args=args, video_name=video)) == [
        "stitch", "-i", "s3://films/renders/shot010", "-o", "s3://films/renders/shot010",
        "--codec", "prores", "--name", "shot.mov", "--allow-gaps",
    ]  # fmt: skip


def test_default_stitch_options_add_nothing():
    from submitter.options import stitch_args

    assert stitch_args("h264", None, None, allow_gaps=False) == ((), "output.mp4")


@pytest.mark.parametrize(
    ("codec", "crf", "name", "message"),
    [
        ("av1", None, None, "--codec 'av1' is not one of"),
        ("prores", 20, None, "prores has no CRF setting"),
        ("h264", 99, None, "--crf 99 is outside"),
        ("h264", None, "../x.mp4", "is not a plain file name"),
    ],
    ids=["unknown-codec", "crf-for-prores", "crf-range", "name-escapes"],
)
def test_bad_stitch_options_are_refused_before_submitting(codec, crf, name, message):
    from submitter.options import stitch_args

    with pytest.raises(BadInput) as caught:
        stitch_args(codec, crf, name, allow_gaps=False)
    assert message in str(caught.value)


def test_the_scene_check_opt_ins_reach_the_render_command():
    command = plan.render_command(render_plan(allow_file_output=True, allow_unbaked=True))
    assert command[-4:-2] == ["--allow-file-output", "--allow-unbaked"]
    assert "--allow-unbaked" not in plan.render_command(render_plan())


def test_the_render_children_get_the_stitchs_encode_for_their_segments():
    from submitter.options import stitch_args

    args, video = stitch_args("vp9", 40, "shot", allow_gaps=True)
    command = plan.render_command(render_plan(stitch_args=args, video_name=video))
    assert command[-4:] == ["--codec", "vp9", "--crf", "40"]
    assert "--name" not in command and "--allow-gaps" not in command


def test_frames_only_children_make_no_segment():
    command = plan.render_command(render_plan(make_video=False))
    assert "--codec" not in command and "--crf" not in command


def test_the_render_and_stitch_encode_options_name_the_same_codecs():
    from entrypoint import encode_options, encode_plan

    assert list(encode_options.CODEC_NAMES) == list(encode_plan.CODECS)
    assert encode_options.DEFAULT_CODEC in encode_plan.CODECS
