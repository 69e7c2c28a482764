"""What made a slice's frames, and the check each frame passes before it leaves the machine.

Resume and stitch compare the fingerprint, the Blender version and the `checked` mark that
every frame record carries (design.md, resume).
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

from entrypoint import allowances
from entrypoint.errors import TransientFailure
from entrypoint.fingerprint import file_content_id, render_fingerprint
from entrypoint.framecheck import Unreadable, check_whole
from entrypoint.render import blender
from entrypoint.settings import RenderSettings

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Provenance:
    """What made this attempt's frames: resume and stitch compare it frame by frame."""

    content_id: str
    fingerprint: str
    blender: str


def provenance(settings: RenderSettings, blend: Path) -> Provenance:
    content_id = settings.content_id
    if content_id is None:
        content_id = file_content_id(blend)
        log.info(
            "content id %s is the .blend's own hash: files outside it (textures, libraries, "
            "caches) are not covered, so a changed texture does not make frames re-render",
            content_id,
        )
    fingerprint = render_fingerprint(
        content_id,
        settings.overrides,
        **allowances.of(settings),
    )
    log.info("render fingerprint %s", fingerprint)
    return Provenance(content_id, fingerprint, blender.version())


def check_frame_file(frame: int, path: Path, extension: str) -> int:
    """The size of a whole frame file; an incomplete one is deleted and never uploaded."""
    data = path.read_bytes()
    try:
        check_whole(data, extension)
    except Unreadable as error:
        free = shutil.disk_usage(path.parent).free  # before the cut file is deleted
        path.unlink(missing_ok=True)
        raise TransientFailure(
            f"frame {frame}: Blender wrote an incomplete {extension} file ({error}, "
            f"{len(data)} bytes) into {path.parent}, whose disk has {free} bytes free; nothing "
            "was uploaded for it and it was deleted. Give the job more disk (a larger volume "
            "for its temporary folder, or TMPDIR on a bigger disk); the job is retried"
        ) from None
    return len(data)
