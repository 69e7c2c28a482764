"""`submit` routes a file to the job definition of its own Blender; `run` refuses a file newer than
the installed bpy. Files "saved by" other Blenders are files the installed bpy saved, with the
version in their header (and GLOB) rewritten; job definitions are registered in moto.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import textwrap
import uuid
from importlib import metadata
from pathlib import Path

import boto3
import pytest
import zstandard

from submitter.blendfile import read_blend_data, read_blend_info
from tests.conftest import ROOT, run_cli

V1_HEADER = struct.Struct("<4siQqq")  # code, SDNAnr, old, len, nr: Blender 5.0 onwards
LEGACY_HEADER = struct.Struct("<4siQii")  # code, len, old, SDNAnr, nr: up to 4.5, 8-byte pointers


def installed_blender() -> tuple[int, int]:
    major, minor = metadata.version("bpy").split(".")[:2]
    return int(major), int(minor)


def uncompressed(path: Path) -> bytes:
    data = path.read_bytes()
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        reader = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True)
        data = reader.read()
    return data


def saved_as(blend: Path, version: tuple[int, int], folder: Path, minversion: int = 0) -> Path:
    """A copy of `blend` (saved by the installed bpy, 17-byte header) whose header says another
    Blender saved it: a 5.x header keeps its layout, a 4.x one gets the 12-byte legacy header
    and block headers. `minversion` (e.g. 502) also rewrites GLOB's."""
    raw = bytearray(uncompressed(blend))
    assert raw[:12] == b"BLENDER17-01", "the installed bpy saves 17-byte headers"
    digits = f"{version[0]}{version[1]:02d}"
    legacy = version < (5, 0)
    out = [f"BLENDER-v{digits}".encode() if legacy else f"BLENDER17-01v0{digits}".encode()]
    pos = 17
    while pos < len(raw):
        code, sdna, old, length, count = V1_HEADER.unpack_from(raw, pos)
        data = bytearray(raw[pos + V1_HEADER.size : pos + V1_HEADER.size + length])
        if code == b"GLOB" and minversion:
            struct.pack_into("<h", data, 6, minversion)
        if legacy:
            out.append(LEGACY_HEADER.pack(code, length, old, sdna, count))
        else:
            out.append(V1_HEADER.pack(code, sdna, old, length, count))
        out.append(bytes(data))
        pos += V1_HEADER.size + length
        if code == b"ENDB":
            break
    path = folder / f"saved-by-{version[0]}.{version[1]}-{uuid.uuid4().hex[:6]}.blend"
    path.write_bytes(b"".join(out))
    return path


@pytest.fixture(scope="module")
def scene(make_blend) -> Path:
    return make_blend(start=1, end=2)


def register(*names: str) -> None:
    batch = boto3.client("batch")
    for name in names:
        batch.register_job_definition(
            jobDefinitionName=name,
            type="container",
            containerProperties={"image": "blendbatch:test", "vcpus": 1, "memory": 512},
        )


@pytest.fixture
def base(moto_endpoint) -> str:
    """A job-definition base of this test's own (moto keeps definitions for the session)."""
    return f"bb{uuid.uuid4().hex[:8]}"


def submit(blend: Path, bucket: str, queue: dict, *extra: str, env: dict | None = None):
    return run_cli(
        "submit", "--upload", str(blend), "--bucket", bucket, "-f", "1", "-n", "shot",
        "-q", queue["queue"], "--json", *extra, env=env,
    )  # fmt: skip


def definition_of(result) -> str:
    assert result.returncode == 0, result.stderr
    render_id = json.loads(result.stdout)[0]["jobId"]
    job = boto3.client("batch").describe_jobs(jobs=[render_id])["jobs"][0]
    return job["jobDefinition"].rsplit("/", 1)[-1].rsplit(":", 1)[0]


