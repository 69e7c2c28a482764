"""Override words -> Blender's names, and the read-back check that catches silent clamping."""

import pytest

from entrypoint.errors import BadInput
from entrypoint.overrides import (
    Overrides,
    check_numbers,
    engine_id,
    extension_of,
    format_id,
    mismatches,
    requested,
)


@pytest.mark.parametrize(
    ("word", "engine"),
    [("cycles", "CYCLES"), ("EEVEE", "BLENDER_EEVEE"), ("BLENDER_WORKBENCH", "BLENDER_WORKBENCH")],
)
def test_engines_take_short_or_blender_names(word, engine):
    assert engine_id(word) == engine


@pytest.mark.parametrize(
    ("word", "file_format", "extension"),
    [("PNG", "PNG", "png"), ("jpg", "JPEG", "jpg"), ("OpenEXR", "OPEN_EXR", "exr")],
)
def test_formats_map_to_blender_and_the_extension_it_writes(word, file_format, extension):
    assert format_id(word) == file_format
    assert extension_of(file_format) == extension


def test_an_override_blender_clamped_is_reported():
    # Given samples 4 and 50 % were asked, and Blender kept 16 samples
    wanted = requested(Overrides(samples=4, resolution_percent=50))
    effective = {"samples": 16, "resolution_percent": 50, "file_format": "PNG"}
    effective["media_type"] = "IMAGE"

    # Then exactly the samples are reported
    assert mismatches(wanted, effective) == ["samples: asked 4, Blender kept 16"]


def test_unset_overrides_pin_only_the_image_output():
    assert requested(Overrides()) == {"file_format": "PNG", "media_type": "IMAGE"}


@pytest.mark.parametrize(
    "overrides",
    [Overrides(samples=0), Overrides(resolution_percent=1001), Overrides(threads=2000)],
    ids=["samples", "percent", "threads"],
)
def test_numbers_blender_would_clamp_are_refused(overrides):
    with pytest.raises(BadInput):
        check_numbers(overrides)
