"""What the stack template (submitter/stack/stack.yaml) promises, read from the template itself
(no AWS, no emulator).

The emulator ignores some of these properties (public access block, lifecycle rules, ECR scan
settings), so this file is where they are checked.
"""

import json

import pytest

from submitter import deploy
from submitter.stack.template import load_stack

STACK = load_stack()
RESOURCES = STACK["Resources"]
BUCKET_ARN = {"Fn::GetAtt": ["Bucket", "Arn"]}
BUCKET_OBJECTS = {"Fn::Sub": "${Bucket.Arn}/*"}


def of_type(kind: str) -> dict:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_the_job_role_grants_nothing_outside_the_stack_bucket():
    role = RESOURCES["JobRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        for resource in as_list(statement["Resource"]):
            assert resource in (BUCKET_ARN, BUCKET_OBJECTS), statement
        for action in as_list(statement["Action"]):
            assert action.startswith("s3:") and "*" not in action, statement
    # Listing is on the bucket, object access on its objects only.
    by_resource = {json.dumps(s["Resource"]): as_list(s["Action"]) for s in statements}
    assert by_resource[json.dumps(BUCKET_ARN)] == ["s3:ListBucket"]
    assert {"s3:GetObject", "s3:PutObject"} <= set(by_resource[json.dumps(BUCKET_OBJECTS)])


def test_each_role_can_be_assumed_only_by_its_own_service():
    services = {
        name: [s["Principal"]["Service"] for s in r["Properties"]["AssumeRolePolicyDocument"][
            "Statement"]]
        for name, r in of_type("AWS::IAM::Role").items()
    }  # fmt: skip
    assert services == {
        "JobRole": ["ecs-tasks.amazonaws.com"],
        "InstanceRole": ["ec2.amazonaws.com"],
        "BatchServiceRole": ["batch.amazonaws.com"],
    }
    instance_policies = RESOURCES["InstanceRole"]["Properties"]["ManagedPolicyArns"]
    assert [p["Fn::Sub"].rsplit("/", 1)[1] for p in instance_policies] == [
        "AmazonEC2ContainerServiceforEC2Role"
    ]
    assert "Policies" not in RESOURCES["InstanceRole"]["Properties"]


def test_the_queue_prefers_spot_and_falls_back_to_on_demand():
    order = RESOURCES["JobQueue"]["Properties"]["ComputeEnvironmentOrder"]
    chosen = [(o["Order"], RESOURCES[o["ComputeEnvironment"]["Ref"]]) for o in order]
    kinds = [
        (n, e["Properties"]["ComputeResources"]["Type"],
         e["Properties"]["ComputeResources"]["AllocationStrategy"])
        for n, e in sorted(chosen, key=lambda c: c[0])
    ]  # fmt: skip
    assert kinds == [
        (1, "SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED"),
        (2, "EC2", "BEST_FIT_PROGRESSIVE"),
    ]
    for _, environment in chosen:
        resources = environment["Properties"]["ComputeResources"]
        assert resources["MinvCpus"] == 0  # nothing runs, nothing is paid, when the queue is idle


def test_the_bucket_is_private_encrypted_versioned_and_expires_frames_and_old_versions():
    bucket = RESOURCES["Bucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-frames"]["TagFilters"] == [{"Key": "blendbatch", "Value": "frame"}]
    assert rules["expire-frames"]["ExpirationInDays"] == {"Ref": "FrameRetentionDays"}
    assert "AbortIncompleteMultipartUpload" in rules["abort-incomplete-uploads"]
    # Manifests are rewritten after every frame: their old versions must not pile up
    old = rules["expire-old-versions"]
    assert old["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": {"Ref": "NoncurrentVersionDays"}
    }
    assert old["ExpiredObjectDeleteMarker"] is True and "Filter" not in old
    # The renders outlive `make destroy`.
    assert RESOURCES["Bucket"]["DeletionPolicy"] == "Retain"


def test_access_logging_is_opt_in_into_a_log_bucket_of_its_own():
    logging = RESOURCES["Bucket"]["Properties"]["LoggingConfiguration"]["Fn::If"]
    assert logging[0] == "LogAccess" and logging[2] == {"Ref": "AWS::NoValue"}
    assert logging[1]["DestinationBucketName"] == {"Ref": "AccessLogBucket"}
    assert STACK["Parameters"]["AccessLogging"]["Default"] == "false"
    for name in ("AccessLogBucket", "AccessLogBucketPolicy"):
        assert RESOURCES[name]["Condition"] == "LogAccess"
    logs = RESOURCES["AccessLogBucket"]["Properties"]
    assert set(logs["PublicAccessBlockConfiguration"].values()) == {True}
    statement = RESOURCES["AccessLogBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Principal"] for s in statement] == [{"Service": "logging.s3.amazonaws.com"}]
    assert [s["Action"] for s in statement] == ["s3:PutObject"]


