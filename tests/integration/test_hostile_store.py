"""Hostile output folders, frames and manifests, and `blendbatch run`'s own checks: every case
exits with its documented code, says what is wrong and how to fix it, shows no traceback, and
writes nothing under a final name it should not (and nothing outside the output).

With BLENDBATCH_CASE_TABLE=FILE set, each case appends `id | exit code | message` to FILE.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoint.errors import TransientFailure
from entrypoint.storage import LocalDir
from tests.conftest import ROOT, run_cli, run_entrypoint
from tests.stitch_kit import png_bytes, render_output, write_local

OUTSIDE = b"an outside file nobody may change\n"


def record(case: str, result: subprocess.CompletedProcess) -> None:
    """One row of the closing note's table (the mechanism of test_hostile_input.py)."""
    if table := os.environ.get("BLENDBATCH_CASE_TABLE"):
        last = (result.stderr.strip().splitlines() or [""])[-1].split(": ", 1)[-1]
        with open(table, "a") as sink:
            sink.write(f"{case} | {result.returncode} | {last}\n")


def as_pid_one(*argv: str) -> list[str]:
    """A command in its own PID namespace, where it is PID 1 as in every container."""
    return ["unshare", "--pid", "--fork", "--mount-proc", *argv]


def entrypoint_as_pid_one(*args: str, index: int = 0) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_BATCH_JOB_")}
    env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(index)
    return subprocess.run(
        as_pid_one(sys.executable, "-m", "entrypoint", *args),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


# --- 3: links at partial and final names ---------------------------------------------------


def test_render_as_pid_one_never_writes_through_planted_links(make_blend, tmp_path):
    """Under PID 1 the old partial names were `.0001.png.1.partial`: links planted there (and at
    a final name) must not redirect a write; the outside file stays as it was."""
    blend = make_blend(end=2)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(OUTSIDE)
    out = tmp_path / "out"
    (out / "frames").mkdir(parents=True)
    (out / "manifests").mkdir()
    for name in ("0001.png", "0002.png"):
        (out / "frames" / f".{name}.1.partial").symlink_to(outside)
    (out / "manifests" / ".slice-00000.json.1.partial").symlink_to(outside)
    (out / "frames" / "0002.png").symlink_to(outside)  # a final name that is a link

    result = entrypoint_as_pid_one("render", "-i", str(blend), "-o", str(out), "-f", "2")
    record("render-links-at-partial-names", result)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert outside.read_bytes() == OUTSIDE
    for name in ("frames/0001.png", "frames/0002.png", "manifests/slice-00000.json"):
        assert not (out / name).is_symlink(), name
        assert (out / name).is_file(), name
    assert (out / "frames" / "0001.png").read_bytes().startswith(b"\x89PNG")


def test_put_bytes_replaces_a_link_at_the_final_name(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(OUTSIDE)
    out = tmp_path / "out"
    (out / "manifests").mkdir(parents=True)
    (out / "manifests" / "slice-00000.json").symlink_to(outside)
    LocalDir(out).put_bytes(b"{}", "manifests/slice-00000.json")
    assert outside.read_bytes() == OUTSIDE
    assert not (out / "manifests" / "slice-00000.json").is_symlink()
    assert (out / "manifests" / "slice-00000.json").read_bytes() == b"{}"


def test_a_linked_folder_in_the_output_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "frames").symlink_to(elsewhere)
    source = tmp_path / "frame.png"
    source.write_bytes(b"x")
    with pytest.raises(Exception) as caught:
        LocalDir(out).put_file(source, "frames/0001.png")
    assert caught.value.exit_code == 2
    assert "frames is a symbolic link" in str(caught.value)
    assert list(elsewhere.iterdir()) == []


# --- 4: two attempts of one slice, both PID 1 -------------------------------------------------

WRITER = """
import sys
from pathlib import Path
from entrypoint.storage import LocalDir
out, tag = LocalDir(__import__("pathlib").Path(sys.argv[1])), sys.argv[2].encode()
body = tag * 200_000
for _ in range(150):
    out.put_bytes(body, "frames/0001.png")
"""


def test_two_attempts_as_pid_one_write_one_key_concurrently(tmp_path):
    """Both writers are PID 1 (as two containers of one slice): neither may fail, and the file
    under the final name is always one writer's whole body."""
    out = tmp_path / "out"
    writers = [
        subprocess.Popen(
            as_pid_one(sys.executable, "-c", WRITER, str(out), tag),
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    results = [(w.wait(timeout=300), w.stderr.read()) for w in writers]
    for code, stderr in results:
        record(
            "two-attempts-one-key-pid-one",
            subprocess.CompletedProcess([], code, "", stderr),
        )
        assert code == 0, stderr[-3000:]
    final = (out / "frames" / "0001.png").read_bytes()
    assert final in (b"a" * 200_000, b"b" * 200_000)
    assert [p.name for p in (out / "frames").iterdir()] == ["0001.png"]  # no partial left


def test_a_vanished_partial_is_retryable(tmp_path, monkeypatch):
    """Our own partial gone before the rename (another attempt's cleanup, `--fresh`): the
    write failed for a reason a retry cures, not bad input."""
    real_replace = os.replace

    def vanish(src, dst):
        os.unlink(src)
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", vanish)
    with pytest.raises(TransientFailure, match="retry"):
        LocalDir(tmp_path).put_bytes(b"{}", "manifests/slice-00000.json")
    assert not (tmp_path / "manifests" / "slice-00000.json").exists()


def test_stitch_refuses_a_frame_that_is_a_link(tmp_path):
    """A frame that is a link shows a file from elsewhere (a whole, valid PNG here): refused as
    a bad frame, never read into the video."""
    source = tmp_path / "src"
    write_local(source, render_output([1, 2, 3, 4]))
    stranger = tmp_path / "stranger.png"
    stranger.write_bytes(png_bytes(17, 11, 200))
    (source / "frames" / "0002.png").unlink()
    (source / "frames" / "0002.png").symlink_to(stranger)
    out = tmp_path / "out"

    result = run_entrypoint("stitch", "-i", str(source), "-o", str(out))
    record("stitch-frame-is-a-link", result)

    assert result.returncode == 2, result.stderr[-3000:]
    assert "(a symbolic link 2)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


# --- 17: unreadable manifests ----------------------------------------------------------------

BAD_MANIFESTS = {
    "empty": b"",
    "not-json": b"\x00\xffPK\x03\x04 a zip, not a manifest",
    "json-list": b"[1, 2, 3]",
    "foreign-json": b'{"name": "package.json of something else", "version": "1.0.0"}',
    "cut-short": b'{"format": 3, "index": 1, "scene": {"name": "Sc',
}


@pytest.mark.parametrize("kind", BAD_MANIFESTS, ids=list(BAD_MANIFESTS))
def test_stitch_names_an_unreadable_manifest(kind, tmp_path):
    source = tmp_path / "src"
    write_local(source, render_output([1, 2, 3, 4], per_slice=2))
    (source / "manifests" / "slice-00001.json").write_bytes(BAD_MANIFESTS[kind])
    out = tmp_path / "out"

    result = run_entrypoint("stitch", "-i", str(source), "-o", str(out))
    record(f"stitch-manifest-{kind}", result)

    assert result.returncode == 2, result.stderr[-3000:]
    assert f"the render manifest {source}/manifests/slice-00001.json is unreadable" in (
        result.stderr
    )
    assert "delete it, or re-run the render child of slice 1" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_stitch_refuses_a_manifest_that_is_a_link(tmp_path):
    source = tmp_path / "src"
    files = render_output([1, 2])
    write_local(source, files)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(files["manifests/slice-00000.json"])
    (source / "manifests" / "slice-00000.json").unlink()
    (source / "manifests" / "slice-00000.json").symlink_to(elsewhere)

    result = run_entrypoint("stitch", "-i", str(source), "-o", str(tmp_path / "out"))
    record("stitch-manifest-is-a-link", result)

    assert result.returncode == 2, result.stderr[-3000:]
    assert "slice-00000.json is unreadable (a symbolic link)" in result.stderr
    assert "Traceback" not in result.stderr


def test_render_distrusts_its_own_unreadable_manifest(make_blend, tmp_path):
    """The child's own earlier manifest is junk: its records cannot vouch for the frames there,
    so the child says so, renders the slice again and writes a good manifest."""
    blend = make_blend(end=2)
    out = tmp_path / "out"
    first = run_entrypoint("render", "-i", str(blend), "-o", str(out), "-f", "2")
    assert first.returncode == 0, first.stderr[-3000:]
    (out / "manifests" / "slice-00000.json").write_bytes(b"")

    result = run_entrypoint("render", "-i", str(blend), "-o", str(out), "-f", "2")
    record("render-own-manifest-empty", result)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert (
        f"the slice's earlier manifest {out}/manifests/slice-00000.json is unreadable (empty): "
        "its records cannot be trusted; rendering the slice's frames again"
    ) in result.stderr
    assert "frame 1: no manifest records how it was made; rendering again" in result.stderr
    manifest = json.loads((out / "manifests" / "slice-00000.json").read_bytes())
    assert [r["frame"] for r in manifest["rendered"]] == [1, 2]


# --- 20: `blendbatch run`'s own output and worker checks --------------------------------------


def _run_refusal(case: str, make_blend, tmp_path, *args: str, message: str) -> None:
    blend = make_blend(end=2)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("run", "-i", str(blend), "-f", "1", *args)
    record(case, result)
    assert result.returncode == 2, result.stderr[-3000:]
    assert message in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a refused run created files"


def test_run_refuses_an_output_that_is_a_file(make_blend, tmp_path):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    _run_refusal(
        "run-output-is-a-file",
        make_blend,
        tmp_path,
        "-o",
        str(taken),
        message=f"-o {taken}: {taken} is not a folder: pick a folder "
        "(it is created if it does not exist)",
    )
    assert taken.read_text() == "mine"


def test_run_refuses_dev_null(make_blend, tmp_path):
    _run_refusal(
        "run-output-dev-null",
        make_blend,
        tmp_path,
        "-o",
        "/dev/null",
        message="-o /dev/null: /dev/null is not a folder",
    )


def test_run_refuses_a_run_folder_that_is_a_file(make_blend, tmp_path):
    (tmp_path / "shot").write_text("mine")
    _run_refusal(
        "run-name-is-a-file",
        make_blend,
        tmp_path,
        "-o",
        str(tmp_path),
        "-n",
        "shot",
        message=f"-o {tmp_path}: {tmp_path / 'shot'} is not a folder",
    )


def test_run_refuses_an_output_below_a_file(make_blend, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    _run_refusal(
        "run-output-below-a-file",
        make_blend,
        tmp_path,
        "-o",
        str(tmp_path / "notes.txt" / "renders"),
        message=f"{tmp_path / 'notes.txt'} is not a folder",
    )


@pytest.mark.parametrize("workers", ["-1", "-8"])
def test_run_refuses_negative_workers(workers, make_blend, tmp_path):
    _run_refusal(
        f"run-workers{workers}",
        make_blend,
        tmp_path,
        "-o",
        str(tmp_path / "renders"),
        "--workers",
        workers,
        message=f"--workers {workers}: give how many children run at a time (1 or more), "
        "or 0 for one per core",
    )


# --- 16: frame rates no video plays -----------------------------------------------------------

F32_1E5 = 9.999999747378752e-06  # fps_base 1e-5 (Blender's minimum) as the child records it
RATE_ADVICE = (
    "a video plays 1/10000 to 240000 frames per second; set Frame Rate (and Base) in the "
    "scene's Output Properties to a rate in that range and render again"
)


@pytest.mark.parametrize(
    ("case", "fps", "fps_base", "codec", "message"),
    [
        (
            "stitch-fps-base-1e-5",
            24,
            F32_1E5,
            "h264",
            f"the scene's frame rate (fps 24 / fps_base {F32_1E5}) is 2.4e+06 frames per "
            f"second: {RATE_ADVICE}",
        ),
        (
            "stitch-fps-0",
            0,
            1.0,
            "h264",
            f"the scene's frame rate (fps 0 / fps_base 1.0) is 0 frames per second: {RATE_ADVICE}",
        ),
        (
            "stitch-vp9-2000-fps",
            2000,
            1.0,
            "vp9",
            "the scene's frame rate (fps 2000 / fps_base 1.0) is 2000 frames per second: vp9 "
            "plays at most 1000; pass --codec h264 (h264, h265, prores can), or lower the "
            "scene's Frame Rate",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("stitch-") else "",
)
def test_stitch_refuses_a_rate_no_video_plays(case, fps, fps_base, codec, message, tmp_path):
    source = tmp_path / "src"
    write_local(source, render_output([1, 2, 3, 4], fps=fps, fps_base=fps_base))
    out = tmp_path / "out"

    result = run_entrypoint("stitch", "-i", str(source), "-o", str(out), "--codec", codec)
    record(case, result)

    assert result.returncode == 2, result.stderr[-3000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_stitch_encodes_the_smallest_base_at_its_exact_rate(tmp_path):
    """fps 2 with fps_base 1e-5 is exactly 200000 fps, which MP4 keeps: a verified video."""
    source = tmp_path / "src"
    write_local(source, render_output([1, 2, 3, 4], fps=2, fps_base=F32_1E5))
    result = run_entrypoint("stitch", "-i", str(source), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "verified by decoding: 4 frames at 200000 fps" in result.stderr
    assert (tmp_path / "out" / "output.mp4").is_file()


def patched_fps(blend: Path, out: Path, fps: int) -> Path:
    """A copy of an uncompressed .blend whose scene says `fps` (Blender's UI stops at 1)."""
    from submitter.blendfile import read_blend_data

    data = read_blend_data(blend.read_bytes())
    scene = next(b for b in data.blocks if b.code.rstrip(b"\0") == b"SC")
    member = data.sdna.member("Scene", "r.frs_sec")
    raw = bytearray(data.raw)
    raw[scene.start + member.offset : scene.start + member.offset + 2] = fps.to_bytes(
        2, "little", signed=True
    )
    out.write_bytes(bytes(raw))
    return out


@pytest.mark.parametrize(
    ("case", "make", "message"),
    [
        (
            "render-fps-0",
            lambda make_blend, tmp: patched_fps(make_blend(end=2), tmp / "fps0.blend", 0),
            f"the scene's frame rate (fps 0 / fps_base 1.0) is 0 frames per second: {RATE_ADVICE}",
        ),
        (
            "render-fps-base-1e-5",
            lambda make_blend, tmp: make_blend(end=2, fps_base=1e-5),
            f"the scene's frame rate (fps 24 / fps_base {F32_1E5}) is 2.4e+06 frames per "
            f"second: {RATE_ADVICE}",
        ),
    ],
    ids=["render-fps-0", "render-fps-base-1e-5"],
)
def test_render_refuses_a_rate_no_video_plays_before_any_frame(
    case, make, message, make_blend, tmp_path
):
    blend = make(make_blend, tmp_path)
    out = tmp_path / "out"
    result = run_entrypoint("render", "-i", str(blend), "-o", str(out), "-f", "2")
    record(case, result)
    assert result.returncode == 2, result.stderr[-3000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


# --- 10: frames whose checksums are right but whose pixels do not decode ------------------------


def corrupt_pixels(data: bytes) -> bytes:
    """`data` (a PNG) with bytes flipped inside its zlib stream and every CRC recomputed."""
    import zlib

    start = data.index(b"IDAT") - 4
    length = int.from_bytes(data[start : start + 4], "big")
    stream = bytearray(data[start + 8 : start + 8 + length])
    for at in range(2, len(stream) - 4, max(1, len(stream) // 5)):
        stream[at] ^= 0x5A
    body = b"IDAT" + bytes(stream)
    idat = length.to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    return data[:start] + idat + data[start + 12 + length :]


def test_stitch_refuses_a_frame_whose_pixels_do_not_decode(tmp_path):
    source = tmp_path / "src"
    write_local(source, render_output([1, 2, 3, 4]))
    frame = source / "frames" / "0003.png"
    frame.write_bytes(corrupt_pixels(frame.read_bytes()))
    out = tmp_path / "out"

    result = run_entrypoint("stitch", "-i", str(source), "-o", str(out))
    record("stitch-pixels-corrupt-crc-valid", result)

    assert result.returncode == 2, result.stderr[-3000:]
    assert "(corrupt image data (it does not inflate) 3)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("pix_fmt", ["rgb24", "rgba", "rgb48be", "rgba64be", "gray", "pal8"])
def test_pngs_ffmpeg_writes_are_whole(pix_fmt, tmp_path):
    """The check agrees with a real encoder on every PNG layout it writes."""
    from entrypoint.framecheck import image_size
    from entrypoint.video import ffmpeg_exe

    made = tmp_path / f"{pix_fmt}.png"
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc2=size=64x36", "-vf", "scale=37:23", "-frames:v", "1",
         "-pix_fmt", pix_fmt, str(made)],
        check=True,
    )  # fmt: skip
    assert image_size(made.read_bytes(), "png") == (37, 23)


def test_a_jpeg_ffmpeg_writes_is_whole(tmp_path):
    from entrypoint.framecheck import image_size
    from entrypoint.video import ffmpeg_exe

    made = tmp_path / "frame.jpg"
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc2=size=64x36", "-frames:v", "1", str(made)],
        check=True,
    )  # fmt: skip
    assert image_size(made.read_bytes(), "jpg") == (64, 36)
