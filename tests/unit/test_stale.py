"""The submitter counts frames another render made, with the fingerprint the children stamp."""

from entrypoint.fingerprint import file_content_id, render_fingerprint
from entrypoint.overrides import Overrides
from submitter.stale import fingerprint_of, replaced

WORDS = dict(scene=None, camera=None, samples=None, resolution_percent=None, allow_scripts=False)


def test_the_submitter_normalizes_words_as_the_child_does(tmp_path):
    blend = tmp_path / "s.blend"
    blend.write_bytes(b"BLENDER")
    child = render_fingerprint(
        file_content_id(blend),
        Overrides(engine="CYCLES", file_format="JPEG", threads=2),
        allow_scripts=False,
        allow_missing=False,
    )
    assert fingerprint_of(blend, engine="cycles", format="jpg", **WORDS) == child
    assert fingerprint_of(blend, engine="eevee", format="jpg", **WORDS) != child


def test_without_the_file_the_submitter_cannot_know():
    assert fingerprint_of(None, engine=None, format=None, **WORDS) is None


def test_only_frames_whose_latest_record_differs_count():
    manifests = [
        {"rendered": [{"frame": 1, "fingerprint": "old"}, {"frame": 1, "fingerprint": "new"}]},
        {"rendered": [{"frame": 2, "fingerprint": "old"}, {"frame": 3}]},
    ]
    assert replaced(manifests, "new") == 2
    assert replaced([], "new") == 0
