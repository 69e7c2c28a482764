"""The override table: words -> Blender's names, the child's argv, and the read-back check that
catches silent clamping."""

import pytest

from entrypoint.errors import BadInput
from entrypoint.overrides import (
    PIXEL_FIELDS,
    ROWS,
    Overrides,
    extension_of,
    for_slice,
    from_options,
    mismatches,
    requested,
    to_argv,
)


@pytest.mark.parametrize(
    ("word", "engine"),
    [("cycles", "CYCLES"), ("EEVEE", "BLENDER_EEVEE"), ("BLENDER_WORKBENCH", "BLENDER_WORKBENCH")],
)
def test_engines_take_short_or_blender_names(word, engine):
    assert Overrides(engine=word).engine == engine


@pytest.mark.parametrize(
    ("word", "file_format", "extension"),
    [
        ("PNG", "PNG", "png"),
        ("jpg", "JPEG", "jpg"),
        ("jpeg", "JPEG", "jpg"),
        ("OpenEXR", "OPEN_EXR", "exr"),
        ("exr", "OPEN_EXR", "exr"),
    ],
)
def test_formats_map_to_blender_and_the_extension_it_writes(word, file_format, extension):
    assert Overrides(file_format=word).file_format == file_format
    assert extension_of(file_format) == extension


def test_an_override_blender_clamped_is_reported():
    # Given samples 4 and 50 % were asked, and Blender kept 16 samples
    wanted = requested(Overrides(samples=4, resolution_percent=50))
    effective = {"samples": 16, "resolution_percent": 50, "file_format": "PNG"}
    effective["media_type"] = "IMAGE"

    # Then exactly the samples are reported
    assert mismatches(wanted, effective) == ["samples: asked 4, Blender kept 16"]


def test_unset_overrides_pin_only_the_image_output():
    assert requested(Overrides()) == {"media_type": "IMAGE", "file_format": "PNG"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"samples": 0}, "--samples 0: give 1 or more"),
        ({"resolution_percent": 1001}, "--resolution-percent 1001: give 1 to 1000"),
        ({"threads": 2000}, "--threads 2000: give 1 to 1024"),
        ({"engine": "povray"}, "--engine 'povray' is not an engine: use one of cycles"),
        ({"file_format": "TIFF"}, "--format 'TIFF' is not supported: use PNG, JPEG or OpenEXR"),
        ({"device": "nvidia"}, "--device 'nvidia' is unknown: use one of cpu"),
    ],
    ids=["samples", "percent", "threads", "engine", "format", "device"],
)
def test_values_blender_would_clamp_or_refuse_are_refused_naming_the_option(values, message):
    with pytest.raises(BadInput) as caught:
        Overrides(**values)
    assert str(caught.value).startswith(message)


def test_the_childs_argv_carries_what_was_asked_in_blenders_words_and_reads_back_the_same():
    # Given overrides as a user spells them, defaults left out
    asked = Overrides(scene="Alt", engine="eevee", samples=8, file_format="jpg", device="AUTO")

    # Then the argv names only what differs from the defaults, in the table's order
    argv = to_argv(asked)
    assert argv == ("--scene", "Alt", "--engine", "BLENDER_EEVEE", "--samples", "8",
                    "--format", "JPEG")  # fmt: skip

    # And the child parses that argv back to the same overrides
    options = {}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        row = next(r for r in ROWS if r.option == flag)
        options[row.name] = row.kind(value)
    assert from_options(options) == asked


def test_threads_and_device_do_not_change_the_pixels():
    assert "threads" not in PIXEL_FIELDS and "device" not in PIXEL_FIELDS
    assert {"scene", "camera", "engine", "samples", "resolution_percent", "file_format"} <= set(
        PIXEL_FIELDS
    )


def test_every_override_has_a_way_into_blender():
    from entrypoint.render.blender import SETTERS

    # The scene is chosen before the frames are known, the device once the engine is set.
    assert {row.name for row in ROWS} - set(SETTERS) == {"scene", "device"}


def test_persistent_data_is_on_for_slices_of_two_or_more_frames_unless_asked_otherwise():
    # Given nothing asked, --persistent-data, and --no-persistent-data
    auto, on, off = Overrides(), Overrides(persistent_data=True), Overrides(persistent_data=False)

    # Then a child of one frame keeps nothing, a child of more keeps the scene data
    assert for_slice(auto, 1).persistent_data is False
    assert for_slice(auto, 2).persistent_data is True
    # And an explicit switch wins either way, and never changes the pixels
    assert for_slice(off, 24).persistent_data is False
    assert for_slice(on, 1).persistent_data is True
    assert "persistent_data" not in PIXEL_FIELDS


def test_the_off_switch_reaches_the_childs_argv():
    assert to_argv(Overrides(persistent_data=False)) == ("--no-persistent-data",)
    assert to_argv(Overrides(persistent_data=True)) == ("--persistent-data",)
    assert to_argv(Overrides()) == ()
