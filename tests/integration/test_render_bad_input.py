"""Bad input: exit 2 (never retried), a message naming the problem and the fix, no output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_entrypoint


@pytest.fixture(scope="module")
def good_blend(make_blend) -> Path:
    return make_blend(end=2)


def blend_file(kind: str, good: Path, folder: Path) -> str:
    path = folder / "scene.blend"
    if kind == "text":
        path.write_text("not a blend file")
    elif kind == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "missing":
        pass
    return str(path)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("text", "it is not a .blend file: check the path"),
        ("truncated", "upload the whole file again"),
        ("empty", "scene.blend is empty (0 bytes): upload the .blend again"),
        ("missing", "does not exist or is not a file: check the path"),
    ],
    ids=["not-a-blend", "truncated", "empty", "missing-file"],
)
def test_a_bad_blend_is_refused(good_blend, tmp_path, kind, message):
    out = tmp_path / "out"
    blend = blend_file(kind, good_blend, tmp_path)
    result = run_entrypoint("render", "-i", blend, "-o", str(out), "-f", "1")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["-f", "0"], {}, "frames per job (-f) is 0: give 1 or more"),
        (["-f", "-3"], {}, "frames per job (-f) is -3: give 1 or more"),
        (["--scene", "Nope"], {}, "--scene 'Nope' is not in the file: it has 'Demo'"),
        (["--camera", "Nope"], {}, "--camera 'Nope' is not a camera object in the file"),
        (["--camera", "Cube"], {}, "its cameras are 'Camera'"),
        (["--start", "2", "--end", "1"], {}, "--start 2 is after --end 1"),
        (["--start", "7"], {}, "no frame of the scene (frames 1-2) is at or after --start 7"),
        ([], {"AWS_BATCH_JOB_ARRAY_INDEX": "-1"}, "AWS_BATCH_JOB_ARRAY_INDEX=-1 is negative"),
        ([], {"AWS_BATCH_JOB_ARRAY_INDEX": "x"}, "AWS_BATCH_JOB_ARRAY_INDEX='x' is not a whole"),
        (["--format", "GIF"], {}, "--format 'GIF' is not supported: use PNG, JPEG or OpenEXR"),
        (["--engine", "povray"], {}, "--engine 'povray' is not an engine: use one of cycles"),
        (["--device", "tpu"], {}, "--device 'tpu' is unknown: use one of cpu"),
        (["--samples", "0"], {}, "--samples 0: give 1 or more"),
        (["--resolution-percent", "0"], {}, "--resolution-percent 0: give 1 to 1000"),
        (["--threads", "0"], {}, "--threads 0: give 1 to 1024"),
        (["--engine", "workbench", "--samples", "4"], {}, "--samples applies to Cycles and EEVEE"),
    ],
    ids=[
        "f-zero",
        "f-negative",
        "unknown-scene",
        "unknown-camera",
        "not-a-camera",
        "start-after-end",
        "range-outside-scene",
        "negative-index",
        "index-not-a-number",
        "format",
        "engine",
        "device",
        "samples",
        "resolution-percent",
        "threads",
        "samples-for-workbench",
    ],
)
def test_a_bad_request_is_refused(good_blend, tmp_path, args, env, message):
    out = tmp_path / "out"
    result = run_entrypoint(
        "render", "-i", str(good_blend), "-o", str(out), "-f", "1", *args, env=env
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ftp://host/scene.blend", "scheme 'ftp' is not supported: use s3:// or a local path"),
        ("s3:///scene.blend", "names no bucket: write s3://BUCKET/path/to/scene.blend"),
        ("s3://{bucket}/", "names no object: write s3://BUCKET/path/to/scene.blend"),
        ("s3://{bucket}/missing.blend", "does not exist: upload it first or fix the key"),
        ("s3://no-such-bucket-bb/scene.blend", "does not exist: upload it first or fix the key"),
    ],
    ids=["scheme", "no-bucket", "no-key", "missing-key", "missing-bucket"],
)
def test_a_bad_input_uri_is_refused(bucket, tmp_path, uri, message):
    out = tmp_path / "out"
    result = run_entrypoint("render", "-i", uri.format(bucket=bucket), "-o", str(out), "-f", "1")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not out.exists()


def test_a_bad_output_uri_is_refused_before_anything_is_read(good_blend):
    result = run_entrypoint("render", "-i", str(good_blend), "-o", "gs://bucket/x", "-f", "1")
    assert result.returncode == 2
    assert "scheme 'gs' is not supported" in result.stderr
