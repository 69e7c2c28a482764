"""The job report page: the model of entrypoint/report.py -> one self-contained HTML file.

Pure: imports no bpy, boto3 or subprocess. The page loads nothing but the video and the
contact sheet next to it (relative names); its style, chart (inline SVG) and the one small
script are inside. Every string from the manifests (scene, object and node names come from a
user's file) is escaped; a Content-Security-Policy allows only this page's own script (by
hash) and same-folder media, as a second line of defence.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from urllib.parse import quote

from entrypoint.layout import FRAMES_DIR, PROXIES_DIR

BAR_AREA = 100.0  # the chart's bar height in viewBox units; markers go below it
SHOWN_CHILDREN = 24  # children named in the legend; more are only told apart by colour

# Clicking a bar plays the video from that frame.
SCRIPT = """
(function () {
  var video = document.getElementById("video");
  document.querySelectorAll("[data-t]").forEach(function (el) {
    el.addEventListener("click", function () {
      if (!video) { return; }
      video.currentTime = parseFloat(el.getAttribute("data-t"));
      video.scrollIntoView({behavior: "smooth"});
    });
  });
})();
"""

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:16px;
color:#1d232a;background:#fafbfc}
h1{font-size:22px;margin:4px 0 12px}h2{font-size:16px;margin:22px 0 8px}
.top{display:flex;gap:16px;flex-wrap:wrap}.top>*{flex:1 1 420px;min-width:0}
video,.sheet img{width:100%;background:#000;border-radius:4px}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
th{font-weight:600;color:#4a5560}.totals td{font-variant-numeric:tabular-nums}
.warn{background:#fff4e0;border-left:4px solid #e08a00;padding:6px 10px;margin:4px 0}
.chart{position:relative;border:1px solid #d6dce2;background:#fff;padding:4px}
.chart svg{display:block;width:100%;height:240px}.bar{cursor:pointer}
.axis{display:flex;justify-content:space-between;color:#66717c;font-size:12px}
.legend span{display:inline-block;margin:2px 10px 2px 0;font-size:12px}
.sw{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}
.row{display:flex;align-items:center;margin:2px 0}.row b{width:76px;font-weight:500;
font-size:12px}.track{position:relative;flex:1;height:16px;background:#eef1f4}
.run{position:absolute;top:1px;bottom:1px;min-width:2px;cursor:pointer}
.run.terminated{outline:2px solid #c0182a}.run.failed{outline:2px dashed #c0182a}
.run.running{opacity:.55}.muted{color:#66717c}code{font-size:12px}
"""


