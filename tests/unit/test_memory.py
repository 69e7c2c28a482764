"""Peak memory per frame: reset before a frame, read after it, the process's peak kept."""

from entrypoint.render import memory


def test_a_frames_peak_is_its_own_and_the_process_peak_survives_the_reset():
    # Given a process that once held 64 MB more than now
    block = bytearray(64 << 20)
    block[:: 1 << 12] = b"\1" * len(block[:: 1 << 12])
    high = memory.frame_peak_bytes()
    del block

    # When a frame starts
    scope = memory.start_frame()

    # Then this kernel resets the peak: the frame's peak is below the earlier high mark
    assert scope == "frame"
    assert 0 < memory.frame_peak_bytes() < high - (32 << 20)
    # And the process's peak still counts the earlier high mark (the kernel's counters are
    # summed per CPU lazily: readings may differ by a few pages)
    assert memory.process_peak_bytes() >= high - (1 << 20)
