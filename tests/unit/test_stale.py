"""The submitter counts frames another render made, with the fingerprint the children stamp."""

from entrypoint.fingerprint import file_content_id, render_fingerprint
from entrypoint.overrides import Overrides
from submitter.stale import fingerprint_of, replaced


def test_the_submitter_stamps_what_the_child_stamps(tmp_path):
    # Given the user's words, which the override table puts in Blender's words
    blend = tmp_path / "s.blend"
    blend.write_bytes(b"BLENDER")
    child = render_fingerprint(
        file_content_id(blend),
        Overrides(engine="CYCLES", file_format="JPEG", threads=2),
        allow_scripts=False,
        allow_missing=False,
    )
    # Then the submitter's fingerprint is the child's, and another engine changes it
    words = Overrides(engine="cycles", file_format="jpg")
    assert fingerprint_of(blend, words, allow_scripts=False) == child
    other = Overrides(engine="eevee", file_format="jpg")
    assert fingerprint_of(blend, other, allow_scripts=False) != child


def test_without_the_file_the_submitter_cannot_know():
    assert fingerprint_of(None, Overrides(), allow_scripts=False) is None


def test_only_frames_whose_latest_record_differs_count():
    manifests = [
        {"rendered": [{"frame": 1, "fingerprint": "old"}, {"frame": 1, "fingerprint": "new"}]},
        {"rendered": [{"frame": 2, "fingerprint": "old"}, {"frame": 3}]},
    ]
    assert replaced(manifests, "new") == 2
    assert replaced([], "new") == 0
