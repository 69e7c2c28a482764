"""The render fingerprint changes with what decides the pixels, and only with that."""

import dataclasses

import pytest

from entrypoint.fingerprint import PIXEL_FIELDS, file_content_id, render_fingerprint
from entrypoint.overrides import Overrides

BASE = Overrides(scene="Shot", camera="Cam", engine="CYCLES", samples=4, resolution_percent=50)
CONTENT = "sha256:" + "0" * 64


def fingerprint(content=CONTENT, overrides=BASE, allow_scripts=False, allow_missing=False):
    return render_fingerprint(
        content, overrides, allow_scripts=allow_scripts, allow_missing=allow_missing
    )


def test_equal_inputs_give_equal_fingerprints_of_32_hex():
    first = fingerprint(overrides=dataclasses.replace(BASE))
    assert first == fingerprint()
    assert len(first) == 32 and int(first, 16) >= 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scene", "Other"),
        ("camera", "Cam.001"),
        ("engine", "BLENDER_EEVEE"),
        ("samples", 5),
        ("resolution_percent", 100),
        ("file_format", "JPEG"),
        ("samples", None),
    ],
)
def test_every_pixel_field_changes_it(field, value):
    assert field in PIXEL_FIELDS
    assert fingerprint(overrides=dataclasses.replace(BASE, **{field: value})) != fingerprint()


def test_the_content_and_each_flag_change_it():
    assert fingerprint(content="sha256:" + "1" * 64) != fingerprint()
    assert fingerprint(allow_scripts=True) != fingerprint()
    assert fingerprint(allow_missing=True) != fingerprint()
    assert fingerprint(allow_scripts=True) != fingerprint(allow_missing=True)


def test_threads_and_device_do_not_change_it():
    other = dataclasses.replace(BASE, threads=3, device="cpu")
    assert fingerprint(overrides=other) == fingerprint()


@pytest.mark.parametrize("persistent", [True, False, None], ids=["on", "off", "auto"])
def test_persistent_data_does_not_change_it(persistent):
    other = dataclasses.replace(BASE, persistent_data=persistent)
    assert fingerprint(overrides=other) == fingerprint()


def test_the_content_id_of_a_file_is_its_sha256(tmp_path):
    path = tmp_path / "scene.blend"
    path.write_bytes(b"abc")
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert file_content_id(path) == f"sha256:{expected}"


def test_the_scene_check_opt_ins_change_it():
    plain = render_fingerprint(CONTENT, BASE, allow_scripts=False, allow_missing=False)
    outputs = render_fingerprint(
        CONTENT, BASE, allow_scripts=False, allow_missing=False, allow_file_output=True
    )
    unbaked = render_fingerprint(
        CONTENT, BASE, allow_scripts=False, allow_missing=False, allow_unbaked=True
    )
    assert len({plain, outputs, unbaked}) == 3


def test_a_flag_added_later_keeps_older_fingerprints_and_changes_it_when_on():
    # The hash of a document without the newer flag: what every earlier render recorded.
    import hashlib
    import json

    document = {
        "content": CONTENT,
        "pixels": {name: getattr(BASE, name) for name in PIXEL_FIELDS},
        "flags": {
            "allow_scripts": False,
            "allow_missing": False,
            "allow_file_output": False,
            "allow_unbaked": False,
        },
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    earlier = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    assert fingerprint() == earlier
    assert render_fingerprint(CONTENT, BASE, allow_older_blender=False) == earlier
    assert render_fingerprint(CONTENT, BASE, allow_older_blender=True) != earlier
