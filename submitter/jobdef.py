"""The blendbatch job definition (a RegisterJobDefinition request), as plain data.

Pure: imports no bpy, boto3 or ffmpeg. This is the one source of truth for the job definition:
`blendbatch register` sends it, and the stack (submitter/stack/stack.yaml) must describe the
same thing (a test compares them). The retry policy here is also what `submit` sends with each job.

Each definition runs one Blender release's image and says which in its `blendbatch:blender` tag
(`5.3`); its name is `<base>-blender-5-3` (`blenderversions.job_definition_name`), the name
`submit` routes a file saved by Blender 5.3 to.

The command keeps the workshop's `Ref::` parameters, so a job submitted with only `parameters`
still runs; blendbatch itself always overrides the whole command.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from entrypoint import blenderversions
from entrypoint.blenderversions import Version
from entrypoint.errors import BadInput

DEFAULT_NAME = blenderversions.DEFAULT_BASE
DEFAULT_LOG_GROUP = "/aws/batch/job"
DIGEST_TAG = "blendbatch:definition-digest"
BLENDER_TAG = "blendbatch:blender"
# What AWS Batch accepts as a job definition name.
NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
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
# The tag family of the image for Blender X.Y (`blendbatch:blender-5.3-2908050`), when a
# reference keeps its tag next to the digest (`REPO:blender-5.3-2908050@sha256:...`).
IMAGE_TAG_VERSION = re.compile(r":blender-(\d+)\.(\d+)(?![\d.])[^/@]*@")


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
    blender: Version = blenderversions.NEWEST.version


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


def image_blender(image: str) -> Version | None:
    """The Blender version an image reference's tag names (`...:blender-5.3-abc@sha256:...`)."""
    match = IMAGE_TAG_VERSION.search(image)
    return (int(match[1]), int(match[2])) if match else None


def check_image_blender(image: str, blender: Version) -> None:
    """Refuse an image whose tag says it has another Blender than the definition claims."""
    tagged = image_blender(image)
    if tagged is not None and tagged != blender:
        shown, wanted = map(blenderversions.format_version, (tagged, blender))
        raise BadInput(
            f"--image {image} is the image for Blender {shown} (its tag), not {wanted}: pass "
            f"--blender {shown}, or the image for Blender {wanted} (`make push BLENDER={wanted}` "
            "prints it)"
        )


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise BadInput(
            f"job definition name {name!r} is not one AWS Batch accepts: use up to 128 letters, "
            "digits, '-' and '_' (BLENDBATCH_JOB_DEFINITION is a base name such as blendbatch, "
            "not an ARN)"
        )


def name_for(base: str, blender: Version) -> str:
    """`blendbatch` and 5.3 -> `blendbatch-blender-5-3`, checked as a Batch name."""
    name = blenderversions.job_definition_name(base, blender)
    check_name(name)
    return name


def validate(spec: JobDefinitionSpec) -> None:
    check_image(spec.image)
    check_image_blender(spec.image, spec.blender)
    check_name(spec.name)
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
    request["tags"] = {BLENDER_TAG: blenderversions.format_version(spec.blender)}
    request["tags"][DIGEST_TAG] = digest(request)
    return request


def digest(request: dict) -> str:
    """A short hash of a request's content (the digest tag excluded): equal content, equal digest.

    The Blender tag counts: the same image registered under one name as another version is a
    change. Without other tags the hash is what it was before the Blender tag existed.
    """
    content = {key: value for key, value in request.items() if key != "tags"}
    tags = {k: v for k, v in request.get("tags", {}).items() if k != DIGEST_TAG}
    if tags:
        content["tags"] = tags
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
