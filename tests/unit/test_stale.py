"""The submitter counts frames another render made, with the fingerprint the children stamp."""

from entrypoint.fingerprint import render_fingerprint
from entrypoint.overrides import Overrides
from submitter.plan import RenderPlan
from submitter.stale import fingerprint_of, replaced


def plan_of(overrides: Overrides, content_id: str | None) -> RenderPlan:
    return RenderPlan(
        name="shot", input_uri="shot.blend", output_uri="out", frames_per_job=1, frame_count=1,
        overrides=overrides, content_id=content_id,
    )  # fmt: skip


def test_the_submitter_stamps_what_the_child_stamps():
    # Given what the child stamps for a content id and Blender's words
    child = render_fingerprint(
        "sha256:" + "ab" * 32,
        Overrides(engine="CYCLES", file_format="JPEG", threads=2),
        allow_scripts=False,
        allow_missing=False,
    )
    # Then the submitter, given the user's words (the table puts them in Blender's), agrees,
    # and another engine changes it
    words = Overrides(engine="cycles", file_format="jpg")
    assert fingerprint_of(plan_of(words, "sha256:" + "ab" * 32)) == child
    other = Overrides(engine="eevee", file_format="jpg")
    assert fingerprint_of(plan_of(other, "sha256:" + "ab" * 32)) != child


def test_without_a_content_id_the_submitter_cannot_know():
    assert fingerprint_of(plan_of(Overrides(), None)) is None


def test_only_frames_whose_latest_record_differs_count():
    manifests = [
        {"rendered": [{"frame": 1, "fingerprint": "old"}, {"frame": 1, "fingerprint": "new"}]},
        {"rendered": [{"frame": 2, "fingerprint": "old"}, {"frame": 3}]},
    ]
    assert replaced(manifests, "new") == 2
    assert replaced([], "new") == 0
