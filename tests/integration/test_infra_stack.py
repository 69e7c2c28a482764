"""The stack template (submitter/stack/) works with the rest of blendbatch: `blendbatch deploy`
creates it in moto's CloudFormation on loopback, with one job definition per Blender version
(BASE-blender-X-Y, each running its own image), `blendbatch submit` uses the queue and job
definition it printed, and the recorded jobs, replayed through `python -m entrypoint`, leave the
video in the stack's bucket.
"""

import ast
import json
import shlex
import uuid
from fractions import Fraction

import boto3
import pytest

from entrypoint import blenderversions
from entrypoint.video import probe
from tests.conftest import run_cli, run_entrypoint

# moto splits a CommaDelimitedList only when it is passed, not for its default: pass both.
EMULATOR_PARAMETERS = ["-p", "InstanceTypes=c6i,m6i", "-p", "SubnetIds="]


def exported(stdout: str) -> dict[str, str]:
    """`export NAME=value` lines -> {NAME: value}, as a shell would read them."""
    pairs = (shlex.split(line)[1].split("=", 1) for line in stdout.splitlines() if line.strip())
    return dict(pairs)


# The images `make push BLENDER=5.2` and `make push BLENDER=5.3` printed.
DIGESTS = {"5.2": "sha256:" + "d" * 64, "5.3": "sha256:" + "e" * 64}


def definitions(base: str) -> dict[str, dict]:
    """The ACTIVE job definitions named BASE-blender-X-Y, by name (the newest revision)."""
    found = {}
    for version in blenderversions.RELEASES:
        name = blenderversions.job_definition_name(base, version.version)
        revisions = boto3.client("batch").describe_job_definitions(
            jobDefinitionName=name, status="ACTIVE"
        )["jobDefinitions"]
        if revisions:
            found[name] = max(revisions, key=lambda d: d["revision"])
    return found


@pytest.fixture(scope="module")
def first_deploy(moto_endpoint) -> dict:
    """The first deploy: no image pushed yet, so no digest and no job definition."""
    name = f"bb-{uuid.uuid4().hex[:8]}"
    result = run_cli("deploy", "--stack", name, *EMULATOR_PARAMETERS)
    assert result.returncode == 0, result.stderr
    # moto's stack update adds new resources lazily: they exist in Batch once the stack's
    # resources are read (AWS creates them during the update).
    boto3.client("cloudformation").describe_stack_resources(StackName=name)
    return {"name": name, "env": exported(result.stdout), "stderr": result.stderr}


