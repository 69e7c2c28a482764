"""What `submit` refuses before any call, and the pure checks the children share with it:
where inputs and outputs may be, how long names may be, both requests' sizes, one
normalisation of an output URI, bounded decompression and big-endian headers."""

from __future__ import annotations

import contextlib
import tracemalloc

import pytest
import zstandard

from entrypoint import layout
from entrypoint.errors import BadInput
from entrypoint.render.blendcheck import check_blend_complete
from entrypoint.storage import S3Prefix, parse_location, split_file_uri
from submitter import blendbytes, blendfile, plan


def render_plan(**changes) -> plan.RenderPlan:
    values = dict(
        name="shot",
        input_uri="s3://films/scenes/shot.blend",
        output_uri="s3://films/renders",
        frames_per_job=2,
        frame_count=4,
    )
    return plan.RenderPlan(**(values | changes))


def batch_options(**changes) -> plan.BatchOptions:
    return plan.BatchOptions(**(dict(queue="q", job_definition="jd") | changes))


# --- 7, 11: Batch children read and write S3 -----------------------------------------------


@pytest.mark.parametrize(
    ("input_uri", "output_uri", "message"),
    [
        (
            "s3://films/scenes/shot.blend",
            "renders",
            "-o 'renders' is not an s3:// URI: on AWS Batch every frame would land on the "
            "container's disk and be lost; write -o s3://BUCKET/PREFIX (or render here with "
            "blendbatch run)",
        ),
        (
            "scenes/shot.blend",
            "s3://films/renders",
            "-i 'scenes/shot.blend' is not an s3:// URI: AWS Batch children read the .blend "
            "from S3; write -i s3://BUCKET/KEY.blend (with --upload scenes/shot.blend to send "
            "the local file there)",
        ),
        (
            "s3://films/scenes/",
            "s3://films/renders",
            "-i 's3://films/scenes/' ends in '/', so it names a folder, not the .blend: "
            "write the object's key, e.g. s3://films/scenes/shot.blend",
        ),
        (
            "s3://films",
            "s3://films/renders",
            "-i 's3://films' names no object: write the object's key, e.g. "
            "s3://films/scenes/shot.blend",
        ),
    ],
    ids=["output-local", "input-local", "input-folder", "input-bucket-only"],
)
def test_batch_inputs_and_outputs_must_be_in_s3(input_uri, output_uri, message):
    with pytest.raises(BadInput) as refused:
        plan.check_locations(input_uri, output_uri)
    assert str(refused.value) == message


def test_with_upload_a_local_input_is_refused_saying_what_i_means():
    with pytest.raises(BadInput) as refused:
        plan.check_locations("shot.blend", "s3://films/renders", upload="shot.blend")
    assert str(refused.value) == (
        "-i 'shot.blend' is not an s3:// URI: with --upload, -i is the S3 key the .blend is "
        "copied to (its bucket also holds the content-addressed store); write e.g. "
        "-i s3://BUCKET/scenes/shot.blend"
    )


def test_validate_refuses_a_local_output_too():
    with pytest.raises(BadInput, match="-o '/tmp/out' is not an s3:// URI"):
        plan.validate(render_plan(output_uri="/tmp/out"), batch_options())


# --- 12: name lengths --------------------------------------------------------------------


def test_a_video_name_longer_than_a_file_name_is_refused_with_the_numbers():
    name = "v" * 296 + ".mp4"
    with pytest.raises(BadInput) as refused:
        layout.check_output_names("s3://films/renders/shot", name)
    assert str(refused.value) == (
        f"the video name {name[:40]}... is 300 bytes but a file name holds at most 255 bytes: "
        "give a shorter video name (--video-name, or stitch's --name)"
    )


