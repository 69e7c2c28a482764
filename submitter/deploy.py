"""The blendbatch CloudFormation stack (submitter/stack/): create or update it, wait, read outputs.

`deploy` is safe to repeat: an unchanged template and parameters update nothing. Its outputs are
printed as the environment variables `blendbatch submit` reads.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from entrypoint import blenderversions
from entrypoint.errors import BadInput, TransientFailure
from submitter import options
from submitter.aws import aws_errors, client
from submitter.stack import names

# Stack output -> the variable that carries it (the first two are what `submit` reads).
ENV_NAMES = {
    "JobQueue": "BLENDBATCH_QUEUE",
    "JobDefinition": "BLENDBATCH_JOB_DEFINITION",
    "Bucket": "BLENDBATCH_BUCKET",
    "RepositoryUri": "BLENDBATCH_REPOSITORY",
    "LogGroup": "BLENDBATCH_LOG_GROUP",
    "BlenderVersions": "BLENDBATCH_BLENDER_VERSIONS",
}
# The stack creates IAM roles with names CloudFormation generates.
CAPABILITIES = ["CAPABILITY_IAM"]
NO_CHANGES = "No updates are to be performed"
# A Blender version's job definition exists once its image's digest is given.
DIGEST_PREFIX = "ImageDigest"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def parse_parameters(pairs: list[str]) -> dict[str, str]:
    """`["Vcpus=8", "SubnetIds=subnet-1,subnet-2"]` -> {"Vcpus": "8", ...}."""
    parameters = options.parse_pairs(pairs, "-p", example="Vcpus=8")
    for key, value in parameters.items():
        if key.startswith(DIGEST_PREFIX):
            _check_digest(key, value)
    if names.VERSIONS_PARAMETER in parameters:
        try:
            names.parse_versions(parameters[names.VERSIONS_PARAMETER])
        except blenderversions.UnknownVersion as error:
            raise BadInput(f"-p {names.VERSIONS_PARAMETER}: {error}") from None
    return parameters


def _check_digest(key: str, value: str) -> None:
    if key not in names.DIGEST_PARAMETERS:
        example = names.digest_parameter(blenderversions.NEWEST.version)
        raise BadInput(
            f"-p {key}: the stack takes one image digest per Blender version: "
            f"{', '.join(names.DIGEST_PARAMETERS)} (e.g. -p {example}=sha256:... for the image "
            f"`make push BLENDER={blenderversions.NEWEST.name}` pushed)"
        )
    if value and not DIGEST.fullmatch(value):
        raise BadInput(
            f"-p {key}={value} is not an image digest: pass the sha256:<64 hex> that `make push` "
            "prints (only the digest, without the repository and '@')"
        )


def next_step(outputs: dict[str, str], parameters: dict[str, str], stack: str) -> str | None:
    """What to do for the listed Blender versions that have no image digest yet, and for
    digests given to versions BlenderVersions does not list; None when nothing is left."""
    listed = names.parse_versions(outputs.get("BlenderVersions") or names.default_versions())
    unlisted = [
        release.name
        for key, release in names.DIGEST_PARAMETERS.items()
        if parameters.get(key) and release.version not in listed
    ]
    hints = []
    waiting = [v for v in listed if not parameters.get(names.digest_parameter(v))]
    if waiting:
        host, _, repo = outputs.get("RepositoryUri", "").partition("/")
        region = host.split(".")[3] if host.count(".") >= 4 else "REGION"
        shown = [blenderversions.format_version(v) for v in waiting]
        pushes = "; ".join(
            f"`make image push BLENDER={v} REGION={region} REPO={repo or 'blendbatch'}`"
            for v in shown
        )
        args = " ".join(f"-p {names.digest_parameter(v)}=sha256:..." for v in waiting)
        hints.append(
            f"no job definition yet for Blender {', '.join(shown)}: push the image of each "
            f"({pushes}), then deploy again with the digests they print: "
            f'`make deploy STACK={stack} DEPLOY_ARGS="{args}"`'
        )
    if unlisted:
        wanted = ",".join(
            blenderversions.format_version(v)
            for v in sorted({*listed, *(blenderversions.parse_version(u) for u in unlisted)})
        )
        hints.append(
            f"Blender {', '.join(unlisted)} has an image digest but is not in "
            f"{names.VERSIONS_PARAMETER}, so it has no job definition: deploy with "
            f"-p {names.VERSIONS_PARAMETER}={wanted} to add it"
        )
    return "\n".join(hints) or None


def env_lines(outputs: dict[str, str]) -> list[str]:
    """Stack outputs as shell lines: `eval "$(blendbatch deploy)"` sets them."""
    return [
        f"export {name}={shlex.quote(outputs[key])}"
        for key, name in ENV_NAMES.items()
        if key in outputs
    ]


def deploy(
    stack: str, template_body: str, parameters: dict[str, str], say: Callable[[str], None]
) -> dict[str, str]:
    """Create the stack, or update it to this template; wait until done; return its outputs."""
    cf = client("cloudformation")
    current = _describe(cf, stack)
    with aws_errors(f"stack {stack}"):
        if current is None:
            say(f"creating stack {stack} (about 5-10 minutes on AWS) ...")
            cf.create_stack(
                StackName=stack,
                TemplateBody=template_body,
                Parameters=_given(parameters),
                Capabilities=CAPABILITIES,
            )
            _wait(cf, stack, "stack_create_complete")
        else:
            _check_updatable(stack, current["StackStatus"])
            say(f"updating stack {stack} ...")
            if _update(cf, stack, template_body, parameters, current):
                _wait(cf, stack, "stack_update_complete")
            else:
                say(f"stack {stack} is already up to date")
    return outputs(stack)


def destroy(stack: str, say: Callable[[str], None]) -> str | None:
    """Delete the stack and wait; returns the bucket it keeps (it holds the renders)."""
    cf = client("cloudformation")
    if _describe(cf, stack) is None:
        say(f"stack {stack} does not exist: nothing to delete")
        return None
    bucket = outputs(stack).get("Bucket")
    say(f"deleting stack {stack} ...")
    with aws_errors(f"stack {stack}"):
        cf.delete_stack(StackName=stack)
        _wait(cf, stack, "stack_delete_complete")
    return bucket


def parameters(stack: str) -> dict[str, str]:
    """The stack's current parameter values."""
    current = _describe(client("cloudformation"), stack) or {}
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in current.get("Parameters", [])}


