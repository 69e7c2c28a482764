"""What each command was asked to do, parsed once at the edge (`__main__`).

Pure: imports no bpy, boto3 or ffmpeg.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderSettings:
    input_uri: str
    output_uri: str
    frames_per_job: int
    total_frames: int | None
    index: int
    attempt: int
    host: str


@dataclass(frozen=True)
class StitchSettings:
    input_uri: str
    output_uri: str
    codec: str = "h264"
    crf: int | None = None
    name: str | None = None
    allow_gaps: bool = False
