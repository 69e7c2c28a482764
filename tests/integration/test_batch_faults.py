"""AWS Batch throttling its API (HTTP 429) never fails a command: submit, watch and cancel
back off and succeed, through a proxy that throttles half of the Batch calls."""

from __future__ import annotations

import json

from tests.conftest import run_cli
from tests.faultproxy import FaultPlan, FaultProxy


def batch_calls(method: str, path: str) -> bool:
    return path.startswith("/v1/")  # Batch's REST API; S3 calls pass untouched


def test_throttled_batch_api_is_ridden_out(moto_endpoint, make_blend, bucket, batch_queue):
    blend = make_blend(end=6)
    plan = FaultPlan(rate=0.5, kinds=("429",), seed=1, eligible=batch_calls)
    with FaultProxy(moto_endpoint, plan) as proxy:
        env = {"AWS_ENDPOINT_URL": proxy.endpoint}
        # When the user submits, watches and cancels while Batch throttles every other call
        submitted = run_cli(
            "submit", "--upload", str(blend), "-i", f"s3://{bucket}/scenes/shot.blend",
            "-o", f"s3://{bucket}/renders", "-f", "2", "-n", "throttled",
            "-q", batch_queue["queue"], "-d", batch_queue["job_definition"], env=env,
        )  # fmt: skip
        assert submitted.returncode == 0, submitted.stderr
        render_id = json.loads(submitted.stdout)[0]["jobId"]
        after_submit = proxy.stats["429"]
        watched = run_cli("watch", render_id, "--interval", "0.1", env=env)
        after_watch = proxy.stats["429"]
        cancelled = run_cli("cancel", render_id, env=env)

    # Then every command succeeded, and each of them met throttling on the way
    assert watched.returncode == 0, watched.stderr
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"nothing to cancel: render {render_id} SUCCEEDED" in cancelled.stdout
    assert after_submit >= 1
    assert after_watch > after_submit
    assert proxy.stats["429"] > after_watch
    print(f"Batch throttling figures: {dict(proxy.stats)}")
