"""The image size and memory arithmetic of the scene checks (no Blender needed)."""

from entrypoint.errors import TransientFailure, disk_full
from entrypoint.render import scenecheck


def test_pixels_follow_blenders_integer_arithmetic():
    assert scenecheck.pixels(64, 36, 1) == (0, 0)
    assert scenecheck.pixels(64, 36, 3) == (1, 1)
    assert scenecheck.pixels(1920, 1080, 50) == (960, 540)


def test_the_buffer_estimate_counts_each_pass_and_the_saved_image():
    assert scenecheck.buffer_bytes(65536, 65536, 2) == 3 * 65536 * 65536 * 16


def test_available_memory_is_a_positive_count_with_its_source():
    memory, source = scenecheck.available_memory()
    assert memory > 0
    assert "memory limit" in source or "MemAvailable" in source


def test_a_full_disk_is_retryable_and_other_os_errors_are_not_mapped():
    full = disk_full(OSError(28, "No space left on device", "/tmp/x"), "/tmp")
    assert isinstance(full, TransientFailure)
    assert "the disk holding /tmp/x is full (No space left on device): give the job more" in (
        str(full)
    )
    assert disk_full(OSError(13, "Permission denied"), "/tmp") is None
    assert disk_full(ValueError("x"), "/tmp") is None