@pytest.fixture(scope="module")
def stack(first_deploy) -> dict:
    """The same stack deployed again with the digests `make push` printed for 5.2 and 5.3."""
    name = first_deploy["name"]
    result = run_cli(
        "deploy", "--stack", name,
        "-p", f"ImageDigest52={DIGESTS['5.2']}", "-p", f"ImageDigest53={DIGESTS['5.3']}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # moto's stack update adds new resources lazily: they exist in Batch once the stack's
    # resources are read (AWS creates them during the update).
    boto3.client("cloudformation").describe_stack_resources(StackName=name)
    return {"name": name, "env": exported(result.stdout), "stderr": result.stderr}


def test_the_first_deploy_makes_the_repository_and_no_job_definition(first_deploy):
    env = first_deploy["env"]
    assert env["BLENDBATCH_REPOSITORY"].endswith("/blendbatch")
    assert env["BLENDBATCH_BLENDER_VERSIONS"] == "5.2,5.3"
    assert "BLENDBATCH_JOB_DEFINITION" not in env
    assert "no job definition yet for Blender 5.2, 5.3" in first_deploy["stderr"]
    assert "make image push BLENDER=5.3" in first_deploy["stderr"]
    assert (
        'DEPLOY_ARGS="-p ImageDigest52=sha256:... -p ImageDigest53=sha256:..."'
        in first_deploy["stderr"]
    )
    assert definitions(f"{first_deploy['name']}-job") == {}


def test_deployed_with_digests_each_version_has_a_definition_running_its_own_image(stack):
    # Given the stack deployed with the images for Blender 5.2 and 5.3
    env, name = stack["env"], stack["name"]
    repository = env["BLENDBATCH_REPOSITORY"]

    # Then the printed base name leads to one definition per version, and to no other
    assert env["BLENDBATCH_JOB_DEFINITION"] == f"{name}-job"
    assert env["BLENDBATCH_BLENDER_VERSIONS"] == "5.2,5.3"
    found = definitions(env["BLENDBATCH_JOB_DEFINITION"])
    assert {d: found[d]["containerProperties"]["image"] for d in found} == {
        f"{name}-job-blender-5-2": f"{repository}@{DIGESTS['5.2']}",
        f"{name}-job-blender-5-3": f"{repository}@{DIGESTS['5.3']}",
    }
    # And each says its Blender version, and deploy has nothing more to ask
    assert {d: found[d]["tags"] for d in found} == {
        f"{name}-job-blender-5-2": {"blendbatch:blender": "5.2"},
        f"{name}-job-blender-5-3": {"blendbatch:blender": "5.3"},
    }
    assert "no job definition yet" not in stack["stderr"]


def test_deploy_prints_the_stack_resources_submit_needs(stack):
    # Given a deployed stack, its printed variables name the stack's own resources
    env = stack["env"]
    cf = boto3.client("cloudformation")
    # moto lists a resource left out by its Condition as an entry without ids: skipped here
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cf.describe_stack_resources(StackName=stack["name"])["StackResources"]
        if "LogicalResourceId" in r
    }
    assert env["BLENDBATCH_BUCKET"] == resources["Bucket"]
    assert env["BLENDBATCH_QUEUE"] == resources["JobQueue"]
    assert resources["JobDefinitionBlender53"].endswith(f"/{stack['name']}-job-blender-5-3:1")
    assert env["BLENDBATCH_REPOSITORY"].endswith("/blendbatch")
    assert env["BLENDBATCH_LOG_GROUP"] == f"/aws/batch/{stack['name']}"


def test_the_queue_tries_spot_first_then_on_demand(stack):
    batch = boto3.client("batch")
    queue = batch.describe_job_queues(jobQueues=[stack["env"]["BLENDBATCH_QUEUE"]])["jobQueues"][0]
    order = sorted(queue["computeEnvironmentOrder"], key=lambda e: e["order"])
    envs = batch.describe_compute_environments(
        computeEnvironments=[e["computeEnvironment"] for e in order]
    )["computeEnvironments"]
    by_arn = {e["computeEnvironmentArn"]: e["computeResources"] for e in envs}
    kinds = [
        (
            by_arn[e["computeEnvironment"]]["type"],
            by_arn[e["computeEnvironment"]].get("allocationStrategy"),
        )
        for e in order
    ]
    assert kinds == [("SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED"), ("EC2", "BEST_FIT_PROGRESSIVE")]


def test_the_job_role_as_created_grants_only_the_stack_bucket(stack):
    # Given the job role the stack's job definition runs with
    definition = definitions(stack["env"]["BLENDBATCH_JOB_DEFINITION"])
    assert len(definition) == 2
    roles = {d["containerProperties"]["jobRoleArn"] for d in definition.values()}
    assert len(roles) == 1
    role = roles.pop().rsplit("/", 1)[1]
    iam = boto3.client("iam")

    # Then it has no managed policy, and its inline policies name only the bucket
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    bucket_arn = f"arn:aws:s3:::{stack['env']['BLENDBATCH_BUCKET']}"
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert names
    for name in names:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):  # moto returns the policy of a stack's role as a repr
            document = ast.literal_eval(document)
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            assert set(resources) <= {bucket_arn, f"{bucket_arn}/*"}, statement
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            assert all(a.startswith("s3:") and "*" not in a for a in actions), statement