def stored(bucket: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


# --- the reader on files Blender saved ---------------------------------------------------


READ_VERSION = textwrap.dedent(
    """
    import json, sys
    import bpy
    bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False, use_scripts=False)
    print(json.dumps({"file": list(bpy.data.version), "app": list(bpy.app.version)}))
    """
)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "zstd"])
def test_the_reader_agrees_with_blender_on_the_files_it_saves(make_blend, compress):
    # Given a file the installed bpy saved
    blend = make_blend(start=1, end=2, **({"compress": True} if compress else {}))

    # When the reader reads 128 KiB of it, and Blender opens it
    info = read_blend_info(blend.read_bytes()[: 128 * 1024], complete=False)
    opened = subprocess.run(
        [sys.executable, "-c", READ_VERSION, str(blend)], capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    said = json.loads(opened.stdout.strip().splitlines()[-1])

    # Then the saved-by version and subversion are Blender's, and the installed bpy's
    assert info.saved_by == tuple(said["file"][:2]) == tuple(said["app"][:2])
    assert info.saved_by == installed_blender()
    assert info.subversion == said["file"][2]
    # And minversion is what the file's own SDNA places in GLOB
    whole = read_blend_data(blend.read_bytes())
    glob = next(b for b in whole.blocks if b.code == b"GLOB")
    read = {
        name: whole.sdna.read(whole.raw, glob.start, whole.sdna.member("FileGlobal", name))
        for name in ("subversion", "minversion", "minsubversion")
    }
    assert info.minversion == divmod(read["minversion"], 100)
    assert (info.subversion, info.minsubversion) == (read["subversion"], read["minsubversion"])
    assert info.minversion <= info.saved_by


@pytest.mark.parametrize("version", [(4, 2), (4, 5), (5, 1), (5, 3)], ids=str)
def test_files_saved_by_other_blenders_read_as_such(scene, tmp_path, version):
    blend = saved_as(scene, version, tmp_path, minversion=306)

    for complete in (False, True):
        info = read_blend_info(blend.read_bytes(), complete=complete)
        assert (info.saved_by, info.minversion) == (version, (3, 6))
        assert (info.scenes[0].start, info.scenes[0].end) == (1, 2)


# --- submit: which job definition ----------------------------------------------------------


def test_a_dry_run_shows_the_choice_and_why_without_any_aws_call(scene, tmp_path):
    # Given a file saved by Blender 4.3, and an endpoint that would record any connection
    blend = saved_as(scene, (4, 3), tmp_path)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BLENDBATCH_"))}
    env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{listener.getsockname()[1]}"

    # When the user asks for a dry run
    result = subprocess.run(
        [sys.executable, "-m", "submitter", "submit", "--upload", str(blend), "--bucket", "b",
         "-f", "1", "-n", "shot", "-q", "q", "--dry-run"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip

    # Then the route is the oldest supported Blender that renders a 4.3 file, with the reason
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["route"] == {
        "jobDefinition": "blendbatch-blender-4-5",
        "blender": "4.5",
        "why": "saved by Blender 4.3; the oldest supported Blender that renders it is 4.5",
    }
    assert printed["render"]["jobDefinition"] == "blendbatch-blender-4-5"
    assert printed["stitch"]["jobDefinition"] == "blendbatch-blender-4-5"
    assert "job definition blendbatch-blender-4-5: saved by Blender 4.3" in result.stderr
    try:
        connection, _ = listener.accept()
        connection.close()
        raise AssertionError("the dry run connected to the AWS endpoint")
    except TimeoutError:
        pass
    finally:
        listener.close()


def test_submit_uses_the_registered_definition_of_the_files_blender(
    scene, tmp_path, bucket, batch_queue, base
):
    # Given definitions registered for 5.1 and 5.3, and a file saved by 5.1
    register(f"{base}-blender-5-1", f"{base}-blender-5-3")
    blend = saved_as(scene, (5, 1), tmp_path)

    # When it is submitted with the base in the environment
    result = submit(blend, bucket, batch_queue, env={"BLENDBATCH_JOB_DEFINITION": base})

    # Then both jobs run the 5.1 definition, and no notice was needed
    assert definition_of(result) == f"{base}-blender-5-1"
    assert "not registered" not in result.stderr


def test_submit_takes_the_nearest_newer_registered_definition_and_says_so(
    scene, tmp_path, bucket, batch_queue, base
):
    # Given a file saved by 5.1 and definitions for 5.0 (older), 5.2 and 5.3 only
    register(f"{base}-blender-5-0", f"{base}-blender-5-3", f"{base}-blender-5-2")
    blend = saved_as(scene, (5, 1), tmp_path)

    result = submit(blend, bucket, batch_queue, env={"BLENDBATCH_JOB_DEFINITION": base})

    assert definition_of(result) == f"{base}-blender-5-2"
    assert (
        f"note: job definition {base}-blender-5-1 (Blender 5.1) is not registered; using "
        f"{base}-blender-5-2, the nearest newer one (Blender 5.2)"
    ) in result.stderr


def test_submit_with_no_fitting_definition_registered_names_the_register_command(
    scene, tmp_path, bucket, batch_queue, base
):
    # Given a file saved by 5.3 and only an older definition registered
    register(f"{base}-blender-5-0")
    blend = saved_as(scene, (5, 3), tmp_path)

    result = submit(blend, bucket, batch_queue, env={"BLENDBATCH_JOB_DEFINITION": base})

    # Then exit 2, one line naming the command that fixes it, and nothing uploaded or submitted
    assert result.returncode == 2, result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(f"error: job definition {base}-blender-5-3 (Blender 5.3) is not")
    assert f"`blendbatch register --blender 5.3 --base {base} --image" in error
    assert result.stdout == ""
    assert stored(bucket) == []


def test_a_file_newer_than_every_supported_blender_is_refused_before_anything(
    scene, tmp_path, bucket, batch_queue, base
):
    register(f"{base}-blender-5-3")
    blend = saved_as(scene, (6, 1), tmp_path)
    env = {"BLENDBATCH_JOB_DEFINITION": base}

    result = submit(blend, bucket, batch_queue, env=env)

    assert result.returncode == 2, result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert "saved by Blender 6.1, newer than every Blender this blendbatch has an image" in error
    assert "update blendbatch" in error and "--allow-older-blender" in error
    assert stored(bucket) == []

    # And with --allow-older-blender it goes to the newest, the children told so
    allowed = submit(blend, bucket, batch_queue, "--allow-older-blender", env=env)
    assert definition_of(allowed) == f"{base}-blender-5-3"
    render_id = json.loads(allowed.stdout)[0]["jobId"]
    job = boto3.client("batch").describe_jobs(jobs=[render_id])["jobs"][0]
    assert "--allow-older-blender" in job["container"]["command"]


def test_an_s3_input_is_routed_by_its_header_read_from_s3(
    scene, tmp_path, bucket, batch_queue, base
):
    # Given a file saved by 5.3 already in S3 (no --upload) and its definition registered
    register(f"{base}-blender-5-3")
    boto3.client("s3").upload_file(str(saved_as(scene, (5, 3), tmp_path)), bucket, "scenes/s.blend")

    result = run_cli(
        "submit", "-i", f"s3://{bucket}/scenes/s.blend", "--bucket", bucket, "-f", "1",
        "-n", "shot", "-q", batch_queue["queue"], "--json",
        env={"BLENDBATCH_JOB_DEFINITION": base},
    )  # fmt: skip

    assert definition_of(result) == f"{base}-blender-5-3"


def test_an_explicit_d_name_turns_routing_off_but_not_the_version_check(scene, tmp_path):
    blend = saved_as(scene, (5, 3), tmp_path)
    args = ["submit", "--upload", str(blend), "--bucket", "b", "-f", "1", "-n", "shot",
            "-q", "q", "--dry-run"]  # fmt: skip

    # A name without a version is used as given
    plain = run_cli(*args, "-d", "my-renderer")
    assert plain.returncode == 0, plain.stderr
    printed = json.loads(plain.stdout)
    assert printed["render"]["jobDefinition"] == "my-renderer"
    assert printed["route"]["why"] == "-d my-renderer: not routed"

    # A name for an older Blender is refused, naming the way out
    older = run_cli(*args, "-d", "farm-blender-5-0")
    assert older.returncode == 2
    error = older.stderr.strip().splitlines()[-1]
    assert "saved by Blender 5.3 but job definition farm-blender-5-0 runs Blender 5.0" in error
    assert "--allow-older-blender" in error

    # And the default base typed out is a name too, not a base
    typed = run_cli(*args, "-d", "blendbatch")
    assert json.loads(typed.stdout)["render"]["jobDefinition"] == "blendbatch"


def test_blender_option_picks_another_version_not_older_than_the_file(scene, tmp_path):
    blend = saved_as(scene, (5, 1), tmp_path)
    args = ["submit", "--upload", str(blend), "--bucket", "b", "-f", "1", "-n", "shot",
            "-q", "q", "--dry-run"]  # fmt: skip

    newer = run_cli(*args, "--blender", "5.3")
    assert newer.returncode == 0, newer.stderr
    assert json.loads(newer.stdout)["route"]["jobDefinition"] == "blendbatch-blender-5-3"

    older = run_cli(*args, "--blender", "5.0")
    assert older.returncode == 2
    assert "saved by Blender 5.1 and --blender 5.0 is older" in older.stderr

    allowed = run_cli(*args, "--blender", "5.0", "--allow-older-blender")
    assert allowed.returncode == 0, allowed.stderr
    printed = json.loads(allowed.stdout)
    assert printed["render"]["jobDefinition"] == "blendbatch-blender-5-0"
    assert "--allow-older-blender" in printed["render"]["containerOverrides"]["command"]

    unknown = run_cli(*args, "--blender", "5.4")
    assert unknown.returncode == 2
    assert "--blender 5.4: Blender 5.4 is not one blendbatch has an image for" in unknown.stderr


# --- run: the installed bpy is the only Blender ----------------------------------------------


def test_run_refuses_a_file_newer_than_the_installed_bpy_before_any_child(scene, tmp_path):
    major, minor = installed_blender()
    blend = saved_as(scene, (major, minor + 1), tmp_path)

    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path / "out"), "-f", "1")

    assert result.returncode == 2, result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert f"saved by Blender {major}.{minor + 1} but this machine's Blender is" in error
    assert f"(bpy {metadata.version('bpy')}, the installed package)" in error
    assert "--allow-older-blender" in error
    assert not list((tmp_path / "out").rglob("*.png"))
