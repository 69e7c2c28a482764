"""The render child's version rule: a file saved by a newer Blender than the child's is refused
before Blender opens it, unless `--allow-older-blender`; frames of another Blender release are
rendered again, said once per release."""

import gzip
import logging
from types import SimpleNamespace

import pytest
import zstandard

from entrypoint import blendheader, report
from entrypoint.errors import BadInput
from entrypoint.render import versioncheck
from tests.report_kit import manifests

END = b"ENDB" + b"\x00" * 28


@pytest.mark.parametrize(
    ("head", "version"),
    [
        (b"BLENDER17-01v0500", (5, 0)),
        (b"BLENDER17-01v0503", (5, 3)),
        (b"BLENDER17-01v0600", (6, 0)),
        (b"BLENDER-v405", (4, 5)),
        (b"BLENDER-v293", (2, 93)),
        (b"BLENDER_v279", (2, 79)),
        (b"BLENDER_V249", (2, 49)),
        (b"PK\x03\x04 not a blend", None),
        (b"BLENDER", None),
    ],
)
def test_the_saved_by_version_comes_from_the_header(head, version):
    assert blendheader.saved_by(head) == version


def blend(tmp_path, head: bytes, pack=lambda data: data):
    path = tmp_path / "shot.blend"
    path.write_bytes(pack(head + b"\x00" * 300 + END))
    return path


PACKS = {"plain": lambda d: d, "gzip": gzip.compress, "zstd": zstandard.compress}


@pytest.mark.parametrize("pack", PACKS.values(), ids=PACKS.keys())
def test_a_file_of_a_newer_blender_is_refused_with_the_image_to_use(tmp_path, pack):
    path = blend(tmp_path, b"BLENDER17-01v0503", pack)
    with pytest.raises(BadInput) as refused:
        versioncheck.check_file(path, (5, 0), SimpleNamespace(allow_older_blender=False))
    message = str(refused.value)
    assert "\n" not in message
    assert "shot.blend was saved by Blender 5.3 and this image has Blender 5.0" in message
    assert (
        "render it with the image for Blender 5.3 (make image BLENDER=5.3, job definition "
        "blendbatch-blender-5-3), or pass --allow-older-blender" in message
    )


def test_a_file_newer_than_every_image_says_so():
    assert versioncheck.fix((5, 9)).startswith(
        "it is newer than every Blender this blendbatch has an image for (the newest is 5.3)"
    )
    # A 5.1 file goes to the oldest image that can render it: its own
    assert "image for Blender 5.1 (make image BLENDER=5.1" in versioncheck.fix((5, 1))


def test_the_same_or_an_older_file_passes_and_is_recorded(tmp_path, caplog):
    allowed = SimpleNamespace(allow_older_blender=False)
    for head, saved in ((b"BLENDER17-01v0500", "5.0"), (b"BLENDER-v405", "4.5")):
        path = blend(tmp_path, head)
        assert versioncheck.check_file(path, (5, 0), allowed) == {"saved_by": saved}
    assert caplog.records == []
    # Not a .blend header: nothing to judge here, Blender's own refusal names it
    assert versioncheck.check_file(blend(tmp_path, b"GARBAGE!" * 3), (5, 0), allowed) == {}


def test_allow_older_blender_renders_with_a_warning(tmp_path, caplog):
    path = blend(tmp_path, b"BLENDER17-01v0503", zstandard.compress)
    with caplog.at_level(logging.WARNING):
        facts = versioncheck.check_file(path, (5, 0), SimpleNamespace(allow_older_blender=True))
    assert facts == {"saved_by": "5.3"}
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "--allow-older-blender: shot.blend was saved by Blender 5.3; rendering it with " \
        "this older Blender 5.0 anyway" in caplog.text  # fmt: skip


def test_frames_of_another_release_are_rendered_again_said_once(caplog):
    recorded = [
        {"frame": f, "blender": b}
        for f, b in ((1, "4.5.3"), (2, "4.5.3"), (3, "4.5.3"), (4, "5.0.0"), (5, "4.2.1"))
    ]
    why = {f: f"made by Blender {r['blender']}, this is Blender 5.0.1" for f, r in
           zip(range(1, 6), recorded, strict=True)}  # fmt: skip
    with caplog.at_level(logging.INFO):
        versioncheck.say_resume([6], why, recorded, "5.0.1")
    assert caplog.messages == [
        "frame 6: already in the output, skipped",
        "frame 4: made by Blender 5.0.0, this is Blender 5.0.1; rendering again",
        "frame 5 was rendered by Blender 4.2, this is 5.0: rendering it again",
        "frames 1-3 were rendered by Blender 4.5, this is 5.0: rendering them again",
    ]


def test_the_report_warns_when_an_older_blender_rendered_the_file():
    ms = manifests("Shot")
    ms[0]["runs"][-1]["saved_by"] = "5.3"  # its settings say Blender 5.0.1
    ms[1]["runs"][-1]["saved_by"] = "5.0"
    warnings = report.build(ms, files={})["warnings"]
    older = [w for w in warnings if "rendered by an older Blender than the file's" in w]
    assert older == [
        "--allow-older-blender: rendered by an older Blender than the file's (saved by "
        "Blender 5.3, rendered by Blender 5.0.1): what 5.3 added may be missing from the frames"
    ]