def _e(value) -> str:
    """Any value as escaped text for HTML content or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _url(name: str) -> str:
    """A file next to the report, as an escaped relative URL (`#`, `?`, spaces kept literal)."""
    return _e(quote(name, safe=""))


def colour(child, attempt) -> str:
    """One hue per child (golden-angle steps tell neighbours apart), darker for each retry."""
    if child is None:
        return "#b7bec6"
    hue = (int(child) * 137.508) % 360
    light = max(24, 58 - 14 * (int(attempt or 1) - 1))
    return f"hsl({hue:.1f},62%,{light}%)"


def _seconds(value: float) -> str:
    value = float(value)
    if value >= 3600:
        return f"{int(value // 3600)} h {int(value % 3600 // 60):02d} min"
    if value >= 60:
        return f"{int(value // 60)} min {value % 60:04.1f} s"
    return f"{value:.2f} s"


def render(model: dict) -> str:
    """The whole page as text (UTF-8 when written)."""
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    policy = (
        "default-src 'none'; img-src 'self' file:; media-src 'self' file:; "
        f"style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
    )
    scene = model["scene"]
    title = f"{scene['name']}: {scene['frames']} frames"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(policy)}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{_e(title)} - blendbatch report</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(scene['name'])} <span class='muted'>{_e(scene['frames'])} frames, "
        f"{_e(scene['first'])}&ndash;{_e(scene['last'])} at {_e(scene['rate'])} fps</span></h1>",
        _media(model["files"]),
        _pictures(scene),
        _warnings(model["warnings"]),
        _totals(model["totals"], model["blender"]),
        _chart(model["bars"], model["children"]),
        _timeline(model["children"], model["totals"]["wall_seconds"]),
        _settings(model["settings"], model["video"]),
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _pictures(scene: dict) -> str:
    """OpenEXR masters are scene-linear: say the video shows their display-referred proxies."""
    if not scene.get("proxies"):
        return ""
    return (
        f'<p id="pictures" class="muted">Masters: {_e(scene["extension"].upper())} frames in '
        f"{FRAMES_DIR}/. The video and previews show their display-referred "
        f"{_e(scene['proxies'].upper())} proxies in {PROXIES_DIR}/ (the scene's view "
        "transform applied).</p>"
    )


def _media(files: dict) -> str:
    video, poster, sheet = files.get("video"), files.get("poster"), files.get("sheet")
    poster_attr = f' poster="{_url(poster)}"' if poster else ""
    return (
        '<div class="top"><div>'
        f'<video id="video" controls preload="metadata" src="{_url(video)}"{poster_attr}>'
        "</video>"
        f'<div class="muted">{_e(video)}</div></div>'
        f'<div class="sheet"><a href="{_url(sheet)}"><img id="sheet" src="{_url(sheet)}" '
        f'alt="contact sheet"></a><div class="muted">{_e(sheet)}</div></div></div>'
    )


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f'<div class="warn">{_e(w)}</div>' for w in warnings)
    return f'<h2>Warnings</h2><div id="warnings">{items}</div>'


def _totals(totals: dict, blender: list[str]) -> str:
    rows = [
        ("frames", "frames", f"{totals['frames']}"),
        ("renders", "frame renders (with retries)", f"{totals['renders']}"),
        (
            "render-hours",
            "render time",
            f"{totals['render_hours']:.4f} h ({_seconds(totals['render_seconds'])})",
        ),
        ("wall", "wall time (first child start to last end)", _seconds(totals["wall_seconds"])),
        ("child-time", "children's running time", _seconds(totals["child_seconds"])),
        ("children", "children", f"{totals['children']}"),
        ("retries", "retried attempts", f"{totals['retries']}"),
        ("reclaims", "terminated attempts (Spot reclaims)", f"{totals['reclaims']}"),
        ("blender", "Blender", ", ".join(blender) or "not recorded"),
    ]
    if totals.get("cost") is None:
        rows.append(("cost", "estimated cost", totals.get("cost_note") or "unknown"))
    else:
        hours = totals["child_seconds"] / 3600
        rows += [
            (
                "cost",
                "estimated cost",
                f"${totals['cost']:.{2 if totals['cost'] >= 0.01 else 4}f} = {hours:.4f} "
                "child-hours x "
                f"${totals['price_per_hour']:g} a child-hour",
            ),
            ("price", "price", totals["cost_note"]),
        ]
    body = "".join(
        f'<tr><th>{_e(label)}</th><td data-total="{_e(key)}">{_e(text)}</td></tr>'
        for key, label, text in rows
    )
    return f'<h2>Totals</h2><table class="totals" id="totals">{body}</table>'


def _chart(bars: list[dict], children: list[dict]) -> str:
    count = max(1, len(bars))
    top = max((b["seconds"] or 0.0 for b in bars), default=0.0) or 1.0
    gap = 0.12 if count <= 200 else 0.0
    shapes = []
    for i, bar in enumerate(bars):
        seconds = bar["seconds"]
        height = (seconds or 0.0) / top * BAR_AREA
        tip = _bar_tip(bar)
        shapes.append(
            f'<rect class="bar" data-frame="{_e(bar["frame"])}" data-t="{_e(bar["time"])}" '
            f'x="{i + gap:.3f}" y="{BAR_AREA - height:.3f}" width="{1 - 2 * gap:.3f}" '
            f'height="{height:.3f}" fill="{colour(bar["child"], bar["attempt"])}">'
            f"<title>{_e(tip)}</title></rect>"
        )
        if bar["retried"]:
            shapes.append(f'<rect class="mark retry" x="{i}" y="102" width="1" height="4"/>')
        if bar["reclaimed"]:
            shapes.append(f'<rect class="mark reclaimed" x="{i}" y="106" width="1" height="4"/>')
    svg = (
        f'<svg id="chart" viewBox="0 0 {count} 110" preserveAspectRatio="none" '
        'xmlns="http://www.w3.org/2000/svg">'
        "<style>.retry{fill:#e08a00}.reclaimed{fill:#c0182a}</style>" + "".join(shapes) + "</svg>"
    )
    first, last = (bars[0]["frame"], bars[-1]["frame"]) if bars else ("", "")
    return (
        f"<h2>Render seconds per frame <span class='muted'>(tallest {_e(_seconds(top))}; "
        "click a bar to play from that frame)</span></h2>"
        f'<div class="chart">{svg}<div class="axis"><span>frame {_e(first)}</span>'
        f"<span>frame {_e(last)}</span></div></div>" + _legend(children)
    )


def _bar_tip(bar: dict) -> str:
    if bar["child"] is None:
        return f"frame {bar['frame']}: no render recorded"
    timing = f"{bar['seconds']:.2f} s" if bar["seconds"] is not None else "no time recorded"
    text = f"frame {bar['frame']}: {timing}, child {bar['child']}, attempt {bar['attempt']}"
    text += f", host {bar['host']}" if bar["host"] else ""
    if bar.get("peak_rss_bytes"):
        text += f", peak memory {bar['peak_rss_bytes'] / (1 << 20):.0f} MiB"
    if bar["renders"] > 1:
        text += f", rendered {bar['renders']} times"
    if bar["reclaimed"]:
        text += ", its attempt was terminated (Spot reclaim) after it"
    return text


def _legend(children: list[dict]) -> str:
    items = [
        f'<span><i class="sw" style="background:{colour(c["child"], 1)}"></i>'
        f"child {_e(c['child'])}</span>"
        for c in children[:SHOWN_CHILDREN]
    ]
    if len(children) > SHOWN_CHILDREN:
        items.append(f"<span>&hellip; {len(children) - SHOWN_CHILDREN} more children</span>")
    items += [
        '<span><i class="sw" style="background:#e08a00"></i>retry (attempt &gt; 1, darker)</span>',
        '<span><i class="sw" style="background:#c0182a"></i>attempt terminated '
        "(Spot reclaim)</span>",
    ]
    return f'<div class="legend">{"".join(items)}</div>'


def _timeline(children: list[dict], wall: float) -> str:
    span = wall or 1.0
    rows = []
    for child in children:
        runs = []
        for run in child["runs"]:
            left = run["start"] / span * 100
            width = (run["end"] - run["start"]) / span * 100
            tip = (
                f"child {child['child']} attempt {run['attempt']} on {run['host']}: "
                f"{run['outcome']}; {run['started']} to {run['finished'] or '(no end recorded)'}"
                f"; {run['rendered']} rendered, {run['skipped']} already done"
            )
            runs.append(
                f'<span class="run {_e(run["state"])}" title="{_e(tip)}" '
                f'style="left:{left:.3f}%;width:{width:.3f}%;'
                f'background:{colour(child["child"], run["attempt"])}"></span>'
            )
        rows.append(
            f'<div class="row"><b>child {_e(child["child"])}</b>'
            f'<div class="track">{"".join(runs)}</div></div>'
        )
    return (
        "<h2>Children <span class='muted'>(each attempt from its start to its end; red outline: "
        "terminated, dashed: failed)</span></h2>"
        f'<div id="timeline">{"".join(rows)}</div>'
        f'<div class="axis"><span>0 s</span><span>{_e(_seconds(wall))}</span></div>'
    )


def _settings(settings: list[list[str]], video: dict) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in settings)
    stitch = "".join(
        f"<tr><th>{_e(k)}</th><td><code>{_e(v if isinstance(v, str) else json.dumps(v))}</code>"
        "</td></tr>"
        for k, v in video.items()
    )
    return (
        f'<h2>Effective settings</h2><table id="settings">{rows}</table>'
        f'<h2>Video</h2><table id="video-settings">{stitch}</table>'
    )
