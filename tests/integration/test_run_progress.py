"""`blendbatch run` as a person sees it: a live bar in a terminal, plain lines in a log, a
summary at the end; and Ctrl-C, which stops the children and keeps every finished frame."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tests.integration.render_checks import is_whole

ESCAPE = "\x1b"


def run_in_terminal(*args: str, timeout: float = 300) -> tuple[int, str]:
    """`blendbatch ...` with a pseudo-terminal as its stdout and stderr: (exit code, screen)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "submitter", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm-256color"},
    )
    os.close(slave)
    seen = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the command and its children are done
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    return process.wait(timeout=10), seen.decode(errors="replace")


def test_run_in_a_terminal_draws_a_bar_and_ends_with_a_summary(make_blend, tmp_path):
    # Given a 4-frame scene
    blend = make_blend(end=4)

    # When it runs in a terminal, 2 frames per child
    code, screen = run_in_terminal("run", "-i", str(blend), "-o", str(tmp_path), "-f", "2",
                                   "-n", "shot", "--workers", "2")  # fmt: skip

    # Then the terminal showed a drawn bar by frames and the children by state
    assert code == 0, screen
    assert ESCAPE in screen
    assert "━" in screen
    assert "4/4" in screen
    assert "children: 0 waiting, 0 running, 2 done, 0 failed" in screen
    # and the summary: frames, wall time, frame times, where the video and previews are
    root = tmp_path / "shot"
    assert "frames: 4/4 in " in screen
    assert "frame time: min " in screen and "(4 frames)" in screen
    assert f"video: {root / 'output.mp4'}" in screen
    assert f"{root / 'output.poster.jpg'}  {root / 'output.sheet.jpg'}" in screen
    assert (root / "output.mp4").is_file()


def test_run_into_a_log_prints_plain_lines_without_control_codes(make_blend, tmp_path):
    blend = make_blend(end=4)
    result = run_cli("run", "-i", str(blend), "-o", str(tmp_path), "-f", "2", "-n", "shot")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ESCAPE not in result.stdout + result.stderr
    assert "  frames 4/4" in result.stdout
    assert "children: 0 waiting, 0 running, 2 done, 0 failed" in result.stdout
    assert "frames: 4/4 in " in result.stdout
    assert "frame time: min " in result.stdout
    assert f"video: {tmp_path / 'shot' / 'output.mp4'}" in result.stdout


def frames_in(root: Path) -> dict[str, tuple[int, int]]:
    """Finished frames: name -> (inode, mtime), which a second render would change."""
    folder = root / "frames"
    if not folder.is_dir():
        return {}
    return {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.iterdir()
        if not p.name.startswith(".")
    }


def renders_recorded(root: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for path in (root / "manifests").glob("*.json"):
        for rec in json.loads(path.read_text())["rendered"]:
            counts[rec["frame"]] = counts.get(rec["frame"], 0) + 1
    return counts


def start_run(blend: Path, out: Path, *extra: str) -> subprocess.Popen:
    """`blendbatch run` in a process group of its own, as a shell runs a command."""
    return subprocess.Popen(
        [sys.executable, "-m", "submitter", "run", "-i", str(blend), "-o", str(out),
         "-n", "shot", "-f", "4", "--workers", "2", *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


def wait_for(condition, process: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the render never got there"
        time.sleep(0.05)


def test_ctrl_c_stops_the_children_keeps_finished_frames_and_a_rerun_resumes(make_blend, tmp_path):
    # Given a 8-frame scene whose frames take a moment, rendering in 2 children of 4 frames
    blend = make_blend(end=8, width=192, height=108, samples=8)
    root = tmp_path / "shot"
    run = start_run(blend, tmp_path)

    # When the user presses Ctrl-C once a frame is finished (the terminal signals the group)
    wait_for(lambda: len(frames_in(root)) >= 1, run)
    os.killpg(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=240)

    # Then the run waited for its children, said how many frames it kept, and exits 130
    kept = frames_in(root)
    assert run.returncode == 130, out + err
    assert f"stopped: {len(kept)}/8 frames kept; run the same command to resume" in err
    assert "Traceback" not in out + err
    assert 1 <= len(kept) < 8
    for name in kept:
        assert is_whole((root / "frames" / name).read_bytes()), name
    assert sorted(renders_recorded(root)) == sorted(int(n.split(".")[0]) for n in kept)
    # and no child went on rendering behind its back
    logs = [(root / "logs" / f"render-0000{i}.log").read_text() for i in (0, 1)]
    assert any("SIGTERM" in log for log in logs), logs
    assert not (root / "output.mp4").exists()

    # When the same command runs again
    again = subprocess.run(start_run(blend, tmp_path).args, cwd=ROOT, capture_output=True,
                           text=True, timeout=300)  # fmt: skip

    # Then the kept frames were not rendered again and the video has all 8
    assert again.returncode == 0, again.stdout + again.stderr
    after = frames_in(root)
    assert {name: after[name] for name in kept} == kept
    assert len(after) == 8
    assert max(renders_recorded(root).values()) == 1
    assert (root / "output.mp4").is_file()


def test_a_second_ctrl_c_abandons_the_frames_in_flight(make_blend, tmp_path):
    # Given frames that take a while, and a run that has finished one frame and started another
    blend = make_blend(end=8, width=320, height=180, samples=48)
    root = tmp_path / "shot"
    run = start_run(blend, tmp_path)
    log = root / "logs" / "render-00000.log"

    def rendering_after_a_finished_frame() -> bool:
        said = log.read_text().splitlines() if log.exists() else []
        ours = [line for line in said if ": frame " in line]
        return any(" s, " in line for line in ours) and ours[-1].endswith(": rendering")

    wait_for(rendering_after_a_finished_frame, run)

    # When the user presses Ctrl-C twice
    os.killpg(run.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=120)

    # Then the frame in flight was abandoned, not finished, and the finished ones are kept
    assert run.returncode == 130, out + err
    assert "SIGTERM again: abandoning the frame in flight" in log.read_text()
    manifest = json.loads((root / "manifests" / "slice-00000.json").read_text())
    assert manifest["runs"][-1]["outcome"] == "terminated (the frame in flight was abandoned)"
    kept = frames_in(root)
    assert f"stopped: {len(kept)}/8 frames kept; run the same command to resume" in err
    for name in kept:
        assert is_whole((root / "frames" / name).read_bytes()), name
