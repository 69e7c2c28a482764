"""The blendbatch job definition (a RegisterJobDefinition request), as plain data.

Pure: imports no bpy, boto3 or ffmpeg. This is the one source of truth for the job definition:
`blendbatch register` sends it, and the stack (submitter/stack/stack.yaml) must describe the
same thing (a test compares them). The retry policy here is also what `submit` sends with each job.

The command keeps the workshop's `Ref::` parameters, so a job submitted with only `parameters`
still runs; blendbatch itself always overrides the whole command.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from entrypoint.errors import BadInput

DEFAULT_NAME = "blendbatch"
DEFAULT_LOG_GROUP = "/aws/batch/job"
DIGEST_TAG = "blendbatch:definition-digest"
COMMAND = [
    "Ref::action",
    "-i",
    "Ref::inputUri",
    "-o",
    "Ref::outputUri",
    "-f",
    "Ref::framesPerJob",
]
DEFAULT_PARAMETERS = {"action": "render", "framesPerJob": "10"}
# Batch starts a Spot-reclaimed attempt's status reason with "Host EC2 (instance ...) terminated".
SPOT_RECLAIM_REASON = "Host EC2*"
BAD_INPUT_EXIT_CODE = "2"
MIN_TIMEOUT_SECONDS = 60
MAX_ATTEMPTS = 10
# `repository@sha256:<64 hex>`: the image itself. A tag can be moved to another image while a
# render is queued or retrying, so job definitions never name one.
DIGEST_REFERENCE = re.compile(r"[^\s@]+@sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class JobDefinitionSpec:
    image: str
    vcpus: int = 4
    memory_mib: int = 8192
    gpus: int = 0
    timeout_seconds: int = 4 * 3600
    attempts: int = 3
    job_role_arn: str | None = None
    log_group: str = DEFAULT_LOG_GROUP
    name: str = DEFAULT_NAME


def retry_strategy(attempts: int) -> dict:
    """Retry a Spot reclaim, never retry bad input (exit 2); anything else uses the attempts.

    Batch retries when no rule matches, so the two rules are the exceptions to "retry".
    """
    check_attempts(attempts)
    return {
        "attempts": attempts,
        "evaluateOnExit": [
            {"onStatusReason": SPOT_RECLAIM_REASON, "action": "RETRY"},
            {"onExitCode": BAD_INPUT_EXIT_CODE, "action": "EXIT"},
        ],
    }


def check_attempts(attempts: int) -> None:
    if not 1 <= attempts <= MAX_ATTEMPTS:
        raise BadInput(f"attempts is {attempts}: AWS Batch allows 1 to {MAX_ATTEMPTS}")


def check_timeout(seconds: int) -> None:
    if seconds < MIN_TIMEOUT_SECONDS:
        raise BadInput(
            f"timeout is {seconds} s: AWS Batch needs at least {MIN_TIMEOUT_SECONDS} s; "
            f"use --timeout {MIN_TIMEOUT_SECONDS} or more"
        )


def check_image(image: str) -> None:
    """Refuse an image reference that is not pinned to a digest."""
    if not image:
        raise BadInput(
            "no container image: pass --image REPOSITORY@sha256:DIGEST (`make push` prints it)"
        )
    if not DIGEST_REFERENCE.fullmatch(image):
        raise BadInput(
            f"--image {image} is not a digest reference: a tag can be moved to another image "
            "while jobs are queued. Pass REPOSITORY@sha256:DIGEST, the reference `make push` "
            "prints (or `docker inspect --format '{{index .RepoDigests 0}}' IMAGE`)"
        )


def validate(spec: JobDefinitionSpec) -> None:
    check_image(spec.image)
    if spec.vcpus < 1:
        raise BadInput(f"vcpus is {spec.vcpus}: use --vcpus 1 or more")
    if spec.memory_mib < 512:
        raise BadInput(f"memory is {spec.memory_mib} MiB: Blender needs --memory 512 or more")
    if spec.gpus < 0:
        raise BadInput(f"gpus is {spec.gpus}: use --gpus 0 or more")
    check_attempts(spec.attempts)
    check_timeout(spec.timeout_seconds)


def job_definition(spec: JobDefinitionSpec) -> dict:
    """The RegisterJobDefinition request, tagged with the digest of its own content."""
    validate(spec)
    resources = [
        {"type": "VCPU", "value": str(spec.vcpus)},
        {"type": "MEMORY", "value": str(spec.memory_mib)},
    ]
    if spec.gpus:
        resources.append({"type": "GPU", "value": str(spec.gpus)})
    container: dict = {
        "image": spec.image,
        "command": list(COMMAND),
        "resourceRequirements": resources,
    }
    if spec.job_role_arn:
        container["jobRoleArn"] = spec.job_role_arn
    if spec.log_group != DEFAULT_LOG_GROUP:
        container["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {"awslogs-group": spec.log_group},
        }
    request = {
        "jobDefinitionName": spec.name,
        "type": "container",
        "platformCapabilities": ["EC2"],
        "parameters": dict(DEFAULT_PARAMETERS),
        "containerProperties": container,
        "retryStrategy": retry_strategy(spec.attempts),
        "timeout": {"attemptDurationSeconds": spec.timeout_seconds},
        "propagateTags": True,
    }
    request["tags"] = {DIGEST_TAG: digest(request)}
    return request


def digest(request: dict) -> str:
    """A short hash of a request's content (its tags excluded): equal content, equal digest."""
    content = {key: value for key, value in request.items() if key != "tags"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def find_unchanged(request: dict, active: list[dict]) -> dict | None:
    """Among DescribeJobDefinitions results, an ACTIVE revision registered from `request`."""
    wanted = request["tags"][DIGEST_TAG]
    matches = [
        d
        for d in active
        if d.get("status", "ACTIVE") == "ACTIVE" and d.get("tags", {}).get(DIGEST_TAG) == wanted
    ]
    return max(matches, key=lambda d: d.get("revision", 0), default=None)
