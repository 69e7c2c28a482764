"""The fault-injecting proxy does what the fault suite relies on."""

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ResponseStreamingError

from tests.faultproxy import FaultPlan, FaultProxy


def s3_through(proxy: FaultProxy):
    one_attempt = Config(retries={"mode": "standard", "total_max_attempts": 1})
    return boto3.client("s3", endpoint_url=proxy.endpoint, config=one_attempt)


@pytest.mark.parametrize(
    ("kind", "code"),
    [("500", "InternalError"), ("503", "ServiceUnavailable"), ("429", "SlowDown")],
    ids=["500", "503", "429"],
)
def test_error_statuses_arrive_as_s3_errors(moto_endpoint, bucket, kind, code):
    with (
        FaultProxy(moto_endpoint, FaultPlan(rate=1.0, kinds=(kind,))) as proxy,
        pytest.raises(ClientError) as caught,
    ):
        s3_through(proxy).get_object(Bucket=bucket, Key="anything")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == int(kind)
    assert caught.value.response["Error"]["Code"] == code
    assert proxy.stats[kind] == proxy.stats["requests"] == 1


def test_a_reset_cuts_a_body_in_the_middle(moto_endpoint, bucket):
    boto3.client("s3").put_object(Bucket=bucket, Key="k", Body=b"x" * 100_000)
    plan = FaultPlan(rate=1.0, kinds=("reset",), eligible=lambda method, path: method == "GET")
    with FaultProxy(moto_endpoint, plan) as proxy:
        response = s3_through(proxy).get_object(Bucket=bucket, Key="k")
        with pytest.raises(ResponseStreamingError):
            response["Body"].read()
    assert proxy.stats["reset"] == 1


def test_no_fault_plan_passes_everything_through(moto_endpoint, bucket):
    with FaultProxy(moto_endpoint) as proxy:
        client = s3_through(proxy)
        client.put_object(Bucket=bucket, Key="k", Body=b"hello")
        assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"
    assert proxy.stats["requests"] == 2
    assert proxy.stats["injected"] == 0
