"""Shared fixtures: tiny real .blend files, and moto server on loopback as S3 and Batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.emulator import EMULATOR_ENV, start_emulator

ROOT = Path(__file__).resolve().parents[1]
MAKE_SCENE = ROOT / "examples" / "make_scene.py"
TINY = {"width": 64, "height": 36, "samples": 1}


def run_entrypoint(
    *args: str, index: int | None = None, env: dict | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`python -m entrypoint ...` as the container runs it, with the array index in the env."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_BATCH_JOB_")}
    for name, value in (env or {}).items():  # None removes a variable
        if value is None:
            full_env.pop(name, None)
        else:
            full_env[name] = value
    if index is not None:
        full_env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(index)
    return subprocess.run(
        [sys.executable, "-m", "entrypoint", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def run_cli(
    *args: str, timeout: float = 600, env: dict | None = None
) -> subprocess.CompletedProcess:
    """The `blendbatch` command as a user types it (`env` adds to this process's; None
    removes a variable)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "submitter", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={k: v for k, v in full_env.items() if v is not None},
    )


@pytest.fixture(scope="session")
def make_blend(tmp_path_factory) -> Callable[..., Path]:
    """Build (once per option set) a tiny animated .blend with Blender in a subprocess."""
    cache: dict[tuple, Path] = {}
    folder = tmp_path_factory.mktemp("scenes")

    def build(**options) -> Path:
        options = TINY | options
        key = tuple(sorted(options.items()))
        if key not in cache:
            out = folder / f"scene-{len(cache)}.blend"
            argv = [sys.executable, str(MAKE_SCENE), "--out", str(out)]
            for name, value in options.items():
                flag = "--" + name.replace("_", "-")
                argv += [flag] if value is True else [flag, str(value)]
            subprocess.run(argv, check=True, capture_output=True, timeout=120)
            cache[key] = out
        return cache[key]

    return build


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto in server mode on 127.0.0.1 (a free port), Batch recording jobs without Docker.

    boto3 in this process and in every child process reaches it through AWS_ENDPOINT_URL.
    """
    server, endpoint = start_emulator()
    saved = {k: os.environ.get(k) for k in _AWS_ENV}
    os.environ.update(_AWS_ENV | {"AWS_ENDPOINT_URL": endpoint})
    try:
        yield endpoint
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


_AWS_ENV = EMULATOR_ENV | {"AWS_ENDPOINT_URL": ""}


@pytest.fixture
def bucket(moto_endpoint) -> str:
    """A fresh, empty bucket in the emulator."""
    import boto3

    name = f"bb-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def batch_queue(moto_endpoint) -> dict:
    """A compute environment, queue and job definition in the emulator's Batch."""
    import boto3

    iam = boto3.client("iam")
    role = iam.create_role(
        RoleName="blendbatch-test-batch",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    batch = boto3.client("batch")
    env = batch.create_compute_environment(
        computeEnvironmentName="blendbatch-test",
        type="UNMANAGED",
        state="ENABLED",
        serviceRole=role,
    )["computeEnvironmentArn"]
    queue = batch.create_job_queue(
        jobQueueName="blendbatch-test-queue",
        priority=1,
        state="ENABLED",
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}],
    )["jobQueueName"]
    definition = batch.register_job_definition(
        jobDefinitionName="blendbatch-test-render",
        type="container",
        containerProperties={
            "image": "blendbatch:test",
            "vcpus": 2,
            "memory": 4096,
            "command": ["render"],
        },
    )["jobDefinitionName"]
    return {"queue": queue, "job_definition": definition}


# A project with textures, a linked library, caches, ... (tests/depfixtures.py).
from tests.depfixtures import dep_project, make_dep_project  # noqa: E402, F401