def test_an_output_prefix_making_keys_over_1024_bytes_is_refused_with_the_numbers():
    root = "s3://films/" + "/".join(["p" * 200] * 5) + "/shot"  # a prefix of 1,009 bytes
    with pytest.raises(BadInput) as refused:
        layout.check_output_names(root, "output.mp4")
    longest = max(layout.longest_names("output.mp4"), key=lambda n: len(n.encode()))
    key_bytes = len(root.encode()) - len("s3://films/") + 1 + len(longest.encode())
    assert str(refused.value) == (
        f"the output prefix {root[:60]}... is {len(root) - len('s3://films/')} bytes, so keys "
        f"such as .../{longest} would be {key_bytes} bytes but S3 keys hold at most 1024: "
        "use a shorter -o prefix or -n name"
    )


def test_the_longest_names_cover_every_kind_the_output_holds():
    names = layout.longest_names("shot.mp4")
    tops = {name.split("/")[0] for name in names}
    assert {"frames", "manifests", "jobs", "segments", "proxies"} <= tops
    assert {"shot.mp4", "shot.poster.jpg", "shot.sheet.jpg", "report.html"} <= set(names)


def test_an_output_at_the_limits_is_accepted():
    longest = max(len(n.encode()) for n in layout.longest_names("output.mp4"))
    prefix = "p" * (1024 - 1 - longest)
    layout.check_output_names(f"s3://films/{prefix[:200]}/{prefix[201:]}", "output.mp4")
    layout.check_output_names("/tmp/" + "x" * 255, "v" * 251 + ".mp4")


def test_a_local_output_folder_name_over_255_bytes_is_refused():
    with pytest.raises(BadInput, match=r"is 300 bytes but a file name holds at most 255"):
        layout.check_output_names("/tmp/" + "x" * 300, "output.mp4")


def test_plan_check_refuses_a_long_video_name_for_run_and_submit():
    with pytest.raises(BadInput, match="the video name v+... is 300 bytes"):
        plan.check(render_plan(video_name="v" * 296 + ".mp4"))


def test_the_child_refuses_an_input_whose_name_is_over_255_bytes():
    uri = "s3://films/scenes/" + "s" * 294 + ".blend"
    with pytest.raises(BadInput) as refused:
        split_file_uri(uri)
    assert str(refused.value) == (
        f"the .blend's name in {uri[:60]}... is 300 bytes but a file name holds at most 255 "
        "bytes (the child saves it under that name): rename the object"
    )


def test_submit_refuses_an_input_whose_name_is_over_255_bytes():
    with pytest.raises(BadInput, match="the .blend's name in .* is 300 bytes"):
        plan.check_locations("s3://films/scenes/" + "s" * 294 + ".blend", "s3://films/r")


# --- 13: both requests within 30 KiB ----------------------------------------------------


def test_a_stitch_request_over_30_kib_is_refused_before_any_call():
    # A long output (twice in the stitch command, once in the render's) and a large --env.
    render = render_plan(output_uri="s3://films/" + "/".join(["o" * 200] * 4))
    value = "e" * 100
    while True:
        options = batch_options(environment={"BIG": value})
        render_size = plan.request_size(plan.render_request(render, options))
        stitch_size = plan.request_size(plan.stitch_request(render, options, "0" * 36))
        if stitch_size > plan.MAX_REQUEST_BYTES:
            break
        value += "e" * 100
    assert render_size <= plan.MAX_REQUEST_BYTES < stitch_size
    with pytest.raises(BadInput) as refused:
        plan.validate(render, options)
    assert str(refused.value) == (
        f"the stitch request is {stitch_size} bytes but AWS Batch takes at most 30720: use "
        "fewer or shorter tags, environment variables or render options, or a shorter -o"
    )


# --- 22: one normalisation of an output URI -----------------------------------------------


@pytest.mark.parametrize(
    ("uri", "normal"),
    [
        ("s3://films//renders/", "s3://films/renders"),
        ("s3://films/a//b///c", "s3://films/a/b/c"),
        ("s3://films/", "s3://films"),
        ("s3://films", "s3://films"),
        ("/tmp/out/", "/tmp/out/"),
    ],
)
def test_an_output_uri_has_one_normal_form(uri, normal):
    assert layout.normal_location(uri) == normal