def test_kms_is_opt_in_for_the_repository_and_the_logs_with_a_rotated_key():
    assert STACK["Parameters"]["KmsEncryption"]["Default"] == "false"
    key = RESOURCES["Key"]
    assert key["Condition"] == "UseKms" and key["Properties"]["EnableKeyRotation"] is True
    encryption = RESOURCES["Repository"]["Properties"]["EncryptionConfiguration"]["Fn::If"]
    assert encryption[0] == "UseKms"
    assert encryption[1] == {"EncryptionType": "KMS", "KmsKey": {"Fn::GetAtt": ["Key", "Arn"]}}
    assert RESOURCES["LogGroup"]["Properties"]["KmsKeyId"] == {
        "Fn::If": ["UseKms", {"Fn::GetAtt": ["Key", "Arn"]}, {"Ref": "AWS::NoValue"}]
    }


def test_every_checkov_skip_gives_a_reason():
    skips = [
        (name, skip)
        for name, resource in RESOURCES.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert {(name, skip["id"]) for name, skip in skips} == {
        ("Bucket", "CKV_AWS_18"),
        ("AccessLogBucket", "CKV_AWS_18"),
        ("AccessLogBucket", "CKV_AWS_21"),
        ("Repository", "CKV_AWS_136"),
        ("LogGroup", "CKV_AWS_158"),
    }
    for _, skip in skips:
        assert len(skip["comment"].split()) >= 6, skip


def test_the_repository_has_immutable_tags_scans_images_and_bounds_their_number():
    repository = RESOURCES["Repository"]["Properties"]
    assert repository["ImageTagMutability"] == "IMMUTABLE"
    assert repository["ImageScanningConfiguration"] == {"ScanOnPush": True}
    policy = json.loads(repository["LifecyclePolicy"]["LifecyclePolicyText"])
    assert [r["selection"]["tagStatus"] for r in policy["rules"]] == ["untagged", "any"]
    assert [r["action"]["type"] for r in policy["rules"]] == ["expire", "expire"]
    assert policy["rules"][1]["selection"]["countType"] == "imageCountMoreThan"


def test_every_security_group_rule_says_what_it_is_for():
    group = RESOURCES["SecurityGroup"]["Properties"]
    assert all(rule["Description"] for rule in group["SecurityGroupEgress"])


def test_the_log_group_is_the_job_definitions_and_has_a_retention():
    log_group = RESOURCES["LogGroup"]["Properties"]
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    definitions = of_type("AWS::Batch::JobDefinition").values()
    assert definitions
    for definition in definitions:
        options = definition["Properties"]["ContainerProperties"]["LogConfiguration"]
        assert options["Options"]["awslogs-group"] == {"Ref": "LogGroup"}


def test_without_subnets_the_stack_builds_its_own_network_with_no_inbound_access():
    assert STACK["Parameters"]["SubnetIds"]["Default"] == ""
    network = {name for name, r in RESOURCES.items() if r.get("Condition") == "CreateVpc"}
    assert {"Vpc", "SubnetA", "SubnetB", "SecurityGroup", "DefaultRoute"} <= network
    assert "SecurityGroupIngress" not in RESOURCES["SecurityGroup"]["Properties"]


def test_every_variable_deploy_prints_is_a_stack_output():
    assert set(deploy.ENV_NAMES) == set(STACK["Outputs"])


def test_env_lines_are_shell_safe_exports():
    lines = deploy.env_lines({"JobQueue": "arn:aws:batch:q/x", "Bucket": "b b", "Other": "x"})
    assert lines == ["export BLENDBATCH_QUEUE=arn:aws:batch:q/x", "export BLENDBATCH_BUCKET='b b'"]


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (["Vcpus=8"], {"Vcpus": "8"}),
        (["SubnetIds=subnet-1,subnet-2", "SecurityGroupId=sg-1"],
         {"SubnetIds": "subnet-1,subnet-2", "SecurityGroupId": "sg-1"}),
        (["SubnetIds="], {"SubnetIds": ""}),
    ],
    ids=["one", "list-value", "empty"],
)  # fmt: skip
def test_parameters_are_key_value_pairs(pairs, expected):
    assert deploy.parse_parameters(pairs) == expected


def test_a_parameter_without_a_value_is_refused_with_an_example():
    from entrypoint.errors import BadInput

    with pytest.raises(BadInput, match="-p Vcpus=8"):
        deploy.parse_parameters(["Vcpus"])
