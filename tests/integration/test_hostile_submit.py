"""Hostile input to `submit` and to a child's S3 input (round 2): each case exits with its
documented code and message, shows no traceback, uploads nothing and submits nothing; and two
end-to-end proofs through replayed jobs (pinned inputs, a `//` in the output prefix).

With BLENDBATCH_CASE_TABLE=FILE set, each case appends `id | exit code | message` to FILE.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import zstandard

from tests.conftest import run_cli, run_entrypoint

LONG = "n" * 294 + ".blend"  # a 300-byte name


@dataclass(frozen=True)
class Where:
    bucket: str
    queue: dict
    good: Path  # a tiny .blend, frames 1-4
    tmp: Path

    def submit(self, *args: str, out: str | None = None) -> list[str]:
        """`submit` of the good scene in S3 unless args name another -i; `out` replaces -o."""
        argv = ["submit", *args]
        defaults = {
            "-i": f"s3://{self.bucket}/scenes/good.blend",
            "-o": out or f"s3://{self.bucket}/renders",
            "-f": "2",
            "-n": "shot",
            "-q": self.queue["queue"],
            "-d": self.queue["job_definition"],
        }
        for flag, value in defaults.items():
            if flag not in argv:
                argv += [flag, value]
        return argv


@dataclass(frozen=True)
class Case:
    id: str
    item: int  # the item of issue 17
    run: Callable[[Where], tuple[str, list[str]]]  # -> ("cli"|"entrypoint", argv)
    code: int
    message: str


def cli(*args: str, out: str | None = None):
    return lambda w: ("cli", w.submit(*[a.format(b=w.bucket, good=w.good) for a in args], out=out))


def child(*args: str):
    def build(w: Where):
        argv = [a.format(b=w.bucket, out=str(w.tmp / "out")) for a in args]
        return "entrypoint", argv

    return build


def long_output(w: Where) -> tuple[str, list[str]]:
    prefix = "/".join(["o" * 200] * 5)  # keys of 1,000 + bytes
    return "cli", w.submit(out=f"s3://{w.bucket}/{prefix}")


def big_stitch_request(w: Where) -> tuple[str, list[str]]:
    """A long -o and a large --env: the render request fits in 30 KiB, the stitch's not."""
    prefix = "/".join(["o" * 200] * 4)
    return "cli", w.submit("--env", "BIG=" + "e" * 29_300, out=f"s3://{w.bucket}/{prefix}")


BIG_ENDIAN = "is a big-endian .blend (saved on a PowerPC-era machine by Blender 2.4x-2.7x)"
EMPTY = "is empty (0 bytes): upload the .blend again"