@pytest.mark.slow
def test_submit_to_the_stack_and_replay_gives_the_video_in_its_bucket(stack, make_blend, tmp_path):
    # Given a 4-frame scene uploaded to the stack's bucket
    env = stack["env"]
    bucket = env["BLENDBATCH_BUCKET"]
    s3 = boto3.client("s3")
    s3.upload_file(str(make_blend(start=1, end=4, compress=True)), bucket, "scenes/shot.blend")

    # When the user submits it with the queue the deploy printed, to the 5.3 definition of the
    # printed base name (a full name: routing by the file's version is tested with submit)
    definition = blenderversions.job_definition_name(env["BLENDBATCH_JOB_DEFINITION"], (5, 3))
    result = run_cli(
        "submit", "-i", f"s3://{bucket}/scenes/shot.blend", "-o", f"s3://{bucket}/renders",
        "-f", "2", "-n", "shot", "-q", env["BLENDBATCH_QUEUE"], "-d", definition, "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    render_id, stitch_id = (job["jobId"] for job in json.loads(result.stdout))

    # And the jobs Batch recorded run as the container would run them
    jobs = boto3.client("batch").describe_jobs(jobs=[render_id, stitch_id])["jobs"]
    by_id = {job["jobId"]: job for job in jobs}
    render, stitch = by_id[render_id], by_id[stitch_id]
    assert (
        render["jobDefinition"]
        == definitions(env["BLENDBATCH_JOB_DEFINITION"])[definition]["jobDefinitionArn"]
    )
    status = run_cli("status", render_id)
    image = f"  image {env['BLENDBATCH_REPOSITORY']}@{DIGESTS['5.3']}"
    assert image in status.stdout.splitlines()
    for index in range(render["arrayProperties"]["size"]):
        replayed = run_entrypoint(*render["container"]["command"], index=index)
        assert replayed.returncode == 0, replayed.stderr[-2000:]
    replayed = run_entrypoint(*stitch["container"]["command"])
    assert replayed.returncode == 0, replayed.stderr[-2000:]

    # Then the video of all 4 frames is in the stack's bucket
    video = tmp_path / "output.mp4"
    s3.download_file(bucket, "renders/shot/output.mp4", str(video))
    facts = probe(video)
    assert (facts.frames, facts.width, facts.height) == (4, 64, 36)
    assert facts.rate == Fraction(24)


def test_given_subnets_are_used_and_destroy_keeps_the_bucket(moto_endpoint):
    # Given the user's own subnet and security group
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/20")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="render", Description="r", VpcId=vpc)["GroupId"]

    vpcs_before = len(ec2.describe_vpcs()["Vpcs"])

    # When a stack is deployed into them
    name = f"bb-{uuid.uuid4().hex[:8]}"
    created = run_cli(
        "deploy", "--stack", name, "-p", "InstanceTypes=c6i", "-p", f"SubnetIds={subnet}",
        "-p", f"SecurityGroupId={group}", "-p", "RepositoryName=other",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    env = exported(created.stdout)

    # Then its compute environments use them, and it makes no network of its own
    assert len(ec2.describe_vpcs()["Vpcs"]) == vpcs_before
    batch = boto3.client("batch")
    queue = batch.describe_job_queues(jobQueues=[env["BLENDBATCH_QUEUE"]])["jobQueues"][0]
    arns = [e["computeEnvironment"] for e in queue["computeEnvironmentOrder"]]
    for environment in batch.describe_compute_environments(computeEnvironments=arns)[
        "computeEnvironments"
    ]:
        assert environment["computeResources"]["subnets"] == [subnet]
        assert environment["computeResources"]["securityGroupIds"] == [group]

    # And when the user destroys the stack, the bucket with a render in it is kept and named
    # (moto keeps a non-empty bucket either way: tests/unit/test_stack.py checks the Retain)
    bucket = env["BLENDBATCH_BUCKET"]
    boto3.client("s3").put_object(Bucket=bucket, Key="renders/shot/output.mp4", Body=b"video")
    result = run_cli("deploy", "--stack", name, "--delete")
    assert result.returncode == 0, result.stderr
    assert f"kept bucket {bucket}" in result.stderr
    stacks = boto3.client("cloudformation").list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks if s["StackName"] == name} == {"DELETE_COMPLETE"}
    assert boto3.client("s3").head_object(Bucket=bucket, Key="renders/shot/output.mp4")
