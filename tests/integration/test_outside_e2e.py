"""A project with outside files, end to end: `submit --upload` to moto, the recorded jobs replayed
from empty folders with the project renamed away, frames equal to a local `blendbatch run` pixel
by pixel and showing each file's own pixels; missing files stop submit and the child; a
re-submit moves no dependency bytes; a changed texture re-renders on the next `run`.

The project (tests/depscenes.py) is seen from above, each file in its own patch of the frame:
a relative, an absolute, a sequence and a UDIM texture, a plane linked from //lib/props.blend
whose texture is relative to the library, a cube moved by an Alembic cache, text in a font file.
Its sequencer strips, sound and movie clip are checked and carried but do not show in the frames
(the scene renders its 3D view, `use_sequencer` off).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from submitter import aws, cas
from submitter.cli import app
from tests.conftest import ROOT, run_cli
from tests.depfixtures import DepProject, build_dep_project
from tests.integration.render_checks import pixels, stamps

FRAMES = ("0001.png", "0002.png", "0003.png")
MAGENTA = (255, 0, 255)  # what Blender renders for an image it cannot load
WRITES = ("PutObject", "UploadPart", "CreateMultipartUpload")


def pixel(image: tuple[int, int, bytes], x: float, y: float) -> tuple[int, int, int]:
    """The RGB of the scene point (x, y) seen from above (8 px a unit, (0, 0) at the centre)."""
    width, height, raw = image
    bpp = len(raw) // (width * height)
    at = (int((2.25 - y) * 8) * width + int((x + 4) * 8)) * bpp
    return tuple(raw[at : at + 3])


def close(got: tuple[int, ...], want: tuple[int, ...]) -> bool:
    return all(abs(a - b) <= 2 for a, b in zip(got, want, strict=True))


def texel(path: Path) -> tuple[int, int, int]:
    """The colour of a one-colour texture file."""
    return pixel(pixels(path.read_bytes()), -4, 2.25)


def assert_shows_every_file(frames: dict[str, bytes], project: DepProject) -> None:
    """Each patch shows its file's colour (a missing image would be magenta, a missing library
    or cache black)."""
    folder = project.folder
    for number, name in enumerate(FRAMES, start=1):
        image = pixels(frames[name])
        width, height, raw = image
        bpp = len(raw) // (width * height)
        assert MAGENTA not in {tuple(raw[i : i + 3]) for i in range(0, len(raw), bpp)}, name
        expected = {
            (-3, 1): texel(folder / "textures" / "checker.png"),
            (-1, 1): texel(project.shared / "abs.png"),
            (1, 1): texel(folder / "seq" / f"tex_{number:04d}.png"),
            (2.6, 1): texel(folder / "udim" / "tile.1001.png"),
            (3.4, 1): texel(folder / "udim" / "tile.1002.png"),
            (-3, -1): texel(folder / "lib" / "textures" / "props.png"),
        }
        for (x, y), colour in expected.items():
            assert close(pixel(image, x, y), colour), (name, x, y, pixel(image, x, y), colour)
        # The cached cube moves one unit up the frame from frame 1 to frame 3 (the cache's
        # motion; without the cache it would stay at -1.5).
        orange = (255, 188, 0)
        assert close(pixel(image, -1, -1.5), orange) == (number == 1), name
        assert close(pixel(image, -1, -0.5), orange) == (number == 3), name


def local_render(project: DepProject, out: Path) -> dict[str, bytes]:
    done = run_cli("run", "-i", str(project.blend), "-o", str(out), "-f", "2", "-n", "shot")
    assert done.returncode == 0, done.stdout + done.stderr
    return {name: (out / "shot" / "frames" / name).read_bytes() for name in FRAMES}


def submit_args(
    bucket: str, queue: dict, blend: Path, name: str = "shot", per_job: str = "2"
) -> list[str]:
    return [
        "submit", "-i", f"s3://{bucket}/scenes/shot.blend", "-o", f"s3://{bucket}/renders",
        "-f", per_job, "-n", name, "-q", queue["queue"], "-d", queue["job_definition"],
        "--upload", str(blend), "--json",
    ]  # fmt: skip


def submitted(stdout: str) -> tuple[dict, dict]:
    """(render job, stitch job) as Batch recorded them."""
    ids = [j["jobId"] for j in json.loads(stdout)]
    jobs = {j["jobId"]: j for j in boto3.client("batch").describe_jobs(jobs=ids)["jobs"]}
    return jobs[ids[0]], jobs[ids[1]]


def replay(job: dict, index: int | None, folder: Path) -> subprocess.CompletedProcess:
    """Run a recorded job's command as the container would, from an empty working folder."""
    folder.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_BATCH_JOB_")}
    env["PYTHONPATH"] = str(ROOT)
    if index is not None:
        env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(index)
    return subprocess.run(
        [sys.executable, "-m", "entrypoint", *job["container"]["command"]],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def keys(bucket: str, prefix: str = "") -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def s3_frames(bucket: str, prefix: str) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    return {
        key.rpartition("/")[2]: s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        for key in keys(bucket, f"{prefix}/frames/")
    }


def job_names(queue: str) -> list[str]:
    batch = boto3.client("batch")
    states = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
    return [
        job["jobName"]
        for state in states
        for job in batch.list_jobs(jobQueue=queue, jobStatus=state)["jobSummaryList"]
    ]


@pytest.fixture
def project(tmp_path) -> DepProject:
    """A private copy: these tests rename it away or change it."""
    return build_dep_project(tmp_path / "made")


def test_jobs_replayed_without_the_project_render_the_local_frames(
    tmp_path, project, bucket, batch_queue
):
    # Given the frames of a local render
    local = local_render(project, tmp_path / "local")
    assert_shows_every_file(local, project)

    # When the project is submitted with --upload and then renamed away on this machine
    done = run_cli(*submit_args(bucket, batch_queue, project.blend))
    assert done.returncode == 0, done.stderr
    render, stitch = submitted(done.stdout)
    (tmp_path / "made").rename(tmp_path / "away")

    # and Batch's recorded jobs run from empty folders
    for index in range(render["arrayProperties"]["size"]):
        child = replay(render, index, tmp_path / f"child-{index}")
        assert child.returncode == 0, child.stderr[-3000:]
        assert "missing" not in child.stderr.lower(), child.stderr[-3000:]
    joined = replay(stitch, None, tmp_path / "stitch")
    assert joined.returncode == 0, joined.stderr[-3000:]

    # Then every frame equals the local render, pixel by pixel, and the video is there
    got = s3_frames(bucket, "renders/shot")
    assert sorted(got) == list(FRAMES)
    for name in FRAMES:
        assert pixels(got[name]) == pixels(local[name]), name
    assert "renders/shot/output.mp4" in keys(bucket, "renders/shot/")
    # and the manifest says the absolute texture was remapped and nothing was missing
    runs = [
        run
        for key in keys(bucket, "renders/shot/manifests/")
        for run in aws.get_json(f"s3://{bucket}/{key}")["runs"]
    ]
    assert [r["missing"] for r in runs] == [[], []]
    assert {(m["kind"], m["written"]) for r in runs for m in r["remapped"]} == {
        ("image", str(project.shared / "abs.png"))
    }


def test_a_file_missing_at_submit_stops_everything(make_dep_project, bucket, batch_queue):
    # Given the project without the texture its linked library uses
    project = make_dep_project(delete="lib/textures/props.png")

    done = run_cli(*submit_args(bucket, batch_queue, project.blend, name="gone"))

    # Then exit 2 names the file and who refers to it; nothing is uploaded or submitted
    assert done.returncode == 2, done.stdout + done.stderr
    assert "//textures/props.png" in done.stderr
    assert str(project.folder / "lib" / "textures" / "props.png") in done.stderr
    assert "IMprops.png" in done.stderr and "props.blend" in done.stderr
    assert "--allow-missing" in done.stderr
    assert "Traceback" not in done.stderr
    assert keys(bucket) == []
    assert "gone-render" not in job_names(batch_queue["queue"])


def test_a_file_missing_from_the_store_stops_the_child(tmp_path, project, bucket, batch_queue):
    done = run_cli(*submit_args(bucket, batch_queue, project.blend))
    assert done.returncode == 0, done.stderr
    render, _ = submitted(done.stdout)
    # When the store loses the UDIM's second tile after the submission
    tile = project.folder / "udim" / "tile.1002.png"
    boto3.client("s3").delete_object(
        Bucket=bucket, Key=cas.object_key(cas.sha256_file(tile))
    )  # fmt: skip
    (tmp_path / "made").rename(tmp_path / "away")

    child = replay(render, 0, tmp_path / "child")

    # Then the child exits 2 naming it, and no frame reaches the output
    assert child.returncode == 2, child.stderr[-3000:]
    assert "udim/tile.1002.png" in child.stderr
    assert "--upload" in child.stderr
    assert "Traceback" not in child.stderr
    assert keys(bucket, "renders/shot/frames/") == []


class Writes:
    """Counts the S3 write requests this process's submitter client sends, by key."""

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.client = aws.client("s3")

    def __call__(self, params, model, **_):
        if model.name in WRITES:
            self.keys[params["Key"]] += 1

    def __enter__(self) -> Writes:
        self.client.meta.events.register("before-parameter-build.s3", self)
        return self

    def __exit__(self, *exc) -> None:
        self.client.meta.events.unregister("before-parameter-build.s3", self)


def test_an_unchanged_project_submitted_again_moves_no_dependency_bytes(
    project, bucket, batch_queue
):
    args = submit_args(bucket, batch_queue, project.blend)
    with Writes() as first:
        done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    # The .blend, its 15 outside files (the clip's 3 are the strip's: sent once), the manifest
    stored = [k for k in first.keys if k.startswith(cas.STORE_DIR + "/")]
    assert sorted(Counter(stored).values()) == [1] * 17, sorted(first.keys)

    with Writes() as again:
        done = CliRunner().invoke(app, args)

    assert done.exit_code == 0, done.output
    assert [k for k in again.keys if k.startswith(cas.STORE_DIR + "/")] == []
    assert "uploaded 0 files (0.0 MB)" in done.stderr


def test_a_changed_texture_renders_again_and_an_unchanged_run_renders_nothing(tmp_path, project):
    out = tmp_path / "out"
    local_render(project, out)
    before = stamps(out / "shot")

    # When one texture changes and the same run is made again
    shutil.copy(
        project.folder / "udim" / "tile.1002.png", project.folder / "textures" / "checker.png"
    )
    done = run_cli("run", "-i", str(project.blend), "-o", str(out), "-f", "2", "-n", "shot")

    # Then it says so before rendering, and every frame is new and shows the new texture
    assert done.returncode == 0, done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert "3 frames from an earlier render with other settings will be replaced" in said
    assert said.index("will be replaced") < said.index("render-00000")
    after = stamps(out / "shot")
    assert all(after[name][1] != before[name][1] for name in FRAMES)
    new = texel(project.folder / "textures" / "checker.png")
    assert all(close(pixel(pixels(after[n][0]), -3, 1), new) for n in FRAMES)

    # When nothing changes, nothing is rendered again
    done = run_cli("run", "-i", str(project.blend), "-o", str(out), "-f", "2", "-n", "shot")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "will be replaced" not in done.stdout + done.stderr
    assert stamps(out / "shot") == after


def test_status_shows_what_the_children_remapped_and_rendered_without(
    tmp_path, make_dep_project, bucket, batch_queue
):
    # Given a project whose relative texture is gone, submitted with --allow-missing
    project = make_dep_project(delete="textures/checker.png")
    args = submit_args(bucket, batch_queue, project.blend, name="lost", per_job="3")
    done = run_cli(*args, "--allow-missing")
    assert done.returncode == 0, done.stderr
    render, _ = submitted(done.stdout)

    # When its one child has rendered
    child = replay(render, None, tmp_path / "child")
    assert child.returncode == 0, child.stderr[-3000:]

    # Then status says which path the child pointed elsewhere and what it rendered without
    shown = run_cli("status", render["jobId"])
    assert shown.returncode == 0, shown.stderr
    assert (
        "  outside files: 1 remapped; 1 missing (allowed): textures/checker.png (image 'checker')"
        in shown.stdout.splitlines()
    ), shown.stdout
