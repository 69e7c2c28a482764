"""Dependency upload benchmark: a generated project of ~200 files / ~500 MB (many 0.5-2 MB
textures, a few 30-60 MB caches, random bytes) sent to S3 on loopback (moto server, in its own
process) four ways, interleaved round by round:

- cas first:     `submitter.cas` (hash, HeadObject, upload only absent keys) into an empty bucket
- cas resubmit:  the same project again into the same bucket (hash + HEADs, 0 bytes moved)
- plain serial:  boto3 `upload_file` per file, one after another (an `aws s3 sync`-like baseline)
- plain pool:    boto3 `upload_file` per file from 10 threads

    .venv/bin/python bench/deps_upload.py [--rounds 2] [--files 200]

Wall seconds include hashing for the CAS rows (it is part of what `submit --upload` costs).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.emulator import EMULATOR_ENV  # noqa: E402

SERVE = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); from tests.emulator import start_emulator; "
    "_, endpoint = start_emulator(); print(endpoint, flush=True); time.sleep(1e9)"
)


@dataclass(frozen=True)
class Reference:
    kind: str
    owner: str
    written: str
    packed: bool = False


@dataclass(frozen=True)
class Dependency:
    referrer: Path
    reference: Reference
    path: Path
    files: tuple[Path, ...]
    status: str
    size: int


def make_project(folder: Path, files: int) -> tuple[Path, list[Dependency]]:
    """A 2 MB .blend, 6 caches of 30-60 MB and textures of 0.5-2 MB: `files` files in all."""
    rng = random.Random(11)
    blend = folder / "shot.blend"
    blend.write_bytes(os.urandom(2 << 20))
    sizes = [("cache", i, rng.randint(30, 60) * 10**6) for i in range(6)]
    sizes += [("textures", i, rng.randint(500_000, 2_000_000)) for i in range(files - 7)]
    deps = []
    for kind, index, size in sizes:
        name = f"{kind}/{kind}_{index:03d}.{'abc' if kind == 'cache' else 'png'}"
        path = folder / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(os.urandom(size))
        ref = Reference("cache" if kind == "cache" else "image", f"X{index}", f"//{name}")
        deps.append(Dependency(blend, ref, path, (path,), "found", size))
    return blend, deps


def fresh_bucket(s3, name: str) -> str:
    s3.create_bucket(Bucket=name)
    return name


def drop_bucket(s3, name: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


def run_cas(blend: Path, deps: list[Dependency], bucket: str) -> tuple[float, int]:
    from submitter import cas

    started = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        project = cas.prepare(blend, deps, allow_missing=False, say=print)
        done = cas.upload(project, bucket, copy_to=None, say=lambda _: None)
    return time.perf_counter() - started, done.bytes_uploaded


def run_plain(files: list[Path], bucket: str, threads: int) -> tuple[float, int]:
    import boto3

    s3 = boto3.client("s3")
    started = time.perf_counter()
    if threads == 1:
        for path in files:
            s3.upload_file(str(path), bucket, f"plain/{path.name}")
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda p: s3.upload_file(str(p), bucket, f"plain/{p.name}"), files))
    return time.perf_counter() - started, sum(p.stat().st_size for p in files)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--files", type=int, default=200)
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(ROOT)], stdout=subprocess.PIPE, text=True
    )
    try:
        endpoint = server.stdout.readline().strip()
        os.environ.update(EMULATOR_ENV, AWS_ENDPOINT_URL=endpoint)
        import boto3

        s3 = boto3.client("s3")
        with tempfile.TemporaryDirectory() as folder:
            blend, deps = make_project(Path(folder), args.files)
            files = [blend, *(d.path for d in deps)]
            total = sum(p.stat().st_size for p in files)
            print(f"project: {len(files)} files, {total / 1e6:.0f} MB; emulator {endpoint}")
            print(f"loadavg before: {loadavg()}")
            times: dict[str, list[float]] = {}
            moved: dict[str, int] = {}
            ways = ["cas", "plain serial", "plain pool"]
            for round_ in range(args.rounds):
                for way in ways[round_ % 3 :] + ways[: round_ % 3]:
                    bucket = fresh_bucket(s3, f"bench-{round_}-{way.replace(' ', '-')}")
                    if way == "cas":
                        for label in ("cas first", "cas resubmit"):
                            seconds, sent = run_cas(blend, deps, bucket)
                            times.setdefault(label, []).append(seconds)
                            moved[label] = sent
                    else:
                        seconds, sent = run_plain(files, bucket, 1 if way == "plain serial" else 10)
                        times.setdefault(way, []).append(seconds)
                        moved[way] = sent
                    drop_bucket(s3, bucket)
                print(f"round {round_ + 1}: " + ", ".join(
                    f"{k} {v[-1]:.1f} s" for k, v in times.items()))  # fmt: skip
            print(f"loadavg after:  {loadavg()}")
            base = statistics.median(times["plain serial"])
            print(f"{'way':<14}{'median s':>10}{'MB moved':>10}{'MB/s':>8}{'vs serial':>11}  all")
            for label, values in times.items():
                median = statistics.median(values)
                print(
                    f"{label:<14}{median:>10.2f}{moved[label] / 1e6:>10.0f}"
                    f"{total / 1e6 / median:>8.0f}{base / median:>10.2f}x  "
                    + " ".join(f"{v:.2f}" for v in values)
                )
            print("MB/s is project MB over wall seconds (for a resubmit: bytes checked, not moved)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
