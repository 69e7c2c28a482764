"""S3 that fails like the real one: the pipeline from and to S3 still delivers every frame and
a correct video at 10 % faults, and fails retryably (exit 1, clear message) when S3 is down."""

from __future__ import annotations

import os
from fractions import Fraction

import boto3
import pytest
from botocore.exceptions import ResponseStreamingError

from entrypoint import storage
from entrypoint.video import probe
from tests.conftest import run_entrypoint
from tests.faultproxy import FaultPlan, FaultProxy
from tests.integration.render_checks import is_whole


def pipeline(proxy: FaultProxy, blend_uri: str, out_uri: str, children: int, env: dict):
    """Every render child, then stitch, as Batch would run them, all through the proxy."""
    env = {"AWS_ENDPOINT_URL": proxy.endpoint, **env}
    results = [
        run_entrypoint("render", "-i", blend_uri, "-o", out_uri, "-f", "3", index=i, env=env)
        for i in range(children)
    ]
    results.append(run_entrypoint("stitch", "-i", out_uri, "-o", out_uri, env=env))
    return results


@pytest.fixture
def scene_in_s3(make_blend, bucket):
    blend = make_blend(end=6, fps=25, compress=True)
    boto3.client("s3").upload_file(str(blend), bucket, "scenes/shot.blend")
    return f"s3://{bucket}/scenes/shot.blend", f"s3://{bucket}/renders/shot"


def test_one_request_in_ten_failing_still_delivers_everything(moto_endpoint, bucket, scene_in_s3,
                                                              tmp_path):  # fmt: skip
    # Given S3 behind a proxy failing 10 % of requests (5xx, 429, resets mid-body, slowness)
    blend_uri, out_uri = scene_in_s3
    plan = FaultPlan(rate=0.10, seed=7, slow_seconds=0.3)
    with FaultProxy(moto_endpoint, plan) as proxy:
        # When the two render children and the stitch run through it
        results = pipeline(proxy, blend_uri, out_uri, children=2, env={})
    print(f"S3 fault figures: {dict(proxy.stats)}")

    # Then every step succeeded, each frame is whole and the video is right
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
    assert proxy.stats["injected"] >= 3, "the run was too short to meet any fault"
    s3 = boto3.client("s3")
    for frame in range(1, 7):
        body = s3.get_object(Bucket=bucket, Key=f"renders/shot/frames/{frame:04d}.png")["Body"]
        assert is_whole(body.read()), f"frame {frame} is damaged"
    video = tmp_path / "output.mp4"
    s3.download_file(bucket, "renders/shot/output.mp4", str(video))
    facts = probe(video)
    assert (facts.frames, facts.rate) == (6, Fraction(25))


def test_s3_down_fails_retryably_with_a_clear_message(moto_endpoint, bucket, scene_in_s3):
    # Given S3 answering every request with an error
    blend_uri, out_uri = scene_in_s3
    plan = FaultPlan(rate=1.0, kinds=("500", "503", "429", "reset"), seed=3)
    with FaultProxy(moto_endpoint, plan) as proxy:
        # When a render child and the stitch run (retries bounded to keep the test short)
        render, stitch = pipeline(proxy, blend_uri, out_uri, children=1,
                                  env={"AWS_MAX_ATTEMPTS": "2"})  # fmt: skip

    # Then both fail with exit 1 (Batch retries them), say what failed, and show no traceback
    for result in (render, stitch):
        assert result.returncode == 1, result.stderr[-3000:]
        assert "retry the job" in result.stderr
        assert f"s3://{bucket}/" in result.stderr
        assert "Traceback" not in result.stderr
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="renders/")
    assert listed.get("KeyCount", 0) == 0
    assert os.environ.get("AWS_MAX_ATTEMPTS") is None  # only the children were bounded


class FirstGets:
    """A fault plan's `eligible`: only the first `count` GET requests."""

    def __init__(self, count: int) -> None:
        self.left = count

    def __call__(self, method: str, path: str) -> bool:
        if method != "GET" or not self.left:
            return False
        self.left -= 1
        return True


def test_a_body_cut_mid_stream_is_read_again(moto_endpoint, bucket, monkeypatch, tmp_path):
    # Given a frame whose first four GETs are cut halfway through the body
    data = os.urandom(200_000)
    boto3.client("s3").put_object(Bucket=bucket, Key="shot/frames/0001.png", Body=data)
    plan = FaultPlan(rate=1.0, kinds=("reset",), eligible=FirstGets(4))
    with FaultProxy(moto_endpoint, plan) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        storage.s3_client.cache_clear()
        try:
            # botocore retries a request, never a body: a plain GetObject's read fails
            plain = storage.s3_client().get_object(Bucket=bucket, Key="shot/frames/0001.png")
            with pytest.raises(ResponseStreamingError):
                plain["Body"].read()
            # When the stitch reads it (GetObject) and the render fetches it (s3transfer), and
            # as a file of known size that one GET carries (a small .blend)
            folder = storage.parse_location(f"s3://{bucket}/shot")
            read = folder.get_bytes("frames/0001.png")
            folder.get_file("frames/0001.png", tmp_path / "fetched.png")
            folder.get_file("frames/0001.png", tmp_path / "one-get.png", size=len(data))
        finally:
            storage.s3_client.cache_clear()
    # Then both got every byte: get_bytes read the body again, download_file did by itself
    assert read == data
    assert (tmp_path / "fetched.png").read_bytes() == data
    assert (tmp_path / "one-get.png").read_bytes() == data
    assert proxy.stats["reset"] == 4