CASES = [
    Case(
        "submit-output-local",
        7,
        cli(out="renders"),
        2,
        "-o 'renders' is not an s3:// URI: on AWS Batch every frame would land on the "
        "container's disk and be lost",
    ),
    Case(
        "submit-input-local",
        7,
        cli("-i", "{good}"),
        2,
        "is not an s3:// URI: AWS Batch children read the .blend from S3",
    ),
    Case(
        "submit-upload-input-local",
        7,
        cli("--upload", "{good}", "-i", "{good}"),
        2,
        "with --upload, -i is the S3 key the .blend is copied to",
    ),
    Case(
        "submit-upload-input-folder",
        11,
        cli("--upload", "{good}", "-i", "s3://{b}/scenes/"),
        2,
        "-i 's3://{b}/scenes/' ends in '/', so it names a folder, not the .blend",
    ),
    Case(
        "submit-long-video-name",
        12,
        cli("--video-name", "v" * 300),
        2,
        "is 304 bytes but a file name holds at most 255 bytes: give a shorter video name",
    ),
    Case(
        "submit-long-output-prefix",
        12,
        long_output,
        2,
        "bytes but S3 keys hold at most 1024: use a shorter -o prefix or -n name",
    ),
    Case(
        "submit-long-input-name",
        12,
        cli("-i", "s3://{b}/scenes/" + LONG),
        2,
        "is 300 bytes but a file name holds at most 255 bytes (the child saves it under that "
        "name): rename the object",
    ),
    Case(
        "render-long-input-name",
        12,
        child("render", "-i", "s3://{b}/scenes/" + LONG, "-o", "{out}", "-f", "2"),
        2,
        "is 300 bytes but a file name holds at most 255 bytes (the child saves it under that "
        "name): rename the object",
    ),
    Case(
        "render-long-output-prefix",
        12,
        child(
            "render",
            "-i",
            "s3://{b}/scenes/good.blend",
            "-o",
            "s3://{b}/" + "/".join(["o" * 200] * 5),
            "-f",
            "2",
        ),  # fmt: skip
        2,
        "bytes but S3 keys hold at most 1024",
    ),
    Case(
        "stitch-long-video-name",
        12,
        child(
            "stitch",
            "-i",
            "s3://{b}/renders/shot",
            "-o",
            "s3://{b}/renders/shot",
            "--name",
            "v" * 300,
        ),  # fmt: skip
        2,
        "is 304 bytes but a file name holds at most 255 bytes",
    ),
    Case(
        "submit-stitch-request-over-30kib",
        13,
        big_stitch_request,
        2,
        "the stitch request is",
    ),
    Case("submit-empty-blend-in-s3", 14, cli("-i", "s3://{b}/scenes/empty.blend"), 2, EMPTY),
    Case(
        "render-empty-blend-in-s3",
        14,
        child("render", "-i", "s3://{b}/scenes/empty.blend", "-o", "{out}", "-f", "2"),
        2,
        EMPTY,
    ),
    Case(
        "render-empty-blend-in-s3-pinned",
        14,
        child(
            "render",
            "-i",
            "s3://{b}/scenes/empty.blend",
            "-o",
            "{out}",
            "-f",
            "2",
            "--input-etag",
            "d41d8cd98f00b204e9800998ecf8427e",
        ),  # fmt: skip
        2,
        EMPTY,
    ),
    Case(
        "submit-zstd-bomb-in-s3",
        18,
        cli("-i", "s3://{b}/scenes/bomb.blend"),
        2,
        "no REND block",
    ),
    Case("submit-big-endian-in-s3", 21, cli("-i", "s3://{b}/scenes/big.blend"), 2, BIG_ENDIAN),
    Case(
        "submit-upload-big-endian",
        21,
        lambda w: (
            "cli",
            w.submit(
                "--upload", str(w.tmp / "big.blend"), "-i", f"s3://{w.bucket}/scenes/up.blend"
            ),
        ),
        2,
        BIG_ENDIAN,
    ),  # fmt: skip
    Case(
        "render-big-endian-in-s3",
        21,
        child("render", "-i", "s3://{b}/scenes/big.blend", "-o", "{out}", "-f", "2"),
        2,
        BIG_ENDIAN,
    ),
]


def bomb() -> bytes:
    """A zstd stream that inflates to a .blend header and 1 GiB of zeros (a few tens of KB)."""
    compressor = zstandard.ZstdCompressor(level=3).compressobj()
    zeros = bytes(1 << 20)
    parts = [compressor.compress(b"BLENDER17-01v0500")]
    parts += [compressor.compress(zeros) for _ in range(1024)]
    return b"".join(parts) + compressor.flush()


@pytest.fixture(scope="module")
def bomb_bytes() -> bytes:
    return bomb()


@pytest.fixture
def where(make_blend, bucket, batch_queue, tmp_path, bomb_bytes) -> Where:
    good = make_blend(end=4)
    big = bytearray(good.read_bytes())
    big[12] = ord("V")  # Blender 5.0's header with the big-endian mark
    (tmp_path / "big.blend").write_bytes(big)
    s3 = boto3.client("s3")
    s3.upload_file(str(good), bucket, "scenes/good.blend")
    s3.upload_file(str(good), bucket, "scenes/" + LONG)
    s3.put_object(Bucket=bucket, Key="scenes/empty.blend", Body=b"")
    s3.put_object(Bucket=bucket, Key="scenes/bomb.blend", Body=bomb_bytes)
    s3.put_object(Bucket=bucket, Key="scenes/big.blend", Body=bytes(big))
    return Where(bucket, batch_queue, good, tmp_path)


def job_count(queue: str) -> int:
    batch = boto3.client("batch")
    return sum(
        len(batch.list_jobs(jobQueue=queue, jobStatus=status)["jobSummaryList"])
        for status in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED")
    )


