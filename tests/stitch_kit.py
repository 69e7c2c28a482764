"""Render outputs for stitch tests without Blender: tiny PNG frames and the children's manifests.

Each frame is a flat gray whose level encodes its position in the frame list, so a test can
decode one frame of the video and tell which rendered frame it shows.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from entrypoint.frames import frame_name
from entrypoint.layout import frame_key, manifest_key
from entrypoint.manifest import slice_manifest
from entrypoint.video import ffmpeg_exe


def gray_of(position: int) -> int:
    """The gray level of the frame at `position` in the frame list (distinct for 0-12)."""
    return 16 + (position * 17) % 224


def png_bytes(width: int, height: int, gray: int) -> bytes:
    """A whole RGB PNG of one flat gray."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\0" + bytes([gray]) * 3 * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def render_output(
    frames: list[int],
    *,
    width: int = 17,
    height: int = 11,
    fps: int = 24,
    fps_base: float = 1.0,
    per_slice: int = 100,
    extension: str = "png",
    fingerprints: dict[int, str] | None = None,
) -> dict[str, bytes]:
    """Relative key -> bytes of what the render children leave: frames and manifests.

    `fingerprints` gives frames' records a render fingerprint (by frame number).
    """
    files = {
        f"frames/{frame_name(f, extension)}": png_bytes(width, height, gray_of(i))
        for i, f in enumerate(frames)
    }
    scene = {"name": "Scene", "frames": frames, "fps": fps, "fps_base": fps_base}
    for index in range(0, -(-len(frames) // per_slice)):
        mine = tuple(frames[index * per_slice : (index + 1) * per_slice])
        files[manifest_key(index)] = slice_manifest(
            index=index,
            scene=scene,
            slice_frames=mine,
            extension=extension,
            rendered=[
                _record(f, (fingerprints or {}).get(f))
                | {"bytes": len(files[frame_key(f, extension)])}
                for f in mine
            ],
            skipped=[],
            settings={},
        )
    return files


def _record(frame: int, fingerprint: str | None) -> dict:
    if fingerprint is None:
        return {"frame": frame}
    return {"frame": frame, "fingerprint": fingerprint, "blender": "5.0.1", "checked": True}


def write_local(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def write_s3(bucket: str, prefix: str, files: dict[str, bytes]) -> None:
    import boto3
    from botocore.config import Config

    s3 = boto3.client("s3", config=Config(max_pool_connections=16))
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda item: s3.put_object(Bucket=bucket, Key=f"{prefix}/{item[0]}", Body=item[1]),
                files.items(),
            )
        )


def frame_gray(video: Path, position: int) -> int:
    """The mean luma (full range) of frame `position` of `video`, decoded."""
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            str(video),
            "-vf",
            f"select=eq(n\\,{position}),crop=8:8:0:0,scale=1:1:out_range=pc,format=gray",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-",
        ],  # fmt: skip
        capture_output=True,
        check=True,
    ).stdout
    return raw[0]


def noisy_frames(folder: Path, count: int, size: tuple[int, int], fps: int, noise: int) -> None:
    """`count` PNGs 0001.png... of moving content with render-like noise (ffmpeg's testsrc2),
    for benchmarks whose frames need not be rendered."""
    folder.mkdir(parents=True)
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
         "-i", f"testsrc2=size={size[0]}x{size[1]}:rate={fps},noise=alls={noise}:allf=t",
         "-frames:v", str(count), "-start_number", "1", str(folder / "%04d.png")],
        check=True,
    )  # fmt: skip


def make_segments(root: Path, codec: str = "h264", crf: int | None = None, only=None) -> None:
    """Each slice's segment (of a local output), made as its render child makes it once its
    frames are all in the output (entrypoint/render/segment.py), its record in the manifest."""
    import json
    import tempfile
    from types import SimpleNamespace

    from entrypoint.layout import MANIFESTS_DIR
    from entrypoint.render.segment import SegmentMaker
    from entrypoint.settings import RenderSettings
    from entrypoint.storage import parse_location

    output = parse_location(str(root))
    for path in sorted((root / MANIFESTS_DIR).glob("slice-*.json")):
        manifest = json.loads(path.read_bytes())
        if only is not None and manifest["index"] not in only:
            continue

        def record(segment: dict, path: Path = path, manifest: dict = manifest) -> None:
            path.write_text(json.dumps(manifest | {"segment": segment}))

        job = SimpleNamespace(
            scene=manifest["scene"], frames=manifest["slice"], rendered=manifest["rendered"],
            proxies=False, extension=manifest["extension"], output=output,
            record_segment=record,
        )  # fmt: skip
        settings = RenderSettings(
            input_uri="x.blend", output_uri=str(root), frames_per_job=len(job.frames),
            total_frames=None, index=manifest["index"], attempt=1, host="test",
            codec=codec, crf=crf,
        )  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            SegmentMaker(settings, job, Path(tmp)).make()
