"""The report page in a real browser (headless Chromium, Debian's `chromium`): it plays its
video, shows one bar per frame and the totals, logs no error, loads nothing but its own files,
and a script in a scene name stays text."""

import dataclasses
import json
import shutil
from pathlib import Path

from submitter import estimate
from tests.browser import load
from tests.conftest import run_entrypoint
from tests.report_kit import EVIL, output_files
from tests.stitch_kit import write_local

SHOWN = Path("/tmp/report-screenshot.png")  # a copy for people to look at

PROBES = {
    "bars": "document.querySelectorAll('#chart rect.bar').length",
    "bar_frames": "[...document.querySelectorAll('#chart rect.bar')].map(b => +b.dataset.frame)",
    "video_src": "document.getElementById('video').getAttribute('src')",
    "video_loaded": "document.getElementById('video').currentSrc",
    "video_width": "document.getElementById('video').videoWidth",
    "video_error": "document.getElementById('video').error === null",
    "sheet_width": "document.getElementById('sheet').naturalWidth",
    "totals": "Object.fromEntries([...document.querySelectorAll('[data-total]')]"
    ".map(td => [td.dataset.total, td.textContent]))",
    "heading": "document.querySelector('h1').textContent",
    "scripts": "document.scripts.length",
    "warnings": "document.querySelectorAll('#warnings .warn').length",
    "timeline_runs": "document.querySelectorAll('#timeline .run').length",
    # The page's own script (allowed by its hash) plays the video from a clicked bar's frame.
    "seek_to_frame_7": "(() => { document.querySelectorAll('#chart rect.bar')[6]"
    ".dispatchEvent(new MouseEvent('click', {bubbles: true}));"
    " return document.getElementById('video').currentTime; })()",
}
READY = (
    "document.getElementById('video').readyState >= 2 && document.getElementById('sheet').complete"
)


def own_files(visit, folder: Path) -> list[str]:
    """Requests other than the page's folder and the browser's own `data:` control icons."""
    mine = folder.resolve().as_uri() + "/"
    return [url for url in visit.requests if not url.startswith((mine, "data:"))]


def test_the_report_in_a_browser(tmp_path):
    # Given an output: 12 frames from 3 children, one reclaimed, one failed once,
    # from a scene named like a script
    root = tmp_path / "shot"
    write_local(root, output_files())
    # ... and a stored estimate of the same render (fingerprint), priced from the table
    price = estimate.price_for(8, price_per_hour=None, instance="c6i.2xlarge", market="on-demand")
    stored = {"format": 1, "fingerprint": "f" * 32,
              "projection": {"vcpus": 8, "price": dataclasses.asdict(price)}}  # fmt: skip
    (root / "estimates").mkdir()
    (root / "estimates" / f"{'f' * 32}.json").write_text(json.dumps(stored))
    result = run_entrypoint("stitch", "-i", str(root), "-o", str(root))
    assert result.returncode == 0, result.stderr

    # When Chromium opens report.html from the disk
    shot = tmp_path / "report.png"
    visit = load(root / "report.html", PROBES, tmp_path / "profile", shot, settle=READY)

    # Then nothing went wrong and nothing but the page's own files was asked for
    assert visit.console == [] and visit.exceptions == [] and visit.failed == []
    assert visit.dialogs == []  # alert(1) from the scene name never ran
    assert own_files(visit, root) == []
    assert root.resolve().as_uri() + "/output.mp4" in visit.requests
    values = visit.values
    # And the chart has one bar per frame, in frame order
    assert values["bars"] == 12 and values["bar_frames"] == list(range(1, 13))
    # And the video next to the page plays; the contact sheet shows
    assert values["video_src"] == "output.mp4"
    assert values["video_loaded"] == root.resolve().as_uri() + "/output.mp4"
    assert values["video_width"] == 64 and values["video_error"] is True
    assert values["sheet_width"] > 0
    # And the totals are the manifests', the cost priced by the render's stored estimate
    totals = values["totals"]
    assert (totals["frames"], totals["renders"], totals["wall"]) == ("12", "13", "40.00 s")
    assert totals["render-hours"] == "0.0066 h (23.70 s)"
    assert (totals["retries"], totals["reclaims"], totals["blender"]) == ("2", "1", "5.0.0, 5.0.1")
    assert totals["cost"] == "$0.0041 = 0.0119 child-hours x $0.34 a child-hour"
    assert totals["price"] == (
        f"8 vCPUs a child, c6i.2xlarge on-demand at $0.340/h ({estimate.PRICES_NOTE}) "
        "(from estimate ffffffff...)"
    )
    assert (
        f"as of {estimate.PRICES_AS_OF}" in totals["price"] and "prices change" in totals["price"]
    )
    # And the scene's name is shown as the text it is
    assert values["heading"].startswith(EVIL) and values["scripts"] == 1
    assert values["warnings"] == 4 and values["timeline_runs"] == 5
    assert abs(values["seek_to_frame_7"] - 6 / 24) < 1e-3
    assert shot.stat().st_size > 10_000
    shutil.copyfile(shot, SHOWN)


def test_the_browser_check_sees_requests_and_errors(tmp_path):
    # Given a page that asks the network for an image and logs an error (what the report must
    # never do), so the checks above are known to catch both
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><body><img src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('broken')</script></body></html>"
    )

    # When Chromium opens it
    visit = load(page, {}, tmp_path / "profile", tmp_path / "bad.png")

    # Then both are seen
    assert own_files(visit, tmp_path) == ["http://127.0.0.1:9/x.png"]
    assert "broken" in visit.console