def outputs(stack: str) -> dict[str, str]:
    current = _describe(client("cloudformation"), stack)
    if current is None:
        raise BadInput(f"stack {stack} does not exist: run `blendbatch deploy --stack {stack}`")
    return {o["OutputKey"]: o["OutputValue"] for o in current.get("Outputs", [])}


def _describe(cf, stack: str) -> dict | None:
    from botocore.exceptions import ClientError

    with aws_errors(f"stack {stack}"):
        try:
            return cf.describe_stacks(StackName=stack)["Stacks"][0]
        except ClientError as error:
            if "does not exist" in error.response.get("Error", {}).get("Message", ""):
                return None
            raise


def _check_updatable(stack: str, status: str) -> None:
    # A stack whose creation failed cannot be updated, only deleted.
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"):
        raise BadInput(
            f"stack {stack} is {status} (an earlier deploy failed): see its events in the "
            f"CloudFormation console, then run `make destroy STACK={stack}` and deploy again"
        )
    if status.endswith("_IN_PROGRESS"):
        raise TransientFailure(f"stack {stack} is {status}: wait for it to finish, then retry")


def _update(cf, stack: str, template_body: str, parameters: dict, current: dict) -> bool:
    """Update with the given parameters, keeping the stack's other values; False if no change."""
    from botocore.exceptions import ClientError

    # Kept: the current values the new template declares (ImageDigest, replaced by one digest
    # per Blender version, is dropped) and whose default differs (an omitted parameter takes
    # the template's default).
    defaults = {
        p["ParameterKey"]: p.get("DefaultValue")
        for p in cf.get_template_summary(TemplateBody=template_body).get("Parameters", [])
    }
    kept = [
        {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
        for p in current.get("Parameters", [])
        if p["ParameterKey"] not in parameters
        and p["ParameterKey"] in defaults
        and p.get("ParameterValue") != _text(defaults[p["ParameterKey"]])
    ]
    try:
        cf.update_stack(
            StackName=stack,
            TemplateBody=template_body,
            Parameters=_given(parameters) + kept,
            Capabilities=CAPABILITIES,
        )
    except ClientError as error:
        if NO_CHANGES in error.response.get("Error", {}).get("Message", ""):
            return False
        raise
    return True


def _text(default) -> str | None:
    return None if default is None else str(default)


def _given(parameters: dict[str, str]) -> list[dict]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]


def _wait(cf, stack: str, waiter: str) -> None:
    from botocore.exceptions import WaiterError

    try:
        cf.get_waiter(waiter).wait(StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": 360})
    except WaiterError:
        raise BadInput(
            f"stack {stack} did not reach {waiter.removeprefix('stack_')}: "
            f"{_first_failure(cf, stack)}"
        ) from None


def _first_failure(cf, stack: str) -> str:
    """The event that explains a failed deploy (CloudFormation lists the newest first)."""
    with aws_errors(f"stack {stack}"):
        events = cf.describe_stack_events(StackName=stack)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"].endswith("_FAILED")]
    if not failed:
        return "see its events in the CloudFormation console"
    event = failed[-1]
    return f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', 'no reason given')}"
