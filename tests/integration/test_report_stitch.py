"""The report page the stitch writes next to the video, and `blendbatch report` finding it."""

import json
import re
from pathlib import Path

import boto3

from tests.conftest import run_cli, run_entrypoint
from tests.report_kit import EVIL, output_files
from tests.stitch_kit import write_local, write_s3


def stitched(root: Path, *extra: str, files: dict | None = None):
    write_local(root, files or output_files())
    return run_entrypoint("stitch", "-i", str(root), "-o", str(root), *extra)


def test_the_stitch_writes_the_report_next_to_the_video(tmp_path):
    # Given 12 frames from 3 children (a reclaim, a failure, a user's hostile scene name)
    root = tmp_path / "shot"

    # When stitch makes a video named by --name
    result = stitched(root, "--name", "take 2")

    # Then report.html lies next to the video and shows it, its contact sheet and every frame
    assert result.returncode == 0, result.stderr
    page = (root / "report.html").read_text()
    assert 'src="take%202.mp4"' in page and (root / "take 2.mp4").is_file()
    assert 'src="take%202.sheet.jpg"' in page and (root / "take 2.sheet.jpg").is_file()
    assert page.count('<rect class="bar"') == 12
    assert 'data-total="renders">13<' in page
    assert EVIL not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "frames were made by different Blender versions" in page
    assert f"report: {root / 'report.html'}" in result.stderr
    assert not [p.name for p in root.iterdir() if p.name.startswith(".")]  # no partial file


def test_allowed_gaps_are_a_warning_on_the_page(tmp_path):
    # Given the same output without frames 11 and 12
    files = output_files()
    del files["frames/0011.png"], files["frames/0012.png"]

    # When stitch holds the last good frame in their place
    result = stitched(tmp_path / "shot", "--allow-gaps", files=files)

    # Then the page says which frames the video does not hold
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "shot" / "report.html").read_text()
    assert "--allow-gaps: frames missing 11-12 are NOT in the video" in page


def test_a_report_that_cannot_be_written_keeps_the_video(tmp_path):
    # Given an output where report.html cannot be written (a folder holds its name)
    root = tmp_path / "shot"
    (root / "report.html").mkdir(parents=True)

    # When stitch runs
    result = stitched(root)

    # Then the video is delivered, the stitch succeeds, and its log says what went wrong
    assert result.returncode == 0, result.stderr
    assert (root / "output.mp4").stat().st_size > 0
    assert re.search(r"WARNING .*report page .*report\.html was not written", result.stderr)
    assert "the video is delivered" in result.stderr


def test_report_opens_a_local_output_and_fetches_one_from_s3(bucket, tmp_path):
    # Given a stitched output in a folder and the same one in S3
    local = tmp_path / "shot"
    assert stitched(local).returncode == 0
    write_s3(bucket, "renders/shot", output_files())
    uri = f"s3://{bucket}/renders/shot"
    assert run_entrypoint("stitch", "-i", uri, "-o", uri).returncode == 0

    # When the user asks for each report without opening a browser
    here = run_cli("report", str(local), "--no-open")
    there = run_cli("report", uri + "/", "--no-open", "--to", str(tmp_path / "got"))

    # Then the local page is named where it is
    assert here.returncode == 0, here.stderr
    assert here.stdout == f"{local / 'report.html'}\n"
    # And the S3 page comes down with exactly the files it shows, beside it
    assert there.returncode == 0, there.stderr
    assert there.stdout == f"{tmp_path / 'got' / 'report.html'}\n"
    got = sorted(p.name for p in (tmp_path / "got").iterdir())
    assert got == ["output.mp4", "output.poster.jpg", "output.sheet.jpg", "report.html"]
    s3 = boto3.client("s3")
    video = s3.get_object(Bucket=bucket, Key="renders/shot/output.mp4")["Body"].read()
    assert (tmp_path / "got" / "output.mp4").read_bytes() == video


def test_report_without_a_page_says_what_to_do(bucket, tmp_path):
    # Given outputs without a report (the stitch has not run)
    write_s3(bucket, "renders/shot", {"frames/0001.png": b"x"})
    (tmp_path / "shot").mkdir()

    # When the user asks for their reports
    s3 = run_cli("report", f"s3://{bucket}/renders/shot", "--no-open", "--to", str(tmp_path / "g"))
    local = run_cli("report", str(tmp_path / "shot"), "--no-open")
    nowhere = run_cli("report", str(tmp_path / "absent"), "--no-open")

    # Then each is a one-line bad-input error naming the fix
    for result in (s3, local, nowhere):
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "no report.html in s3://" in s3.stderr and "stitch" in s3.stderr
    assert "no report.html in " in local.stderr
    assert "no such folder" in nowhere.stderr


def test_report_finds_the_output_from_a_job_id(make_blend, bucket, batch_queue, tmp_path):
    # Given a submitted pipeline whose stitch has written its output
    result = run_cli(
        "submit", "--upload", str(make_blend(start=1, end=12)), "--bucket", bucket, "-f", "4",
        "-n", "shot", "-q", batch_queue["queue"], "-d", batch_queue["job_definition"], "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    render_id = json.loads(result.stdout)[0]["jobId"]
    write_s3(bucket, "renders/shot", output_files())
    uri = f"s3://{bucket}/renders/shot"
    assert run_entrypoint("stitch", "-i", uri, "-o", uri).returncode == 0

    # When the user asks for the report by the render job's id
    got = run_cli("report", render_id, "--no-open", "--to", str(tmp_path / "got"))

    # Then it is the page of that output
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "got" / "report.html").read_bytes() == boto3.client("s3").get_object(
        Bucket=bucket, Key="renders/shot/report.html"
    )["Body"].read()


def test_run_prints_the_report_at_the_end(make_blend, tmp_path):
    # Given a 2-frame scene
    blend = make_blend(end=2)

    # When it runs locally
    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path), "-f", "1", "-n", "shot")

    # Then its last lines name the page, which shows both frames as rendered
    assert result.returncode == 0, result.stdout + result.stderr
    page = tmp_path / "shot" / "report.html"
    assert result.stdout.rstrip().splitlines()[-1] == f"report: {page}"
    text = page.read_text()
    assert text.count('<rect class="bar"') == 2
    assert 'data-total="renders">2<' in text
