"""Where things live under an output URI: the names the image, the submitter and users share.

Pure: imports no bpy, boto3 or ffmpeg. Names never depend on the array index, so a retried
or re-planned child writes exactly the same keys (design.md).
"""

from __future__ import annotations

from entrypoint.frames import frame_name

FRAMES_DIR = "frames"
MANIFESTS_DIR = "manifests"
# `submit` records both job ids here, so `status`/`watch` find the stitch from the render id.
JOBS_DIR = "jobs"
# `blendbatch run` keeps each local child's output here.
LOGS_DIR = "logs"
# Frames carry this S3 tag: the stack's lifecycle rule expires them by it (their keys share
# no prefix a rule could match); videos and manifests are kept.
FRAME_TAGS = {"blendbatch": "frame"}


def frame_key(frame: int, extension: str = "png") -> str:
    return f"{FRAMES_DIR}/{frame_name(frame, extension)}"


def manifest_key(index: int) -> str:
    return f"{MANIFESTS_DIR}/slice-{index:05d}.json"


def manifest_index(name: str) -> int | None:
    """The slice index of a manifest file name (`slice-00003.json` -> 3), None if not one."""
    digits = name.removeprefix("slice-").removesuffix(".json")
    ok = name.startswith("slice-") and name.endswith(".json") and digits.isdigit()
    return int(digits) if ok and digits.isascii() else None


def job_record_key(render_job_id: str) -> str:
    return f"{JOBS_DIR}/{render_job_id}.json"


# The video and its previews, next to frames/ (docs/design.md's output table).
VIDEO_STEM = "output"  # + the codec's suffix, unless `--name` names the video
POSTER_SUFFIX = ".poster.jpg"
SHEET_SUFFIX = ".sheet.jpg"
# Reserved for what comes next, so those changes add no new naming rule:
SEGMENTS_DIR = "segments"  # each render child's own encode of its slice
PROXIES_DIR = "proxies"  # display-referred PNG stand-ins for EXR frames
PASSES_DIR = "passes"  # files of File Output nodes the user opted in to
REPORT_NAME = "report.html"  # one per output, fixed name


def preview_names(video_name: str) -> tuple[str, str]:
    """`shot.mp4` -> (`shot.poster.jpg`, `shot.sheet.jpg`): the previews follow the video."""
    stem = video_name.rsplit(".", 1)[0]
    return stem + POSTER_SUFFIX, stem + SHEET_SUFFIX


def segment_key(index: int, extension: str) -> str:
    return f"{SEGMENTS_DIR}/slice-{index:05d}.{extension}"


def proxy_key(frame: int) -> str:
    return f"{PROXIES_DIR}/{frame_name(frame, 'png')}"
