"""Frames put in S3 carry the tag the stack's lifecycle rule expires them by; videos do not."""

import boto3

from submitter.stack.template import load_stack
from tests.conftest import run_entrypoint


def test_frames_are_tagged_for_the_stacks_expiry_rule_and_videos_are_not(make_blend, bucket):
    # Given the stack's rule that expires frames
    rules = load_stack()["Resources"]["Bucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiry = next(r for r in rules if r["Id"] == "expire-frames")
    wanted = [{"Key": f["Key"], "Value": f["Value"]} for f in expiry["TagFilters"]]

    # When a slice renders into S3 and is stitched
    blend = make_blend(end=2)
    out = f"s3://{bucket}/shot"
    assert run_entrypoint("render", "-i", str(blend), "-o", out, "-f", "2").returncode == 0
    assert run_entrypoint("stitch", "-i", out, "-o", out).returncode == 0

    # Then each frame carries exactly that tag, and the video and manifest carry none
    s3 = boto3.client("s3")
    for key in ("shot/frames/0001.png", "shot/frames/0002.png"):
        assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == wanted
    for key in ("shot/output.mp4", "shot/manifests/slice-00000.json"):
        assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == []
