"""`-f auto`: frames per child from start-up and seconds a frame, as pure arithmetic."""

import pytest

from entrypoint.errors import BadInput
from submitter import chunking


@pytest.mark.parametrize(
    ("text", "expected"),
    [("auto", None), ("AUTO", None), (" auto ", None), ("12", 12), ("1", 1)],
    ids=["auto", "upper", "spaces", "twelve", "one"],
)
def test_frames_per_job_is_a_count_or_auto(text, expected):
    assert chunking.parse_frames_per_job(text) == expected


def test_anything_else_names_both_forms():
    with pytest.raises(BadInput) as refused:
        chunking.parse_frames_per_job("lots")
    assert str(refused.value) == (
        "-f 'lots' is not a number of frames: give frames per child (e.g. -f 10) or -f auto "
        "(chosen from `blendbatch estimate`)"
    )
    with pytest.raises(BadInput, match=r"frames per job \(-f\) is 0: give 1 or more"):
        chunking.parse_frames_per_job("0")


def test_each_child_runs_about_the_target():
    # Given 10 s start-up, 2 s a frame and 4 minutes a child: (240 - 10) / 2 = 115 frames
    choice = chunking.choose(1000, 10.0, 2.0, target_minutes=4)

    # Then 9 children are needed, evened out to 112 frames (the last has 104)
    assert (choice.frames_per_child, choice.children) == (112, 9)
    assert choice.child_seconds == 10 + 112 * 2
    assert choice.reasons == (
        "target 4 min = 240 s a child; start-up 10.00 s, 2.00 s a frame (medians)",
        "(240 - 10.00) / 2.00 = 115",
        "1000 frames over 9 children: 112 per child evens them",
        "112 frames per child, 9 children of about 234.0 s",
    )


def test_a_start_up_longer_than_the_target_gives_one_frame_per_child():
    choice = chunking.choose(50, 300.0, 2.0, target_minutes=4)
    assert (choice.frames_per_child, choice.children) == (1, 50)
    assert "start-up alone leaves -60.00 s, less than one frame: 1 frame per child" in (
        choice.reasons
    )


def test_a_short_shot_is_one_child():
    choice = chunking.choose(20, 5.0, 1.0, target_minutes=4)
    assert (choice.frames_per_child, choice.children) == (20, 1)
    assert choice.reasons[-2:] == (
        "the render has 20 frames: one child renders them all",
        "20 frames per child, 1 child of about 25.0 s",
    )


def test_batchs_limit_of_children_wins_over_the_target():
    # 1 frame a child would fit the target, but 25,000 frames need >= 3 frames a child
    choice = chunking.choose(25_000, 200.0, 50.0, target_minutes=4)
    assert (choice.frames_per_child, choice.children) == (3, 8334)
    assert "25000 frames in at most 10000 children: 3 per child" in choice.reasons


def test_frames_taking_no_time_go_to_one_child():
    assert chunking.choose(30, 4.0, 0.0).frames_per_child == 30


def test_the_target_must_be_positive():
    with pytest.raises(BadInput, match=r"--target-minutes 0: give more than 0"):
        chunking.choose(30, 4.0, 1.0, target_minutes=0)


def test_the_fewest_frames_per_child_batch_allows():
    assert [chunking.fewest_allowed(n) for n in (1, 10_000, 10_001, 25_000)] == [1, 1, 2, 3]
