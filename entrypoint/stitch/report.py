"""The job report page, written after the video is delivered.

The video is the product and the report only describes it, so the report comes after the video
and never costs it: a report that cannot be made or written is a WARNING in the stitch's log,
and the stitch still succeeds (retrying it would encode everything again for one page).
"""

from __future__ import annotations

import logging

from entrypoint import report, reportpage
from entrypoint.framecheck import FrameProblems
from entrypoint.layout import REPORT_NAME, preview_names
from entrypoint.settings import StitchSettings
from entrypoint.storage import Location

log = logging.getLogger(__name__)


def write_report(
    dest: Location,
    manifests: list[dict],
    settings: StitchSettings,
    codec: str,
    video_name: str,
    problems: FrameProblems,
    size: tuple[int, int],
) -> None:
    """Put `report.html` next to the video (one atomic write); log, never raise, on failure."""
    try:
        poster, sheet = preview_names(video_name)
        model = report.build(
            manifests,
            files={"video": video_name, "poster": poster, "sheet": sheet},
            video={
                "name": video_name,
                "codec": codec,
                "crf": "the codec's default" if settings.crf is None else settings.crf,
                "size": f"{size[0] + size[0] % 2}x{size[1] + size[1] % 2}",
                "allow_gaps": settings.allow_gaps,
            },
            gaps=problems.describe() if problems else None,
        )
        dest.put_bytes(reportpage.render(model).encode("utf-8"), REPORT_NAME)
    except Exception as error:  # noqa: BLE001 - see the module docstring
        log.warning(
            "the report page %s was not written (%s: %s); the video is delivered. Run the "
            "stitch again to make it",
            dest.child_uri(REPORT_NAME),
            type(error).__name__,
            error,
        )
        return
    log.info("report: %s", dest.child_uri(REPORT_NAME))
