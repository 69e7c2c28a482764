"""`blendbatch run` with nothing said about children or threads: one child takes the slices one
after another; each slice keeps its own log and manifest, and Ctrl-C and resume still work."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tests.integration.render_checks import is_whole


def frames_in(root: Path) -> dict[str, bytes]:
    folder = root / "frames"
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")}


def renders_recorded(root: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for path in (root / "manifests").glob("*.json"):
        for rec in json.loads(path.read_text())["rendered"]:
            counts[rec["frame"]] = counts.get(rec["frame"], 0) + 1
    return counts


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def test_one_child_renders_every_slice_each_with_its_own_log_and_a_rerun_renders_nothing(
    make_blend, tmp_path
):
    # Given a 3-frame scene, one frame per slice, and no word about children or threads
    blend = make_blend(end=3)
    args = ("run", "-i", str(blend), "-o", str(tmp_path), "-n", "shot", "-f", "1")

    # When it runs
    result = run_cli(*args)

    # Then the choice is said, every frame and the video are there
    assert result.returncode == 0, result.stdout + result.stderr
    cores = len(os.sched_getaffinity(0))
    plural = "core" if cores == 1 else "cores"
    threads = "thread" if cores == 1 else "threads"
    assert (
        f"rendering 3 frames on {cores} {plural}: 1 child x {cores} {threads}, 3 slices of 1 "
        "(picked: children, threads)"
    ) in result.stdout
    root = tmp_path / "shot"
    assert sorted(frames_in(root)) == ["0001.png", "0002.png", "0003.png"]
    assert (root / "output.mp4").is_file()
    # and each slice has its log, starting with the one-slice command said on the console,
    # holding its own frame and no other
    for index in range(3):
        text = (root / "logs" / f"render-{index:05d}.log").read_text()
        command = text.splitlines()[0].removeprefix("$ ")
        assert f"  render-{index:05d}: {command}" in result.stdout.splitlines()
        assert shlex.split(command)[0] == f"AWS_BATCH_JOB_ARRAY_INDEX={index}"
        said = [line.split(": ", 1)[1] for line in text.splitlines() if "slicejob: frame " in line]
        assert {line.split(":")[0] for line in said} == {f"frame {index + 1}"}
        assert f"  render-{index:05d} exited 0 after " in result.stdout
    assert sorted(p.name for p in (root / "manifests").glob("*.json")) == [
        "slice-00000.json",
        "slice-00001.json",
        "slice-00002.json",
    ]

    # When the same command runs again
    before = frames_in(root)
    again = run_cli(*args)

    # Then nothing is rendered again
    assert again.returncode == 0, again.stdout + again.stderr
    assert frames_in(root) == before
    assert renders_recorded(root) == {1: 1, 2: 1, 3: 1}


def test_ctrl_c_in_a_child_with_slices_to_go_starts_none_of_them_and_a_rerun_resumes(
    make_blend, tmp_path
):
    # Given 6 frames that take a moment, 2 per slice, all in one child with every core
    blend = make_blend(end=6, width=192, height=108, samples=8)
    root = tmp_path / "shot"
    argv = [sys.executable, "-m", "submitter", "run", "-i", str(blend), "-o", str(tmp_path),
            "-n", "shot", "-f", "2"]  # fmt: skip
    run = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, start_new_session=True)  # fmt: skip

    # When the user presses Ctrl-C once the second slice has a finished frame
    seen: set[int] = set()
    deadline = time.monotonic() + 240
    while not {"0001.png", "0002.png", "0003.png"} <= set(frames_in(root)):
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the render never got there"
        seen |= children_of(run.pid)
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=240)

    # Then one render child did it all, it stopped, the third slice never started,
    # and the finished frames are kept whole
    assert len(seen) == 1, seen
    kept = frames_in(root)
    assert run.returncode == 130, out + err
    assert f"stopped: {len(kept)}/6 frames kept; run the same command to resume" in err
    assert 3 <= len(kept) < 6
    assert all(is_whole(data) for data in kept.values())
    assert not (root / "logs" / "render-00002.log").exists()
    assert sorted(renders_recorded(root)) == sorted(int(n.split(".")[0]) for n in kept)

    # When the same command runs again
    again = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)

    # Then the kept frames were not rendered again and the video has all 6
    assert again.returncode == 0, again.stdout + again.stderr
    after = frames_in(root)
    assert {name: after[name] for name in kept} == kept
    assert len(after) == 6
    assert max(renders_recorded(root).values()) == 1
    assert (root / "output.mp4").is_file()
