"""Hostile and broken input, across the product: every case exits with its documented code,
says what is wrong and how to fix it, shows no traceback, and writes or uploads nothing.

With BLENDBATCH_CASE_TABLE=FILE set, each case appends `id | exit code | message` to FILE.
"""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import run_cli, run_entrypoint

NO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": None,
    "AWS_SECRET_ACCESS_KEY": None,
    "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    # Never ask an instance or container metadata service (not loopback) for credentials.
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None,
}


@dataclass
class World:
    """What a case can point at: good files, a bucket, and places that must stay empty."""

    tmp: Path
    good: Path  # an uncompressed tiny .blend, frames 1-4
    bucket: str
    out: Path = field(init=False)

    def __post_init__(self) -> None:
        self.out = self.tmp / "out"

    def blend(self, name: str, data: bytes) -> str:
        path = self.tmp / name
        path.write_bytes(data)
        return str(path)

    def good_bytes(self) -> bytes:
        return self.good.read_bytes()

    def s3_out(self) -> str:
        return f"s3://{self.bucket}/renders/shot"

    def frames_dir(self, count: int, broken: dict[int, bytes] | None = None) -> str:
        """A render output with manifests and `count` frames, some replaced by `broken`."""
        source = self.tmp / "rendered"
        if not source.exists():
            result = run_entrypoint("render", "-i", str(self.good), "-o", str(source), "-f", "4")
            assert result.returncode == 0, result.stderr
        target = self.tmp / "stitch-source"
        shutil.copytree(source, target)
        for frame, data in (broken or {}).items():
            path = target / "frames" / f"{frame:04d}.png"
            if data is None:
                path.unlink()
            else:
                path.write_bytes(data)
        return str(target)


@dataclass(frozen=True)
class Case:
    id: str
    run: Callable[[World], tuple[str, list[str], dict]]  # -> ("entrypoint"|"cli", argv, env)
    code: int
    message: str


def render(*args: str, env: dict | None = None):
    """A render of the good scene into the local output, with `{good}`-style placeholders."""

    def build(w: World):
        values = {"good": str(w.good), "out": str(w.out), "tmp": str(w.tmp), "bucket": w.bucket,
                  "s3out": w.s3_out()}  # fmt: skip
        argv = [a.format(**values) for a in args]
        defaults = {"-i": str(w.good), "-o": str(w.out), "-f": "2"}
        for flag, value in defaults.items():
            if flag not in argv:
                argv += [flag, value]
        return "entrypoint", ["render", *argv], env or {}

    return build


def render_blend(make: Callable[[World], str], *args: str):
    def build(w: World):
        return "entrypoint", ["render", "-i", make(w), "-o", str(w.out), "-f", "2", *args], {}

    return build


def stitch_of(broken: dict, *args: str):
    def build(w: World):
        source = w.frames_dir(4, broken)
        return "entrypoint", ["stitch", "-i", source, "-o", str(w.out), *args], {}

    return build


def newer_header(w: World) -> str:
    data = bytearray(w.good_bytes())
    data[:17] = b"BLENDER17-02v0600"  # a file format this Blender does not know yet
    return w.blend("newer.blend", bytes(data))


def without_end_block(w: World) -> str:
    data = w.good_bytes()
    return w.blend("no-endb.blend", data[: data.rindex(b"ENDB")])


def truncated_at(fraction: float) -> Callable[[World], str]:
    def make(w: World) -> str:
        data = w.good_bytes()
        return w.blend(f"cut-{fraction}.blend", data[: int(len(data) * fraction)])

    return make


