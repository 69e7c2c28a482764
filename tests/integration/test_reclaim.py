"""Reclaimed machines: render children killed at random points (SIGTERM and SIGKILL) during
`blendbatch run`, then retried as Batch would, lose nothing and redo nothing that was done."""

from __future__ import annotations

import json
import os
import random
import shlex
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

from entrypoint.video import probe
from tests.conftest import ROOT, run_entrypoint
from tests.integration.render_checks import is_whole

FRAMES, PER_JOB = 20, 5


def children_of(pid: int) -> list[int]:
    """Child processes, whichever thread started them (each thread lists its own)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def array_index_of(pid: int) -> int | None:
    """The slice a render child is on: the log its output goes to (logs/render-NNNNN.log);
    a child takes slices one after another, so its environment does not say."""
    try:
        name = Path(os.readlink(f"/proc/{pid}/fd/1")).name
    except OSError:
        return None
    if name.startswith("render-") and name.endswith(".log"):
        return int(name.removeprefix("render-").removesuffix(".log"))
    return None


def frames_of(root: Path, index: int) -> list[Path]:
    """The finished frames of child `index` (it owns frames index*5+1 .. index*5+5)."""
    names = {f"{f:04d}.png" for f in range(index * PER_JOB + 1, (index + 1) * PER_JOB + 1)}
    folder = root / "frames"
    return [p for p in folder.iterdir() if p.name in names] if folder.is_dir() else []


def recorded_frames(root: Path) -> dict[int, int]:
    """How many times the manifests record each frame as rendered."""
    renders: dict[int, int] = {}
    for path in (root / "manifests").glob("*.json"):
        for record in json.loads(path.read_text())["rendered"]:
            renders[record["frame"]] = renders.get(record["frame"], 0) + 1
    return renders


class FrameWatcher(threading.Thread):
    """Looks at every file under a final frame name, all the time, and notes any partial one."""

    def __init__(self, folder: Path) -> None:
        super().__init__(daemon=True)
        self.folder, self.stop, self.partial, self.looks = folder, threading.Event(), [], 0

    def run(self) -> None:
        while not self.stop.is_set():
            for path in self.folder.glob("[0-9]*.png") if self.folder.is_dir() else []:
                try:
                    data = path.read_bytes()
                except FileNotFoundError:
                    continue
                self.looks += 1
                if not is_whole(data):
                    self.partial.append(path.name)
            time.sleep(0.02)


def test_killed_children_retried_lose_nothing_and_redo_nothing(make_blend, tmp_path):
    # Given a 20-frame scene whose frames take a noticeable time, run in 4 slices, 2 at a time
    blend = make_blend(end=FRAMES, width=256, height=144, samples=16)
    root = tmp_path / "shot"
    watcher = FrameWatcher(root / "frames")
    watcher.start()
    run = subprocess.Popen(
        [sys.executable, "-m", "submitter", "run", "-i", str(blend), "-o", str(tmp_path),
         "-n", "shot", "-f", str(PER_JOB), "--workers", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip

    # When children are killed at random points of their slice (after 0-3 of their 5 frames),
    # alternately with SIGTERM and SIGKILL
    chance = random.Random(11)
    killed: dict[int, str] = {}
    targets: dict[int, int] = {}
    signals = [signal.SIGTERM, signal.SIGKILL]
    deadline = time.monotonic() + 240
    while run.poll() is None and time.monotonic() < deadline and len(killed) < 3:
        for pid in children_of(run.pid):
            index = array_index_of(pid)
            if index is None or index in killed:
                continue
            target = targets.setdefault(index, chance.randint(0, 3))
            if len(frames_of(root, index)) < target:
                continue
            sig = signals[len(killed) % 2]
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                continue
            killed[index] = f"{sig.name} after {target} frames"
        time.sleep(0.01)
    output, _ = run.communicate(timeout=300)
    assert len(killed) == 3, f"only {killed} were killed: the scene rendered too fast"
    assert run.returncode == 1, output  # retryable: Batch would run the killed children again
    # A SIGKILL between a frame's rename and its manifest record leaves a frame nothing vouches
    # for: the retry renders it again (design.md, resume). Every recorded frame must stay.
    recorded = {f"{f:04d}.png" for f in recorded_frames(root)}
    before = {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in (root / "frames").glob("*.png")
        if p.name in recorded
    }

    # And Batch retries the killed children (attempt 2) with the very command they ran (the
    # first line of each child's log), then the stitch runs
    for index in sorted(killed):
        first = (root / "logs" / f"render-{index:05d}.log").read_text().splitlines()[0]
        words = shlex.split(first.removeprefix("$ "))
        command = words[words.index("entrypoint") + 1 :]
        retry = run_entrypoint(*command, index=index, env={"AWS_BATCH_JOB_ATTEMPT": "2"})
        assert retry.returncode == 0, retry.stderr[-3000:]
    stitch = run_entrypoint("stitch", "-i", str(root), "-o", str(root))
    assert stitch.returncode == 0, stitch.stderr[-3000:]
    watcher.stop.set()
    watcher.join()

    # Then no partial frame was ever seen under a final name
    assert watcher.looks > 0
    assert watcher.partial == []
    # and no frame complete before the retry was rendered again
    after = {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (root / "frames").glob("*.png")
    }
    assert {name: after[name] for name in before} == before
    renders = recorded_frames(root)
    assert max(renders.values()) == 1, renders
    # and the video holds every frame
    facts = probe(root / "output.mp4")
    assert (facts.frames, facts.rate) == (FRAMES, Fraction(24))
    redone = FRAMES - len(before)
    print(
        f"reclaim figures: killed {killed}; frames done before the retry {len(before)}, "
        f"rendered by the retries {redone}; watcher looked at frames {watcher.looks} times"
    )
