"""Submitter benchmark: bytes read from S3 to learn a ~100 MB .blend's frame range, and the wall
time of submitting a 10,000-child array job, both against moto server on loopback.

    .venv/bin/python bench/submit.py [--repeat 3]

The workshop downloaded the whole .blend to read its frame range; `submit` reads one ranged GET
of at most 128 KiB (blendfile.PREFIX_BYTES). Bytes are counted on the wire (the response's
Content-Length of every S3 GetObject).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.emulator import use_emulator  # noqa: E402

BIG_SCENE = """
import bpy, sys
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.frame_start, scene.frame_end = 1, 250
# A dense grid makes the file ~100 MB, as a production scene's geometry would.
bpy.ops.mesh.primitive_grid_add(x_subdivisions=950, y_subdivisions=950, size=10)
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[-1], compress=False)
"""


def bytes_to_learn_frames(blend: Path) -> tuple[int, int, str]:
    import boto3

    from submitter import aws, frameselect, pipeline

    boto3.client("s3").create_bucket(Bucket="bench")
    boto3.client("s3").upload_file(str(blend), "bench", "big.blend")
    received = []
    s3 = aws.client("s3")
    s3.meta.events.register(
        "after-call.s3.GetObject",
        lambda http_response, **_: received.append(int(http_response.headers["Content-Length"])),
    )
    info = pipeline.blend_info("s3://bench/big.blend", None, dry_run=False)
    count = frameselect.count_frames(info, None, None, None)
    return sum(received), count, f"{len(received)} GET"


def queue() -> tuple[str, str]:
    import boto3

    role = boto3.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")
    batch = boto3.client("batch")
    env = batch.create_compute_environment(
        computeEnvironmentName="bench", type="UNMANAGED", state="ENABLED",
        serviceRole=role["Role"]["Arn"],
    )["computeEnvironmentArn"]  # fmt: skip
    name = batch.create_job_queue(
        jobQueueName="bench", priority=1, state="ENABLED",
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}],
    )["jobQueueName"]  # fmt: skip
    definition = batch.register_job_definition(
        jobDefinitionName="bench", type="container",
        containerProperties={"image": "x", "vcpus": 1, "memory": 512, "command": ["render"]},
    )["jobDefinitionName"]  # fmt: skip
    return name, definition


def submit_seconds(job_queue: str, definition: str, run: int) -> float:
    from submitter import batch, plan

    render = plan.RenderPlan(
        name=f"bench{run}", input_uri="s3://bench/big.blend", output_uri="s3://bench/out",
        frames_per_job=1, frame_count=10_000,
    )  # fmt: skip
    options = plan.BatchOptions(queue=job_queue, job_definition=definition)
    plan.validate(render, options)
    began = time.perf_counter()
    batch.submit(render, options)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        blend = Path(folder) / "big.blend"
        subprocess.run(
            [sys.executable, "-c", BIG_SCENE, str(blend)], check=True, capture_output=True
        )
        use_emulator()
        read, frames, calls = bytes_to_learn_frames(blend)
        size = blend.stat().st_size
        print(f".blend size: {size / 1e6:.1f} MB (the workshop downloads all of it)")
        print(f"read to learn the frame range: {read} bytes in {calls} ({frames} frames)")
        print(f"ratio: {size / read:.0f}x fewer bytes")
    job_queue, definition = queue()
    times = [submit_seconds(job_queue, definition, i) for i in range(args.repeat)]
    print(
        "submit a 10,000-child array + stitch: "
        + ", ".join(f"{t:.2f}" for t in times)
        + f" s; median {statistics.median(times):.2f} s"
    )
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
