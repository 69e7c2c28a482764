"""The content-addressed store against S3 on loopback (moto server): each file goes up once,
re-submitting an unchanged project moves 0 bytes, large files go up in parts, a missing outside
file stops `submit --upload` before anything is uploaded or submitted, and an s3:// input
without --upload is pinned by its ETag."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from submitter import aws, cas, depfind
from submitter.cli import app
from submitter.deps import Dependency, Reference
from tests.conftest import run_cli

WRITES = ("PutObject", "UploadPart", "CreateMultipartUpload")


def found(referrer: Path, written: str, kind: str, owner: str, *files: Path) -> Dependency:
    path = files[0] if len(files) == 1 else files[0].parent
    size = sum(f.stat().st_size for f in files)
    return Dependency(
        referrer, Reference(kind, owner, written, packed=False), path, files, "found", size
    )


def missing(referrer: Path, written: str, kind: str, owner: str, path: Path) -> Dependency:
    return Dependency(
        referrer, Reference(kind, owner, written, packed=False), path, (), "missing", 0
    )


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def shot_project(root: Path) -> tuple[Path, list[Dependency]]:
    """shots/shot.blend with a texture beside it, one above it, and a linked library whose own
    texture is relative to the library."""
    blend = write(root / "shots" / "shot.blend", b"BLENDER-v500 main " + os.urandom(3000))
    near = write(root / "shots" / "tex" / "wood.png", os.urandom(70_000))
    shared = write(root / "textures" / "checker.png", os.urandom(50_000))
    library = write(root / "lib" / "props.blend", b"BLENDER-v500 lib " + os.urandom(9000))
    props = write(root / "lib" / "tex" / "props.png", os.urandom(30_000))
    return blend, [
        found(blend, "//tex/wood.png", "image", "IMwood", near),
        found(blend, "//../textures/checker.png", "image", "IMchecker", shared),
        found(blend, "//../lib/props.blend", "library", "LIprops.blend", library),
        found(library, "//tex/props.png", "image", "IMprops", props),
    ]


class Writes:
    """Counts the S3 write requests the submitter's client sends, and the keys they name."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.keys: Counter[str] = Counter()
        self.client = aws.client("s3")

    def __call__(self, params, model, **_):
        if model.name in WRITES:
            self.calls[model.name] += 1
            self.keys[params["Key"]] += 1

    def __enter__(self) -> Writes:
        self.client.meta.events.register("before-parameter-build.s3", self)
        return self

    def __exit__(self, *exc) -> None:
        self.client.meta.events.unregister("before-parameter-build.s3", self)


def upload(blend: Path, deps: list[Dependency], bucket: str, said: list[str] | None = None):
    project = cas.prepare(blend, deps, allow_missing=False, say=print)
    with Writes() as writes:
        done = cas.upload(
            project, bucket, copy_to=f"s3://{bucket}/scenes/shot.blend",
            say=(said if said is not None else []).append,
        )  # fmt: skip
    return project, done, writes


def stored(bucket: str, key: str) -> bytes:
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def test_file_hash_and_key_scheme(tmp_path):
    # Given a file longer than one read chunk
    data = os.urandom(cas.READ_CHUNK * 2 + 123)
    path = write(tmp_path / "a.bin", data)

    # Then its hash is sha256 of all its bytes and its key is named by it
    assert cas.sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert cas.object_key("ab" * 32) == "blendbatch-cas/sha256/" + "ab" * 32
    assert cas.manifest_key("cd" * 32) == "blendbatch-cas/deps/" + "cd" * 32 + ".json"


def test_the_same_project_gives_the_same_manifest_bytes(tmp_path):
    blend, deps = shot_project(tmp_path)
    first = cas.prepare(blend, deps, allow_missing=False, say=print)
    again = cas.prepare(blend, list(reversed(deps)), allow_missing=False, say=print)
    assert first.manifest == again.manifest
    manifest = json.loads(first.manifest)
    assert manifest["blend"]["layout"] == "shots/shot.blend"
    assert [f["layout"] for f in manifest["files"]] == [
        "lib/props.blend", "lib/tex/props.png", "shots/tex/wood.png", "textures/checker.png",
    ]  # fmt: skip
    assert {(p["referrer"], p["written"], p["layout"]) for p in manifest["paths"]} >= {
        ("lib/props.blend", "//tex/props.png", "lib/tex/props.png"),
        ("shots/shot.blend", "//../textures/checker.png", "textures/checker.png"),
    }


