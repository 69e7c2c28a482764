"""The two AWS Batch requests a submission becomes, as data."""

import pytest

from entrypoint.errors import BadInput
from submitter import plan


def submission(**changes) -> plan.Submission:
    values = dict(
        name="shot010",
        input_uri="s3://films/shot010.blend",
        output_uri="s3://films/renders/",
        frames_per_job=5,
        frame_count=48,
        queue="render-q",
        job_definition="blendbatch:3",
    )
    return plan.Submission(**(values | changes))


def test_the_render_job_is_an_array_of_one_child_per_slice():
    assert plan.render_request(submission()) == {
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
            ],
        },
        "arrayProperties": {"size": 10},
    }


def test_one_slice_is_submitted_as_a_plain_job():
    request = plan.render_request(submission(frames_per_job=48))
    assert "arrayProperties" not in request
    assert request["containerOverrides"]["command"][-4:] == ["-f", "48", "-t", "48"]


def test_the_stitch_job_depends_on_the_render_job_without_a_type():
    assert plan.stitch_request(submission(), "abc-123") == {
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
        ({"queue": ""}, "pass -q QUEUE or set BLENDBATCH_QUEUE"),
        ({"job_definition": ""}, "pass -d JOBDEF"),
    ],
    ids=["leading-dash", "space", "too-long", "f-zero", "array-too-big", "no-queue", "no-jobdef"],
)
def test_what_batch_would_reject_is_refused_before_any_call(changes, message):
    with pytest.raises(BadInput) as caught:
        plan.validate(submission(**changes))
    assert message in str(caught.value)


def test_the_largest_array_batch_accepts_is_valid():
    plan.validate(submission(frame_count=10_000, frames_per_job=1))
