"""Ctrl-C while `blendbatch run` still prepares the project, before any child starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT

# A texture the scene keeps (fake user) by a relative path, so `run` hashes it before rendering.
WITH_TEXTURE = """
import bpy, sys
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
image = bpy.data.images.load(sys.argv[3])
image.use_fake_user = True
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[2], relative_remap=True)
"""
BIG = 2 * 1024**3  # sparse: hashing it takes seconds, the disk holds nothing


def scene_with_big_texture(blend: Path, folder: Path) -> Path:
    texture = folder / "big.png"
    texture.write_bytes(b"\x89PNG\r\n\x1a\n")
    out = folder / "shot.blend"
    subprocess.run([sys.executable, "-c", WITH_TEXTURE, str(blend), str(out), str(texture)],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    os.truncate(texture, BIG)
    return out


def has_open(pid: int, path: Path) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(path) for fd in fds.iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_ctrl_c_while_hashing_stops_with_130_and_one_line(make_blend, tmp_path):
    # Given a run that is hashing a big outside file, before any child starts
    project = tmp_path / "project"
    project.mkdir()
    blend = scene_with_big_texture(make_blend(end=2), project)
    run = subprocess.Popen(
        [sys.executable, "-m", "submitter", "run", "-i", str(blend), "-o", str(tmp_path / "out"),
         "-n", "shot", "-f", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
        # A terminal's Ctrl-C finds SIGINT at its default; a suite started in the background
        # of a script inherits it ignored, and Python keeps an inherited SIG_IGN.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not has_open(run.pid, project / "big.png"):
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "run never started hashing"
        time.sleep(0.02)

    # When the user presses Ctrl-C (the terminal signals the group)
    os.killpg(run.pid, signal.SIGINT)
    began = time.monotonic()
    out, err = run.communicate(timeout=120)

    # Then it exits 130 at once with one line, no traceback, and nothing was rendered
    assert run.returncode == 130, out + err
    assert err.strip().splitlines()[-1] == "stopped before rendering: nothing rendered"
    assert "Aborted!" not in out + err and "Traceback" not in out + err
    assert time.monotonic() - began < 5
    assert not (tmp_path / "out" / "shot" / "frames").exists()