def test_first_upload_puts_each_file_once_and_a_resubmit_puts_nothing(tmp_path, bucket):
    # Given a project of a .blend and four outside files
    blend, deps = shot_project(tmp_path)

    # When it is uploaded the first time
    project, done, writes = upload(blend, deps, bucket)

    # Then each file and the manifest went up exactly once, under the key of its content
    every = [blend, *(f for d in deps for f in d.files)]
    keys = {cas.object_key(hashlib.sha256(f.read_bytes()).hexdigest()) for f in every}
    keys.add(done.manifest_uri.split("/", 3)[3])
    assert writes.keys == Counter({key: 1 for key in keys})
    for f in every:
        assert stored(bucket, cas.object_key(cas.sha256_file(f))) == f.read_bytes()
    assert stored(bucket, done.manifest_uri.split("/", 3)[3]) == project.manifest
    assert done.content_id == "sha256:" + hashlib.sha256(project.manifest).hexdigest()
    assert (done.files_uploaded, done.files_present) == (5, 0)
    assert done.bytes_uploaded == sum(f.stat().st_size for f in every)
    # and the .blend is also where -i says, copied server-side
    assert stored(bucket, "scenes/shot.blend") == blend.read_bytes()
    assert done.blend_uri == f"s3://{bucket}/{cas.object_key(cas.sha256_file(blend))}"

    # When the unchanged project is uploaded again
    said: list[str] = []
    _, again, writes = upload(blend, deps, bucket, said)

    # Then no write request was sent, and the user is told nothing moved
    assert writes.calls == Counter()
    assert (again.bytes_uploaded, again.files_uploaded, again.files_present) == (0, 0, 5)
    assert said == ["uploaded 0 files (0.0 MB), 5 already in the store"]
    assert again.manifest_uri == done.manifest_uri


def test_a_changed_texture_is_the_only_file_that_goes_up(tmp_path, bucket):
    blend, deps = shot_project(tmp_path)
    _, first, _ = upload(blend, deps, bucket)

    # When one texture changes
    changed = deps[1].files[0]
    write(changed, os.urandom(50_000))
    _, second, writes = upload(blend, deps, bucket)

    # Then that file and the new manifest are the only writes
    assert set(writes.keys) == {
        cas.object_key(cas.sha256_file(changed)),
        second.manifest_uri.split("/", 3)[3],
    }
    assert (second.files_uploaded, second.files_present) == (1, 4)
    assert second.content_id != first.content_id


def test_a_large_file_goes_up_in_parts_and_keeps_its_bytes(tmp_path, bucket):
    # Given a 40 MB cache, random blocks between zero blocks
    block = 1 << 20
    data = b"".join(os.urandom(block) if i % 3 else bytes(block) for i in range(40))
    blend = write(tmp_path / "shot.blend", b"BLENDER" + os.urandom(100))
    cache = write(tmp_path / "cache" / "anim.abc", data)
    deps = [found(blend, "//cache/anim.abc", "cache", "CFanim.abc", cache)]

    _, done, writes = upload(blend, deps, bucket)

    # Then it went up as a multipart upload of 16 MiB parts, and S3 holds exactly its bytes
    assert writes.calls["CreateMultipartUpload"] == 1
    assert writes.calls["UploadPart"] == 3
    sha = hashlib.sha256(data).hexdigest()
    assert hashlib.sha256(stored(bucket, cas.object_key(sha))).hexdigest() == sha
    assert done.bytes_uploaded == len(data) + blend.stat().st_size


def test_two_shots_sharing_a_library_upload_it_once(tmp_path, bucket):
    # Given two projects whose library (and its texture) have the same bytes
    blend_a, deps_a = shot_project(tmp_path / "a")
    blend_b = write(tmp_path / "b" / "shot_b.blend", b"BLENDER-v500 other " + os.urandom(4000))
    library = write(tmp_path / "b" / "props.blend", deps_a[2].files[0].read_bytes())
    texture = write(tmp_path / "b" / "tex" / "props.png", deps_a[3].files[0].read_bytes())
    deps_b = [
        found(blend_b, "//props.blend", "library", "LIprops.blend", library),
        found(library, "//tex/props.png", "image", "IMprops", texture),
    ]
    upload(blend_a, deps_a, bucket)

    # When the second shot is uploaded
    _, done, writes = upload(blend_b, deps_b, bucket)

    # Then only its own .blend and its manifest went up
    assert set(writes.keys) == {
        cas.object_key(cas.sha256_file(blend_b)),
        done.manifest_uri.split("/", 3)[3],
    }
    assert (done.files_uploaded, done.files_present) == (1, 2)


@pytest.fixture
def finder(monkeypatch):
    """`find_dependencies` answering with the records a test sets (the reader is not the
    subject here: the upload and the submission are)."""
    records: list[Dependency] = []
    monkeypatch.setattr(depfind, "find_dependencies", lambda blend, frames=None: list(records))
    return records


def submit(bucket: str, queue: dict, blend: Path, *extra: str):
    args = [
        "submit", "-i", f"s3://{bucket}/scenes/shot.blend", "-o", f"s3://{bucket}/renders",
        "-f", "2", "-n", "shot", "-q", queue["queue"], "-d", queue["job_definition"],
        "--upload", str(blend), "--json", *extra,
    ]  # fmt: skip
    return CliRunner().invoke(app, args)