CASES = [
    # The .blend itself
    Case(
        "not-a-blend",
        render_blend(lambda w: w.blend("t.blend", b"hello, not blender\n")),
        2,
        "not a .blend file",
    ),
    Case("empty-file", render_blend(lambda w: w.blend("e.blend", b"")), 2, "is empty (0 bytes)"),
    Case("truncated-header", render_blend(truncated_at(0.00002)), 2, "truncated"),
    Case("truncated-10pc", render_blend(truncated_at(0.1)), 2, "truncated"),
    Case("truncated-50pc", render_blend(truncated_at(0.5)), 2, "truncated"),
    Case("truncated-99pc", render_blend(truncated_at(0.99)), 2, "truncated"),
    Case("no-end-block", render_blend(without_end_block), 2, "truncated"),
    Case(
        "gzip-garbage",
        render_blend(lambda w: w.blend("g.blend", b"\x1f\x8b" + os.urandom(200))),
        2,
        "does not decompress",
    ),
    Case(
        "gzip-of-text",
        render_blend(lambda w: w.blend("gt.blend", gzip.compress(b"x" * 500))),
        2,
        "not a .blend file",
    ),
    Case(
        "zstd-garbage",
        render_blend(lambda w: w.blend("z.blend", b"\x28\xb5\x2f\xfd" + os.urandom(200))),
        2,
        "does not decompress",
    ),
    Case("newer-version", render_blend(newer_header), 2, "newer"),
    Case("missing-file", render("-i", "{tmp}/nope.blend"), 2, "does not exist"),
    # The request
    Case("unknown-scene", render("--scene", "Nope"), 2, "--scene 'Nope' is not in the file"),
    Case("unknown-camera", render("--camera", "Nope"), 2, "--camera 'Nope'"),
    Case("f-zero", render("-f", "0"), 2, "frames per job (-f) is 0: give 1 or more"),
    Case("f-negative", render("-f", "-4"), 2, "frames per job (-f) is -4"),
    Case("f-not-a-number", render("-f", "ten"), 2, "invalid int value: 'ten'"),
    Case("start-after-end", render("--start", "3", "--end", "2"), 2, "--start 3 is after --end 2"),
    Case(
        "index-negative",
        render(env={"AWS_BATCH_JOB_ARRAY_INDEX": "-1"}),
        2,
        "AWS_BATCH_JOB_ARRAY_INDEX=-1 is negative",
    ),
    Case(
        "index-not-a-number",
        render(env={"AWS_BATCH_JOB_ARRAY_INDEX": "one"}),
        2,
        "AWS_BATCH_JOB_ARRAY_INDEX='one' is not a whole number",
    ),
    # Where things are
    Case(
        "unknown-scheme-in",
        render("-i", "gs://bucket/scene.blend"),
        2,
        "scheme 'gs' is not supported",
    ),
    Case(
        "unknown-scheme-out",
        render("-o", "https://example.com/out"),
        2,
        "scheme 'https' is not supported",
    ),
    Case("s3-without-key", render("-i", "s3://{bucket}"), 2, "names no object"),
    Case(
        "s3-prefix-escapes",
        render("-o", "s3://{bucket}/renders/../../elsewhere"),
        2,
        "would escape the output location",
    ),
    Case("video-name-escapes", stitch_of({}, "--name", "../../escaped.mp4"), 2, "--name"),
    Case(
        "bucket-missing", render("-i", "s3://no-such-bucket-here/scene.blend"), 2, "does not exist"
    ),
    Case("output-not-writable", render("-o", "{good}/out"), 2, "pick a folder you can write to"),
    Case(
        "no-credentials",
        render("-i", "s3://{bucket}/scenes/good.blend", env=NO_CREDENTIALS),
        2,
        "no AWS credentials",
    ),
    # Stitch
    Case("stitch-missing-frames", stitch_of({2: None, 3: None}), 2, "missing 2-3"),
    Case("stitch-zero-byte-frame", stitch_of({4: b""}), 2, "0-byte 4"),
    Case(
        "stitch-no-manifest",
        lambda w: ("entrypoint", ["stitch", "-i", str(w.tmp / "nothing"), "-o", str(w.out)], {}),
        2,
        "run the render job",
    ),  # fmt: skip
    # The submitter
    Case(
        "submit-not-a-blend",
        lambda w: (
            "cli",
            [
                "submit",
                "-i",
                f"s3://{w.bucket}/scenes/t.blend",
                "-o",
                w.s3_out(),
                "-f",
                "1",
                "-n",
                "x",
                "-q",
                "q",
                "-d",
                "d",
            ],
            {},
        ),
        2,
        "not a .blend",
    ),  # fmt: skip
    Case(
        "submit-bad-name",
        lambda w: (
            "cli",
            [
                "submit",
                "--upload",
                str(w.good),
                "-i",
                f"s3://{w.bucket}/scenes/u.blend",
                "-o",
                w.s3_out(),
                "-f",
                "1",
                "-n",
                "bad name!",
                "-q",
                "q",
                "-d",
                "d",
            ],
            {},
        ),
        2,
        "job name 'bad name!' is not valid",
    ),  # fmt: skip
]


def run_case(case: Case, world: World):
    kind, argv, env = case.run(world)
    if kind == "entrypoint":
        return run_entrypoint(*argv, env=env)
    return run_cli(*argv)


@pytest.fixture
def world(make_blend, bucket, tmp_path) -> World:
    import boto3

    good = make_blend(end=4)
    s3 = boto3.client("s3")
    s3.upload_file(str(good), bucket, "scenes/good.blend")
    s3.put_object(Bucket=bucket, Key="scenes/t.blend", Body=b"just text, not a blend")
    return World(tmp_path, good, bucket)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_cleanly(case, world):
    import boto3

    result = run_case(case, world)
    if table := os.environ.get("BLENDBATCH_CASE_TABLE"):
        last = (result.stderr.strip().splitlines() or [""])[-1].split(": ", 1)[-1]
        with open(table, "a") as sink:
            sink.write(f"{case.id} | {result.returncode} | {last}\n")
    assert result.returncode == case.code, result.stderr[-3000:]
    assert case.message in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert not world.out.exists(), "a refused request wrote output"
    listed = boto3.client("s3").list_objects_v2(Bucket=world.bucket, Prefix="renders/")
    assert listed.get("KeyCount", 0) == 0, "a refused request uploaded something"
