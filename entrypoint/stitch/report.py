"""The job report page, written after the video is delivered.

The video is the product and the report only describes it, so the report comes after the video
and never costs it: a report that cannot be made or written is a WARNING in the stitch's log,
and the stitch still succeeds (retrying it would encode everything again for one page).
"""

from __future__ import annotations

import json
import logging

from entrypoint import report, reportpage
from entrypoint.framecheck import FrameProblems
from entrypoint.layout import REPORT_NAME, estimate_keys, preview_names
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
    made: str,
) -> None:
    """Put `report.html` next to the video (one atomic write); log, never raise, on failure.
    `made` says how the video was made (joined from the children's segments, or why every
    frame was encoded)."""
    try:
        poster, sheet = preview_names(video_name)
        per_hour, source = _price(dest, manifests)
        model = report.build(
            manifests,
            files={"video": video_name, "poster": poster, "sheet": sheet},
            video={
                "name": video_name,
                "made": made,
                "codec": codec,
                "crf": "the codec's default" if settings.crf is None else settings.crf,
                "size": f"{size[0] + size[0] % 2}x{size[1] + size[1] % 2}",
                "allow_gaps": settings.allow_gaps,
            },
            gaps=problems.describe() if problems else None,
            price_per_hour=per_hour,
            price_source=source,
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


def _price(dest: Location, manifests: list[dict]) -> tuple[float | None, str | None]:
    """The price of a child-hour from this render's stored estimate, if there is one (the
    render's fingerprint: the one its manifests share)."""
    prints = {m.get("fingerprint") for m in manifests}
    if len(prints) != 1 or None in prints:
        return None, None
    (fingerprint,) = prints
    json_key, _ = estimate_keys(fingerprint)
    if dest.size(json_key) is None:
        return None, None
    try:
        document = json.loads(dest.get_bytes(json_key))
    except ValueError:
        log.warning("the estimate %s is not JSON: no cost on the report", json_key)
        return None, None
    return report.price_of(document, fingerprint)