def render_command(job_id: str) -> list[str]:
    job = boto3.client("batch").describe_jobs(jobs=[job_id])["jobs"][0]
    return job["container"]["command"]


def test_a_missing_file_stops_submit_before_anything_moves(tmp_path, make_blend, bucket,
                                                          batch_queue, finder):  # fmt: skip
    # Given a scene whose library is found but whose texture is not on this machine
    blend = write(tmp_path / "shots" / "shot.blend", make_blend(end=4).read_bytes())
    library = write(tmp_path / "lib" / "props.blend", b"BLENDER lib")
    gone = tmp_path / "textures" / "gone.png"
    finder += [
        found(blend, "//../lib/props.blend", "library", "LIprops.blend", library),
        missing(blend, "//../textures/gone.png", "image", "IMgone", gone),
    ]
    jobs_before = boto3.client("batch").list_jobs(jobQueue=batch_queue["queue"])["jobSummaryList"]

    result = submit(bucket, batch_queue, blend)

    # Then exit 2 names the file, who refers to it and the way out; nothing uploaded or submitted
    assert result.exit_code == 2, result.output
    assert "//../textures/gone.png (image IMgone in " in result.stderr
    assert str(gone) in result.stderr
    assert "--allow-missing" in result.stderr
    assert boto3.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    jobs = boto3.client("batch").list_jobs(jobQueue=batch_queue["queue"])["jobSummaryList"]
    assert jobs == jobs_before


def test_upload_pins_the_blend_and_manifest_and_resubmit_moves_nothing(tmp_path, make_blend,
                                                                      bucket, batch_queue,
                                                                      finder):  # fmt: skip
    blend = write(tmp_path / "shot.blend", make_blend(end=4).read_bytes())
    texture = write(tmp_path / "tex" / "a.png", os.urandom(20_000))
    gone = tmp_path / "tex" / "gone.png"
    finder += [
        found(blend, "//tex/a.png", "image", "IMa", texture),
        missing(blend, "//tex/gone.png", "image", "IMgone", gone),
    ]

    # When submitted with --allow-missing
    result = submit(bucket, batch_queue, blend, "--allow-missing")

    # Then the render names the pinned .blend, the manifest and the content id, and passes on
    # --allow-missing; the manifest records the missing file
    assert result.exit_code == 0, result.output
    assert "--allow-missing: rendering without 1 missing" in result.stderr
    assert "uploaded 2 files" in result.stderr
    command = render_command(json.loads(result.stdout)[0]["jobId"])
    sha = cas.sha256_file(blend)
    assert command[command.index("-i") + 1] == f"s3://{bucket}/blendbatch-cas/sha256/{sha}"
    deps_uri = command[command.index("--deps") + 1]
    manifest = stored(bucket, deps_uri.split("/", 3)[3])
    assert command[command.index("--content-id") + 1] == (
        "sha256:" + hashlib.sha256(manifest).hexdigest()
    )
    assert "--allow-missing" in command
    assert json.loads(manifest)["missing"] == [
        {"referrer": "shot.blend", "written": "//tex/gone.png", "kind": "image", "owner": "IMgone"}
    ]

    # When the unchanged project is submitted again
    again = submit(bucket, batch_queue, blend, "--allow-missing")
    assert again.exit_code == 0, again.output
    assert "uploaded 0 files (0.0 MB), 2 already in the store" in again.stderr
    command = render_command(json.loads(again.stdout)[0]["jobId"])
    assert command[command.index("--deps") + 1] == deps_uri


def test_an_s3_input_without_upload_is_pinned_by_its_etag(make_blend, bucket, batch_queue):
    s3 = boto3.client("s3")
    s3.upload_file(str(make_blend(end=4)), bucket, "scenes/shot.blend")
    etag = s3.head_object(Bucket=bucket, Key="scenes/shot.blend")["ETag"].strip('"')
    args = [
        "submit", "-i", f"s3://{bucket}/scenes/shot.blend", "-o", f"s3://{bucket}/renders",
        "-f", "2", "-n", "shot", "-q", batch_queue["queue"], "-d", batch_queue["job_definition"],
        "--samples", "2",
    ]  # fmt: skip

    # A dry run says the ETag is resolved at submit (it calls nothing)
    dry = run_cli(*args, "--frames", "1-4", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    shown = json.loads(dry.stdout)["render"]["containerOverrides"]["command"]
    assert shown[shown.index("--input-etag") + 1] == "<resolved at submit>"

    result = run_cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    command = render_command(json.loads(result.stdout)[0]["jobId"])
    assert command[command.index("--input-etag") + 1] == etag
    assert command[command.index("--content-id") + 1] == f"etag:{etag}"
    assert command[-4:] == ["--samples", "2", "--codec", "h264"]
