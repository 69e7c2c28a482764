"""The render child fetches a scene's outside files, lays them out, remaps, and checks them.

The project is built with bpy, its files are put into the content-addressed store in moto by
hand (the layout from entrypoint.deplayout), the project folder is renamed away, and the child
runs from an empty folder: its frames must equal a local render of the original, pixel by pixel.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from entrypoint.deplayout import Found, plan_layout
from tests.conftest import ROOT, run_cli
from tests.integration.render_checks import pixels

BUILDER = Path(__file__).with_name("outside_scene.py")
FRAMES = ("0001.png", "0002.png", "0003.png")


@pytest.fixture
def project(tmp_path) -> dict:
    """The built project and the manifest entries a submitter would make for it."""
    proj, elsewhere = tmp_path / "proj", tmp_path / "elsewhere"
    subprocess.run(
        [sys.executable, str(BUILDER), str(proj), str(elsewhere)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    shot, lib = str(proj / "shots/shot.blend"), str(proj / "lib/props.blend")
    seq = [str(proj / f"seq/tex_{n:04d}.png") for n in (1, 2, 3)]
    found = [
        Found(
            shot,
            "//../textures/checker.png",
            str(proj / "textures/checker.png"),
            (str(proj / "textures/checker.png"),),
            "image",
            "IMchecker.png",
        ),
        Found(
            shot,
            str(elsewhere / "abs.png"),
            str(elsewhere / "abs.png"),
            (str(elsewhere / "abs.png"),),
            "image",
            "IMabs.png",
        ),
        Found(shot, "//../lib/props.blend", lib, (lib,), "library", "LIprops.blend"),
        Found(
            lib,
            "//textures/props.png",
            str(proj / "lib/textures/props.png"),
            (str(proj / "lib/textures/props.png"),),
            "image",
            "IMprops.png",
        ),
        Found(
            shot,
            "//../seq/tex_####.png",
            str(proj / "seq/tex_####.png"),
            tuple(seq),
            "image-sequence",
            "IMtex_0001.png",
        ),
    ]
    return {"root": tmp_path, "proj": proj, "elsewhere": elsewhere, "shot": shot, "found": found}


def upload(bucket: str, project: dict, *, leave_out: str | None = None) -> tuple[str, str]:
    """Put the project into the store (without `leave_out`); returns (-i URI, --deps URI)."""
    s3 = boto3.client("s3")
    plan = plan_layout(project["shot"], project["found"])
    files, missing = [], []
    for layout, local in sorted(plan.files.items()):
        if layout == leave_out:
            continue
        data = Path(local).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        s3.put_object(Bucket=bucket, Key=f"blendbatch-cas/sha256/{sha}", Body=data)
        files.append({"layout": layout, "sha256": sha, "size": len(data)})
    blend = Path(project["shot"]).read_bytes()
    blend_sha = hashlib.sha256(blend).hexdigest()
    s3.put_object(Bucket=bucket, Key=f"blendbatch-cas/sha256/{blend_sha}", Body=blend)
    paths = [p for p in plan.paths if p["layout"] != leave_out]
    missing = [p for p in plan.paths if p["layout"] == leave_out]
    manifest = json.dumps(
        {
            "format": 1,
            "blend": {"layout": plan.blend, "sha256": blend_sha, "size": len(blend)},
            "files": files,
            "paths": paths,
            "missing": missing,
        },
        sort_keys=True,
    ).encode()
    key = f"blendbatch-cas/deps/{hashlib.sha256(manifest).hexdigest()}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=manifest)
    return f"s3://{bucket}/blendbatch-cas/sha256/{blend_sha}", f"s3://{bucket}/{key}"


def render_from_empty_folder(folder: Path, *args: str) -> subprocess.CompletedProcess:
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_BATCH_JOB_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "entrypoint", "render", "-f", "3", "--threads", "1", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def rename_away(project: dict) -> None:
    for key in ("proj", "elsewhere"):
        project[key].rename(project[key].with_name(project[key].name + "-away"))


def s3_frames(bucket: str, prefix: str) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/frames/").get("Contents", [])
    return {
        item["Key"].rpartition("/")[2]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listed
    }


def test_outside_files_travel_and_the_frames_equal_a_local_render(bucket, project):
    local = project["root"] / "local-out"
    done = render_from_empty_folder(
        project["root"] / "here", "-i", project["shot"], "-o", str(local)
    )
    assert done.returncode == 0, done.stderr
    blend_uri, deps_uri = upload(bucket, project)
    rename_away(project)

    done = render_from_empty_folder(
        project["root"] / "empty", "-i", blend_uri, "--deps", deps_uri, "-o", f"s3://{bucket}/out"
    )

    assert done.returncode == 0, done.stderr
    got = s3_frames(bucket, "out")
    assert sorted(got) == list(FRAMES)
    for name in FRAMES:
        assert pixels(got[name]) == pixels((local / "frames" / name).read_bytes()), name
    # The sequence really changes per frame (a frame-1-only copy would pass the above if it
    # were the same everywhere).
    assert pixels(got["0001.png"]) != pixels(got["0003.png"])
    manifest = json.loads(
        boto3.client("s3")
        .get_object(Bucket=bucket, Key="out/manifests/slice-00000.json")["Body"]
        .read()
    )
    run = manifest["runs"][-1]
    assert run["missing"] == []
    assert [(r["kind"], r["layout"]) for r in run["remapped"]] == [
        ("image", f"_abs{project['elsewhere']}/abs.png")
    ]


def test_a_missing_texture_is_exit_2_naming_it_before_any_frame(bucket, project):
    blend_uri, deps_uri = upload(bucket, project, leave_out="textures/checker.png")
    rename_away(project)

    done = render_from_empty_folder(
        project["root"] / "empty", "-i", blend_uri, "--deps", deps_uri, "-o", f"s3://{bucket}/out"
    )

    assert done.returncode == 2, done.stderr
    assert "image 'checker.png'" in done.stderr
    assert "textures/checker.png" in done.stderr
    assert "--allow-missing" in done.stderr
    assert boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="out/").get("KeyCount") == 0


def test_allow_missing_renders_and_records_the_missing_file(bucket, project):
    blend_uri, deps_uri = upload(bucket, project, leave_out="textures/checker.png")
    rename_away(project)

    done = render_from_empty_folder(
        project["root"] / "empty",
        "-i",
        blend_uri,
        "--deps",
        deps_uri,
        "-o",
        f"s3://{bucket}/out",
        "--allow-missing",
    )

    assert done.returncode == 0, done.stderr
    assert "WARNING" in done.stderr and "checker.png" in done.stderr
    manifest = json.loads(
        boto3.client("s3")
        .get_object(Bucket=bucket, Key="out/manifests/slice-00000.json")["Body"]
        .read()
    )
    missing = manifest["runs"][-1]["missing"]
    assert [(m["kind"], m["name"]) for m in missing] == [("image", "checker.png")]
    assert missing[0]["path"].endswith("project/textures/checker.png")


def test_a_store_without_the_object_is_exit_2_saying_upload_again(bucket, project):
    blend_uri, deps_uri = upload(bucket, project)
    s3 = boto3.client("s3")
    sha = hashlib.sha256((project["elsewhere"] / "abs.png").read_bytes()).hexdigest()
    s3.delete_object(Bucket=bucket, Key=f"blendbatch-cas/sha256/{sha}")

    done = render_from_empty_folder(
        project["root"] / "empty", "-i", blend_uri, "--deps", deps_uri, "-o", f"s3://{bucket}/out"
    )

    assert done.returncode == 2, done.stderr
    assert "the dependency store lacks _abs/" in done.stderr
    assert "--upload" in done.stderr


def test_an_input_replaced_after_submission_is_exit_2(bucket, project):
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="in/shot.blend", Body=Path(project["shot"]).read_bytes())
    etag = s3.head_object(Bucket=bucket, Key="in/shot.blend")["ETag"]
    s3.put_object(Bucket=bucket, Key="in/shot.blend", Body=b"another file")

    done = render_from_empty_folder(
        project["root"] / "empty",
        "-i",
        f"s3://{bucket}/in/shot.blend",
        "--input-etag",
        etag,
        "-o",
        f"s3://{bucket}/out",
    )

    assert done.returncode == 2, done.stderr
    assert "was replaced after the job was submitted" in done.stderr
    assert "submit again" in done.stderr


def test_run_stops_on_a_missing_file_and_shows_a_childs_lines_when_allowed(project):
    project["elsewhere"].rename(project["root"] / "gone")
    args = ("run", "-i", project["shot"], "-o", str(project["root"] / "out"), "-f", "3")

    # The submitter's own check stops the run before any child starts
    done = run_cli(*args, "-n", "shot")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{project['elsewhere']}/abs.png" in done.stderr
    assert "--allow-missing" in done.stderr
    assert "render-00000" not in done.stdout

    # With --allow-missing the child renders, and what it said about the file is on the console
    allowed = run_cli(*args, "-n", "allowed", "--allow-missing")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    shown = [ln for ln in allowed.stdout.splitlines() if "render-00000:" in ln]
    assert any(
        f"rendering without the missing image 'abs.png': {project['elsewhere']}/abs.png" in ln
        for ln in shown
    ), allowed.stdout
