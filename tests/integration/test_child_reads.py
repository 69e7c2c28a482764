"""What a render child reads of its output before the first frame: an earlier manifest in one
request, None when there is none; a link is never read."""

from __future__ import annotations

import boto3

from entrypoint.storage import parse_location


def test_an_s3_object_is_read_in_one_request_or_is_none(bucket):
    # Given a manifest under the output and none under another name
    boto3.client("s3").put_object(Bucket=bucket, Key="shot/manifests/slice-00000.json", Body=b"{}")
    output = parse_location(f"s3://{bucket}/shot")

    # Then the present one is read and the absent one is None, not an error
    assert output.get_bytes_if_present("manifests/slice-00000.json") == b"{}"
    assert output.get_bytes_if_present("manifests/slice-00001.json") is None


def test_a_local_file_is_read_and_a_link_or_nothing_is_none(tmp_path):
    # Given a manifest, a link planted as another, and a missing third
    folder = tmp_path / "out" / "manifests"
    folder.mkdir(parents=True)
    (folder / "slice-00000.json").write_bytes(b"{}")
    secret = tmp_path / "secret.json"
    secret.write_bytes(b"not ours")
    (folder / "slice-00001.json").symlink_to(secret)
    output = parse_location(str(tmp_path / "out"))

    # Then only the real file is read
    assert output.get_bytes_if_present("manifests/slice-00000.json") == b"{}"
    assert output.get_bytes_if_present("manifests/slice-00001.json") is None
    assert output.get_bytes_if_present("manifests/slice-00002.json") is None
