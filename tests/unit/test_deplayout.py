import json

import pytest

from entrypoint.deplayout import (
    Found,
    Manifest,
    PathEntry,
    abs_layout,
    lands,
    parse_manifest,
    plan_layout,
    remap_table,
    sequence_pattern,
    store_of,
    target_layout,
)
from entrypoint.errors import BadInput

HEX_A, HEX_B = "a" * 64, "b" * 64


def found(referrer, written, path, files=None, kind="image", owner="IMx"):
    return Found(referrer, written, path, tuple(files or [path]), kind, owner)


@pytest.mark.parametrize(
    ("written", "layout"),
    [
        ("/mnt/a/x.png", "_abs/mnt/a/x.png"),
        ("/mnt/a/../b/x.png", "_abs/mnt/b/x.png"),
        ("C:\\tex\\a.png", "_abs/C/tex/a.png"),
        ("c:/tex/a.png", "_abs/C/tex/a.png"),
        ("\\\\srv\\share\\a.png", "_abs/UNC/srv/share/a.png"),
        ("C:\\..\\..\\a.png", "_abs/C/a.png"),
    ],
)
def test_absolute_and_windows_paths_go_under_abs(written, layout):
    assert abs_layout(written) == layout


def test_relative_paths_keep_resolving_from_the_common_root():
    plan = plan_layout(
        "/p/shots/shot.blend",
        [
            found("/p/shots/shot.blend", "//../textures/c.png", "/p/textures/c.png"),
            found(
                "/p/shots/shot.blend",
                "//../lib/props.blend",
                "/p/lib/props.blend",
                kind="library",
                owner="LIprops.blend",
            ),
            found("/p/lib/props.blend", "//..\\tex\\p.png", "/p/tex/p.png"),
            found("/p/shots/shot.blend", "/mnt/a/x.png", "/mnt/a/x.png"),
            found("/p/shots/shot.blend", "/p/textures/d.png", "/p/textures/d.png"),
        ],
    )
    assert plan.root == "/p"
    assert plan.blend == "shots/shot.blend"
    assert [e["layout"] for e in plan.paths] == [
        "textures/c.png",
        "lib/props.blend",
        "tex/p.png",
        "_abs/mnt/a/x.png",
        "textures/d.png",
    ]
    assert plan.paths[2]["referrer"] == "lib/props.blend"
    assert plan.files["_abs/mnt/a/x.png"] == "/mnt/a/x.png"
    entries = [PathEntry(**e) for e in plan.paths]
    assert [lands(e) for e in entries] == [True, True, True, False, False]


def test_a_sequence_and_udim_set_keep_their_pattern_in_one_entry():
    frames = [f"/p/seq/tex_{n:04d}.png" for n in (1, 2, 3)]
    tiles = ["/p/u/a.1001.png", "/p/u/a.1002.png"]
    plan = plan_layout(
        "/p/s.blend",
        [
            found(
                "/p/s.blend",
                "//seq/tex_####.png",
                "/p/seq/tex_####.png",
                frames,
                kind="image-sequence",
            ),
            found("/p/s.blend", "//u/a.<UDIM>.png", "/p/u/a.<UDIM>.png", tiles, kind="udim"),
        ],
    )
    assert [e["layout"] for e in plan.paths] == ["seq/tex_####.png", "u/a.<UDIM>.png"]
    assert sorted(plan.files) == [
        "seq/tex_0001.png",
        "seq/tex_0002.png",
        "seq/tex_0003.png",
        "u/a.1001.png",
        "u/a.1002.png",
    ]
    entry = PathEntry(**plan.paths[0])
    assert target_layout(entry, "//seq/tex_0001.png") == "seq/tex_0001.png"
    udim = PathEntry("s.blend", "C:\\u\\a.<UDIM>.png", "_abs/C/u/a.<UDIM>.png", "udim", "IMa")
    assert target_layout(udim, udim.written) == "_abs/C/u/a.<UDIM>.png"


def test_sequence_pattern_numbers_the_last_digits_of_the_name():
    assert sequence_pattern("//seq2/tex_0001.png") == "//seq2/tex_####.png"
    assert sequence_pattern("C:\\s\\f12.exr") == "C:/s/f##.exr"
    assert sequence_pattern("/a/v_1_010.vdb") == "/a/v_1_###.vdb"


def manifest(**changes) -> bytes:
    data = {
        "format": 1,
        "blend": {"layout": "shots/s.blend", "sha256": HEX_A, "size": 10},
        "files": [{"layout": "tex/a.png", "sha256": HEX_B, "size": 4}],
        "paths": [
            {
                "referrer": "shots/s.blend",
                "written": "C:\\tex\\a.png",
                "layout": "tex/a.png",
                "kind": "image",
                "owner": "IMa",
            }
        ],
    } | changes
    return json.dumps(data).encode()


def test_a_manifest_reads_back_and_says_what_to_remap():
    parsed = parse_manifest(manifest(), "m.json")
    assert isinstance(parsed, Manifest)
    assert parsed.blend.layout == "shots/s.blend"
    assert [f.layout for f in parsed.files] == ["tex/a.png"]
    assert list(remap_table(parsed)) == [("shots/s.blend", "C:\\tex\\a.png")]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"format": 2}, "format 2"),
        ({"files": [{"layout": "../x.png", "sha256": HEX_B, "size": 1}]}, "'../x.png'"),
        ({"files": [{"layout": "/etc/passwd", "sha256": HEX_B, "size": 1}]}, "'/etc/passwd'"),
        ({"files": [{"layout": "a\\..\\..\\x", "sha256": HEX_B, "size": 1}]}, "leaves"),
        ({"files": [{"layout": "x.png", "sha256": "XYZ", "size": 1}]}, "'XYZ'"),
        (
            {
                "files": [
                    {"layout": "x.png", "sha256": HEX_B, "size": 1},
                    {"layout": "x.png", "sha256": HEX_A, "size": 1},
                ]
            },
            "'x.png'",
        ),
        ({"blend": {"layout": "s.blend"}}, "malformed"),
    ],
)
def test_a_bad_manifest_is_refused_naming_the_entry(changes, words):
    with pytest.raises(BadInput, match="--upload") as caught:
        parse_manifest(manifest(**changes), "m.json")
    assert words in str(caught.value)


def test_the_same_file_twice_at_one_layout_is_one_download():
    twice = [{"layout": "x.png", "sha256": HEX_B, "size": 1}] * 2
    assert len(parse_manifest(manifest(files=twice), "m").files) == 1


def test_the_store_is_the_manifest_folders_parent():
    assert store_of(f"s3://b/blendbatch-cas/deps/{HEX_A}.json") == "s3://b/blendbatch-cas"
    assert store_of("/x/cas/deps/m.json") == "/x/cas"
    with pytest.raises(BadInput, match="--deps"):
        store_of("m.json")


def test_sequence_frames_are_numbered_like_blender():
    from entrypoint.deplayout import image_user_frame, sequence_file

    assert sequence_file("/p/seq/tex_0001.png", 12) == "/p/seq/tex_0012.png"
    assert sequence_file("/p/seq/tex_0001.png", 12345) == "/p/seq/tex_12345.png"
    assert [image_user_frame(f, 1, 3, 0, False) for f in (1, 3, 5)] == [1, 3, 3]
    assert [image_user_frame(f, 1, 3, 0, True) for f in (1, 3, 4)] == [1, 3, 1]
    assert image_user_frame(10, 10, 5, 100, False) == 101
    assert image_user_frame(1, 1, 0, 0, False) is None
