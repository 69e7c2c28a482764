"""Where things live under an output URI: the names the image, the submitter and users share.

Pure: imports no bpy, boto3 or ffmpeg. Names never depend on the array index, so a retried
or re-planned child writes exactly the same keys (design.md).
"""

from __future__ import annotations

from entrypoint.errors import BadInput
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
PASSES_DIR = "passes"  # files of File Output nodes the user opted in to (--allow-file-output)
REPORT_NAME = "report.html"  # one per output, fixed name
# `blendbatch estimate` keeps its numbers and scout frames here, by render fingerprint.
ESTIMATES_DIR = "estimates"
SCOUTS_SUFFIX = ".scouts"  # `estimate --on-batch`: the scout jobs' own outputs and their record


def preview_names(video_name: str) -> tuple[str, str]:
    """`shot.mp4` -> (`shot.poster.jpg`, `shot.sheet.jpg`): the previews follow the video."""
    stem = video_name.rsplit(".", 1)[0]
    return stem + POSTER_SUFFIX, stem + SHEET_SUFFIX


def estimate_keys(fingerprint: str) -> tuple[str, str]:
    """(the estimate's JSON, its contact sheet of scout frames) for one render fingerprint."""
    stem = f"{ESTIMATES_DIR}/{fingerprint}"
    return f"{stem}.json", stem + SHEET_SUFFIX


def scout_root(fingerprint: str, frame: int) -> str:
    """Where a scout job of `blendbatch estimate --on-batch` renders its one frame (its own
    `frames/` and `manifests/`), apart from the render's frames: `estimates/<fp>.scouts/0001`."""
    return f"{ESTIMATES_DIR}/{fingerprint}{SCOUTS_SUFFIX}/{frame_name(frame, 'x')[:-2]}"


def scouts_record_key(fingerprint: str) -> str:
    """The scout jobs submitted for one fingerprint, so running the estimate again collects
    them instead of paying for new ones."""
    return f"{ESTIMATES_DIR}/{fingerprint}{SCOUTS_SUFFIX}.json"


def segment_key(index: int, extension: str) -> str:
    return f"{SEGMENTS_DIR}/slice-{index:05d}.{extension}"


def pass_key(frame: int, rel: str) -> str:
    """A File Output node's file, by the frame that wrote it: `passes/0001/<node>/<file>`."""
    return f"{PASSES_DIR}/{frame_name(frame, 'x')[:-2]}/{rel}"


def proxy_key(frame: int) -> str:
    return f"{PROXIES_DIR}/{frame_name(frame, 'png')}"


# --- how long names may be --------------------------------------------------------------------
MAX_KEY_BYTES = 1024  # S3's longest key
# One path segment: Linux file systems' NAME_MAX. The child saves the .blend and each frame under
# its own name, the stitch the video and previews, `blendbatch run` everything.
MAX_NAME_BYTES = 255
# The extremes of every name's variable part: Blender's lowest frame (-1048574, the longest
# number), the last of 10,000 array children, a Batch job id (a 36-character UUID), the longest
# frame and video suffixes.
_LOWEST_FRAME = -1_048_574
_LAST_INDEX = 9_999
_JOB_ID = "0" * 36
_FRAME_SUFFIX = "jpeg"
_VIDEO_SUFFIX = "webm"


def longest_names(video_name: str | None = None) -> tuple[str, ...]:
    """The longest name of each kind the output holds, relative to `<output>/<name>`."""
    names = [
        frame_key(_LOWEST_FRAME, _FRAME_SUFFIX),
        manifest_key(_LAST_INDEX),
        job_record_key(_JOB_ID),
        segment_key(_LAST_INDEX, _VIDEO_SUFFIX),
        proxy_key(_LOWEST_FRAME),
        REPORT_NAME,
        *estimate_keys("0" * 32),
    ]
    if video_name:
        names += [video_name, *preview_names(video_name)]
    return tuple(names)


def normal_location(uri: str) -> str:
    """`s3://B//x/` -> `s3://B/x`: one spelling of an S3 prefix (runs of '/' collapsed, none at
    either end), so the submitter's job record and the children's frames get the same keys.
    A local path is returned as given."""
    if not uri.startswith("s3://"):
        return uri
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    parts = [part for part in prefix.split("/") if part]
    return "s3://" + "/".join([bucket, *parts])


def check_output_names(root: str, video_name: str | None = None) -> None:
    """Refuse (BadInput, with the numbers) an output under `root` (`<output>/<name>`) whose
    names would not fit a file name or an S3 key."""
    if video_name is not None and _bytes(video_name) > MAX_NAME_BYTES:
        raise BadInput(
            f"the video name {_short(video_name, 40)} is {_bytes(video_name)} bytes but a file "
            f"name holds at most {MAX_NAME_BYTES} bytes: give a shorter video name "
            "(--video-name, or stitch's --name)"
        )
    root = normal_location(root)
    if not root.startswith("s3://"):
        for part in root.split("/"):
            if _bytes(part) > MAX_NAME_BYTES:
                raise BadInput(
                    f"the output folder name {_short(part, 40)} is {_bytes(part)} bytes but a "
                    f"file name holds at most {MAX_NAME_BYTES} bytes: use a shorter -o or -n"
                )
        return
    prefix = root[len("s3://") :].partition("/")[2]
    longest = max(longest_names(video_name), key=_bytes)
    size = _bytes(prefix) + 1 + _bytes(longest)
    if size > MAX_KEY_BYTES:
        raise BadInput(
            f"the output prefix {_short(root, 60)} is {_bytes(prefix)} bytes, so keys such as "
            f".../{longest} would be {size} bytes but S3 keys hold at most {MAX_KEY_BYTES}: "
            "use a shorter -o prefix or -n name"
        )


def check_input_name(uri: str, name: str) -> None:
    """The .blend `uri` is saved locally under `name`: it must fit a file name."""
    if _bytes(name) > MAX_NAME_BYTES:
        raise BadInput(
            f"the .blend's name in {_short(uri, 60)} is {_bytes(name)} bytes but a file name "
            f"holds at most {MAX_NAME_BYTES} bytes (the child saves it under that name): "
            "rename the object"
        )


def _bytes(text: str) -> int:
    return len(text.encode())


def _short(text: str, keep: int) -> str:
    return text if len(text) <= keep else text[:keep] + "..."
