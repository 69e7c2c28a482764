"""What each command was asked to do, parsed once at the edge (`__main__`).

Pure: imports no bpy, boto3 or ffmpeg.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from entrypoint.overrides import Overrides


@dataclass(frozen=True)
class RenderSettings:
    input_uri: str
    output_uri: str
    frames_per_job: int
    total_frames: int | None
    index: int
    attempt: int
    host: str
    narrow_start: int | None = None
    narrow_end: int | None = None
    overrides: Overrides = field(default_factory=Overrides)
    allow_scripts: bool = False
    # Outside files (docs/design.md "Outside files"): the dependency manifest, the input's
    # pinned ETag, what the pixels' inputs are (sha256:/etag:), render with files missing.
    deps_uri: str | None = None
    input_etag: str | None = None
    # What the submitter hashed (the .blend and its outside files); None: hash the .blend here.
    content_id: str | None = None
    allow_missing: bool = False
    # Opt-ins for what the .blend does beyond its frames (docs/design.md "Scene checks"): keep
    # its compositor File Output nodes (their files go under passes/), render unbaked
    # simulations (each child simulates from its own first frame).
    allow_file_output: bool = False
    allow_unbaked: bool = False
    allow_older_blender: bool = False
    # Seconds a SIGTERM waits for the frame in flight before abandoning it. AWS Batch (ECS)
    # sends SIGKILL 30 s after SIGTERM by default: finish uploads and the manifest before that.
    stop_grace: float = 20.0
    # The stitch's encode (`--codec`, `--crf`): the child encodes its slice into a segment with
    # it. None: no segment (an older submitter, or frames only).
    codec: str | None = None
    crf: int | None = None


@dataclass(frozen=True)
class StitchSettings:
    input_uri: str
    output_uri: str
    codec: str = "h264"
    crf: int | None = None
    name: str | None = None
    allow_gaps: bool = False
    # Encode every frame even when the children's segments could be joined.
    reencode: bool = False