def keys(bucket: str) -> set[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket)
    return {o["Key"] for o in listed.get("Contents", [])}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_submit_input_is_refused_cleanly(case, where):
    before, jobs_before = keys(where.bucket), job_count(where.queue["queue"])
    kind, argv = case.run(where)
    result = run_cli(*argv) if kind == "cli" else run_entrypoint(*argv)
    if table := os.environ.get("BLENDBATCH_CASE_TABLE"):
        last = (result.stderr.strip().splitlines() or [""])[-1].split(": ", 1)[-1]
        with open(table, "a") as sink:
            sink.write(f"{case.id} | {result.returncode} | {last}\n")
    assert result.returncode == case.code, result.stderr[-3000:]
    assert case.message.format(b=where.bucket) in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert keys(where.bucket) == before, "a refused request uploaded something"
    assert job_count(where.queue["queue"]) == jobs_before, "a refused request submitted a job"
    assert not (where.tmp / "out").exists(), "a refused request wrote output"


# --- end to end through replayed jobs -------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def submitted_render(result) -> dict:
    assert result.returncode == 0, result.stderr[-3000:]
    render_id = json.loads(result.stdout)[0]["jobId"]
    return boto3.client("batch").describe_jobs(jobs=[render_id])["jobs"][0]


def test_a_second_upload_to_the_same_input_leaves_the_first_submission_rendering_its_scene(
    make_blend, bucket, batch_queue
):
    # Given scene A (frames 1-4, 64x36) submitted with --upload to s3://B/scenes/shot.blend
    scene_a = make_blend(end=4)
    scene_b = make_blend(end=4, scene_name="Other", width=48, height=28)
    where = Where(bucket, batch_queue, scene_a, Path())
    first = submitted_render(
        run_cli(*where.submit("--upload", str(scene_a), "-i", f"s3://{bucket}/scenes/shot.blend",
                              "-f", "4", "-n", "a", "--json"))
    )  # fmt: skip

    # When scene B (another scene, another size) is submitted with --upload to the same -i
    second = run_cli(*where.submit("--upload", str(scene_b), "-i", f"s3://{bucket}/scenes/shot.blend",
                                   "-f", "4", "-n", "b", "--json"))  # fmt: skip
    assert second.returncode == 0, second.stderr[-3000:]
    s3 = boto3.client("s3")
    at_input = s3.get_object(Bucket=bucket, Key="scenes/shot.blend")["Body"].read()
    assert at_input == scene_b.read_bytes()

    # Then A's queued child, replayed now, renders scene A: its frames, its size, its scene
    replay = run_entrypoint(*first["container"]["command"], index=0)
    assert replay.returncode == 0, replay.stderr[-3000:]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="renders/a/frames/")["Contents"]
    expected = [f"renders/a/frames/{f:04d}.png" for f in (1, 2, 3, 4)]
    assert sorted(o["Key"] for o in listed) == expected
    for item in listed:
        frame = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        assert png_size(frame) == (64, 36)
    manifest = json.loads(
        s3.get_object(Bucket=bucket, Key="renders/a/manifests/slice-00000.json")["Body"].read()
    )
    assert manifest["scene"]["name"] == "Demo"


def test_a_double_slash_in_the_output_prefix_gives_one_set_of_keys_and_status_counts_them(
    make_blend, bucket, batch_queue
):
    # Given a submission to -o s3://B//x/ (a doubled and a trailing '/')
    scene = make_blend(end=4)
    where = Where(bucket, batch_queue, scene, Path())
    result = run_cli(*where.submit("--upload", str(scene), "-i", f"s3://{bucket}/scenes/s.blend",
                                   "--json", out=f"s3://{bucket}//x/"))  # fmt: skip
    render = submitted_render(result)

    # When its two children are replayed
    for index in (0, 1):
        replay = run_entrypoint(*render["container"]["command"], index=index)
        assert replay.returncode == 0, replay.stderr[-3000:]

    # Then the frames and the job record share one prefix, and status counts all 4 frames
    stored = keys(bucket)
    assert {f"x/shot/frames/{f:04d}.png" for f in (1, 2, 3, 4)} <= stored
    assert f"x/shot/jobs/{render['jobId']}.json" in stored
    status = run_cli("status", render["jobId"])
    assert status.returncode == 0, status.stderr
    assert "  frames 4/4; " in status.stdout
