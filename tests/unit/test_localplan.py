"""How `blendbatch run` uses the machine: the user's choices kept, the rest picked."""

import pytest

from submitter.localplan import choose


def test_nothing_given_is_one_child_with_every_core_and_one_slice():
    choice = choose(2, 48)
    assert (choice.workers, choice.threads, choice.frames_per_job, choice.slices) == (1, 2, 48, 1)
    assert (
        choice.line()
        == "2 cores: 1 child x 2 threads, 1 slice of 48 (picked: children, threads, slices)"
    )


def test_the_demo_keeps_its_slices_and_renders_them_in_order_in_one_child():
    # make demo: -f 12, nothing else
    choice = choose(2, 48, frames_per_job=12)
    assert (choice.workers, choice.threads, choice.slices) == (1, 2, 4)
    assert choice.order == (0, 1, 2, 3)
    assert (
        choice.line() == "2 cores: 1 child x 2 threads, 4 slices of 12 (picked: children, threads)"
    )


def test_workers_alone_share_the_cores_and_get_a_slice_each():
    choice = choose(8, 100, workers=2)
    assert (choice.workers, choice.threads, choice.frames_per_job, choice.slices) == (2, 4, 50, 2)
    assert choice.picked == ("threads", "slices")


def test_threads_alone_fit_as_many_children_as_the_cores_hold():
    choice = choose(8, 100, threads=2, frames_per_job=10)
    assert (choice.workers, choice.threads, choice.slices) == (4, 2, 10)
    assert choice.picked == ("children",)


def test_both_given_are_kept_even_past_the_cores():
    choice = choose(2, 48, workers=2, threads=2, frames_per_job=12)
    assert (choice.workers, choice.threads, choice.slices) == (2, 2, 4)
    assert choice.picked == ()
    assert choice.line() == "2 cores: 2 children x 2 threads, 4 slices of 12"


def test_workers_zero_is_one_child_per_core_with_one_thread():
    choice = choose(4, 40, workers=0, frames_per_job=5)
    assert (choice.workers, choice.threads, choice.slices) == (4, 1, 8)


@pytest.mark.parametrize(("workers", "threads"), [(4, None), (0, None)])
def test_never_more_children_than_slices_and_their_threads_follow(workers, threads):
    # 3 frames, 2 per slice: 2 slices, so 2 children, each with half of 4 cores
    choice = choose(4, 3, workers=workers, threads=threads, frames_per_job=2)
    assert (choice.workers, choice.threads, choice.slices) == (2, 2, 2)


def test_one_core_one_frame():
    choice = choose(1, 1)
    assert (
        choice.line()
        == "1 core: 1 child x 1 thread, 1 slice of 1 (picked: children, threads, slices)"
    )
    assert choice.as_dict() == {
        "cores": 1, "workers": 1, "threads": 1, "frames_per_job": 1, "slices": 1,
        "order": [0], "picked": ["children", "threads", "slices"],
    }  # fmt: skip