def test_the_submitter_and_the_child_agree_on_the_output_keys():
    render = render_plan(output_uri="s3://films//x/")
    assert render.output_root == "s3://films/x/shot"
    child = parse_location(render.output_root)
    assert child == S3Prefix("films", "x/shot")
    assert parse_location("s3://films//x//shot/") == child


# --- 18: bounded decompression ------------------------------------------------------------


def zstd_bomb(header: bytes, zeros: int) -> bytes:
    """`header` then `zeros` zero bytes, zstd-compressed: a few KB that inflate to `zeros`."""
    compressor = zstandard.ZstdCompressor(level=3).compressobj()
    chunk = bytes(1 << 20)
    out = [compressor.compress(header)]
    for _ in range(zeros // len(chunk)):
        out.append(compressor.compress(chunk))
    out.append(compressor.flush())
    return b"".join(out)


BOMB = zstd_bomb(b"BLENDER17-01v0500", 256 << 20)


def peak_bytes(action) -> int:
    tracemalloc.start()
    with contextlib.suppress(BadInput):
        action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_a_prefix_read_of_a_zstd_bomb_inflates_no_more_than_the_prefix():
    assert len(BOMB) < 64 * 1024
    with pytest.raises(BadInput, match="no REND block"):
        blendfile.read_blend_info(BOMB, complete=False)
    assert peak_bytes(lambda: blendfile.read_blend_info(BOMB, complete=False)) < 8 << 20


def test_a_whole_read_beyond_the_cap_is_refused_without_inflating_it(monkeypatch):
    monkeypatch.setattr(blendbytes, "MAX_DECOMPRESSED_BYTES", 16 << 20)
    with pytest.raises(BadInput) as refused:
        blendfile.read_blend_data(BOMB)
    assert str(refused.value) == (
        f"{len(BOMB)} bytes of zstd data decompress to more than 16 MiB, more than a .blend "
        "this reader plans from: it is damaged or not a .blend; re-save it from Blender"
    )
    assert peak_bytes(lambda: blendfile.read_blend_data(BOMB)) < 48 << 20


def test_a_gzip_bomb_is_bounded_too(monkeypatch):
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    bomb = compressor.compress(b"BLENDER17-01v0500" + bytes(64 << 20)) + compressor.flush()
    monkeypatch.setattr(blendbytes, "MAX_DECOMPRESSED_BYTES", 8 << 20)
    with pytest.raises(BadInput, match="decompress to more than 8 MiB"):
        blendfile.read_blend_info(bomb, complete=True)
    assert peak_bytes(lambda: blendfile.read_blend_info(bomb, complete=False)) < 8 << 20


# --- 21: big-endian headers -----------------------------------------------------------------

BIG_ENDIAN_FIX = (
    "is a big-endian .blend (saved on a PowerPC-era machine by Blender 2.4x-2.7x), which "
    "Blender 5.0 cannot open: open it in Blender 4.5 or older, save it again (File > Save), "
    "then submit the saved file"
)


@pytest.mark.parametrize("head", [b"BLENDER-V279", b"BLENDER_V249", b"BLENDER17-01V0500"])
def test_the_reader_names_a_big_endian_file_and_the_fix(head):
    with pytest.raises(BadInput) as refused:
        blendfile.read_blend_info(head + b"\0" * 400, complete=False)
    assert str(refused.value) == f"the file {BIG_ENDIAN_FIX}"


@pytest.mark.parametrize("head", [b"BLENDER-V279", b"BLENDER_V249", b"BLENDER17-01V0500"])
def test_the_child_names_a_big_endian_file_and_the_fix(tmp_path, head):
    path = tmp_path / "old.blend"
    path.write_bytes(head + b"\0" * 400 + b"ENDB" + b"\0" * 20)
    with pytest.raises(BadInput) as refused:
        check_blend_complete(path)
    assert str(refused.value) == f"old.blend {BIG_ENDIAN_FIX}"
