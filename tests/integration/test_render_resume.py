"""A retried child renders only what is missing; SIGTERM never leaves a partial frame."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_entrypoint
from tests.integration.render_checks import frame_files, is_whole, manifest, stamps


@pytest.fixture(scope="module")
def slow_blend(make_blend) -> Path:
    """Frames that take far longer than a signal takes to arrive, so one sent when the child
    logs that frame 2 is rendering lands while it renders."""
    return make_blend(width=96, height=54, samples=160, end=3)


def render_args(blend: Path, out: Path, *extra: str) -> list[str]:
    return ["render", "-i", str(blend), "-o", str(out), "-f", "4", *extra]


# What the child logs once a frame is in flight (a SIGTERM from then on lands during that frame).
RENDERING = r"\bframe {}: rendering$"


class StreamedRender:
    """A render child whose output (Blender's and the log) is read line by line as it streams."""

    def __init__(self, args: list[str], prefix: list[str] | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_BATCH_JOB_")}
        self.process = subprocess.Popen(
            [*(prefix or []), sys.executable, "-m", "entrypoint", *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.ended = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def wait_for_line(self, pattern: str, timeout: float = 120) -> None:
        def seen() -> bool:
            return any(re.search(pattern, line) for line in self.lines)

        with self._changed:
            self._changed.wait_for(lambda: seen() or self.ended, timeout)
            assert seen(), f"never logged {pattern!r}:\n" + "".join(self.lines[-30:])

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """Exit code and everything the child printed."""
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        return code, "".join(self.lines)


def no_leftovers(out: Path) -> list[str]:
    return [p.name for p in out.rglob("*") if p.name.startswith(".") or p.stat().st_size == 0]


def test_frames_already_in_the_output_are_not_rendered_again(make_blend, tmp_path):
    # Given frame 2 of a 4-frame slice is already in the output
    blend = make_blend(end=4)
    out = tmp_path / "out"
    first = run_entrypoint(
        *render_args(blend, out, "--end", "2"), env={"AWS_BATCH_JOB_ATTEMPT": "1"}
    )
    assert first.returncode == 0, first.stderr
    (out / "frames" / "0001.png").unlink()
    before = stamps(out)

    # When the child renders the whole slice (its second attempt)
    second = run_entrypoint(*render_args(blend, out), env={"AWS_BATCH_JOB_ATTEMPT": "2"})

    # Then frame 2 kept its bytes and timestamp, the others appeared
    assert second.returncode == 0, second.stderr
    assert stamps(out)["0002.png"] == before["0002.png"]
    assert frame_files(out) == ["0001.png", "0002.png", "0003.png", "0004.png"]
    assert "frame 2: already in the output, skipped" in second.stderr
    # and the manifest keeps both attempts: frame 1 was rendered twice, frame 2 once
    record = manifest(out)
    counts = {f: [r["frame"] for r in record["rendered"]].count(f) for f in (1, 2, 3, 4)}
    assert counts == {1: 2, 2: 1, 3: 1, 4: 1}
    assert [(r["attempt"], r["rendered"], r["skipped"]) for r in record["runs"]] == [
        (1, [1, 2], []),
        (2, [1, 3, 4], [2]),
    ]
    assert all(r["outcome"] == "complete" for r in record["runs"])


def test_a_frame_with_another_size_than_recorded_is_rendered_again(make_blend, tmp_path):
    # Given a frame in the output that is not the file the manifest recorded
    blend = make_blend(end=2)
    out = tmp_path / "out"
    assert run_entrypoint(*render_args(blend, out)).returncode == 0
    (out / "frames" / "0002.png").write_bytes(b"not the rendered frame")

    # When the slice runs again
    again = run_entrypoint(*render_args(blend, out))

    # Then frame 2 is rendered again (frame 1 is not)
    assert again.returncode == 0, again.stderr
    assert manifest(out)["runs"][-1]["rendered"] == [2]
    assert is_whole((out / "frames" / "0002.png").read_bytes())


def test_resume_reads_what_is_in_s3(make_blend, bucket, tmp_path):
    import boto3

    # Given frame 1 already uploaded by an earlier attempt
    blend = make_blend(end=3)
    out = f"s3://{bucket}/shot"
    first = run_entrypoint("render", "-i", str(blend), "-o", out, "-f", "3", "--end", "1")
    assert first.returncode == 0, first.stderr
    s3 = boto3.client("s3")
    etag = s3.head_object(Bucket=bucket, Key="shot/frames/0001.png")["ETag"]

    # When the slice runs again
    second = run_entrypoint("render", "-i", str(blend), "-o", out, "-f", "3")

    # Then only frames 2 and 3 were rendered and uploaded
    assert second.returncode == 0, second.stderr
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="shot/frames/")["Contents"]]
    assert keys == ["shot/frames/0001.png", "shot/frames/0002.png", "shot/frames/0003.png"]
    assert s3.head_object(Bucket=bucket, Key="shot/frames/0001.png")["ETag"] == etag
    assert "frame 1: already in the output, skipped" in second.stderr


def test_sigterm_finishes_the_frame_in_flight_then_exits_143(slow_blend, tmp_path):
    # Given a slice rendering its second frame
    out = tmp_path / "out"
    child = StreamedRender(render_args(slow_blend, out))
    child.wait_for_line(RENDERING.format(2))

    # When Batch sends SIGTERM while frame 2 renders
    child.process.send_signal(signal.SIGTERM)
    code, stderr = child.finish()

    # Then frame 2 is finished and uploaded, frame 3 never started, exit 143
    assert code == 143, stderr
    assert frame_files(out) == ["0001.png", "0002.png"]
    assert all(is_whole((out / "frames" / n).read_bytes()) for n in frame_files(out))
    assert no_leftovers(out) == []
    assert manifest(out)["runs"][-1]["outcome"] == "terminated"

    # When the retried child runs
    before = stamps(out)
    retry = run_entrypoint(*render_args(slow_blend, out))

    # Then it renders only frame 3
    assert retry.returncode == 0, retry.stderr
    assert manifest(out)["runs"][-1]["rendered"] == [3]
    assert {k: v for k, v in stamps(out).items() if k != "0003.png"} == before


def test_sigterm_abandons_a_frame_that_overruns_the_grace_period(slow_blend, tmp_path):
    # Given a slice rendering its second frame with no grace for the frame in flight
    out = tmp_path / "out"
    child = StreamedRender(render_args(slow_blend, out, "--stop-grace", "0"))
    child.wait_for_line(RENDERING.format(2))

    # When SIGTERM arrives while frame 2 renders
    child.process.send_signal(signal.SIGTERM)
    code, stderr = child.finish()

    # Then frame 2 is dropped (nothing partial anywhere), frame 1 is kept, exit 143
    assert code == 143, stderr
    assert frame_files(out) == ["0001.png"]
    assert is_whole((out / "frames" / "0001.png").read_bytes())
    assert no_leftovers(out) == []
    run = manifest(out)["runs"][-1]
    assert run["rendered"] == [1]
    assert "abandoned" in run["outcome"]

    # and a re-run completes the slice rendering only frames 2 and 3
    retry = run_entrypoint(*render_args(slow_blend, out))
    assert retry.returncode == 0, retry.stderr
    assert manifest(out)["runs"][-1]["rendered"] == [2, 3]


def test_sigterm_is_handled_when_python_is_pid_1(slow_blend, tmp_path):
    # Given the render running as PID 1 of its own PID namespace, as in the container
    out = tmp_path / "out"
    namespace = ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child"]
    child = StreamedRender(render_args(slow_blend, out), prefix=namespace)
    child.wait_for_line(RENDERING.format(2))
    pid = child.process.pid
    (python_pid,) = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()

    # When it gets SIGTERM (PID 1 ignores signals it has no handler for)
    os.kill(int(python_pid), signal.SIGTERM)
    code, stderr = child.finish()

    # Then it stops after the frame in flight with exit 143
    assert code == 143, stderr
    assert frame_files(out) == ["0001.png", "0002.png"]
