"""An estimate (submitter/estimate.py) for people: the measurements, then the projection.

Pure: imports no bpy, boto3 or subprocess.
"""

from __future__ import annotations

from submitter.estimate import Estimate, Spread


def lines(estimate: Estimate) -> list[str]:
    """The estimate for people: measurements with their spread, then the projection."""
    p, scene, measured = estimate.projection, estimate.scene, estimate.measured
    frame, start = estimate.per_frame_seconds, estimate.startup_seconds
    scouts = ", ".join(str(s.frame) for s in estimate.scouts)
    out = [
        f"scene {scene['name']!r}: {scene['frames']} frames ({scene['first']}-{scene['last']}, "
        f"step {scene['step']}), {scene['width']}x{scene['height']}",
        f"scouts: frames {scouts}, one child each, {_where(measured)}",
        f"  seconds a frame:  {_range(frame, 's')} (min / median / max)",
        f"  start-up a child: {_range(start, 's')} (Blender start + scene load)",
        f"  peak memory:      {estimate.peak_rss_bytes / 2**20:.0f} MiB (largest scout)",
        f"projection for {p.frames} frames at {p.frames_per_child} per child "
        f"({p.children} children, at most {p.max_children} at a time, {p.vcpus} vCPUs each):",
    ]
    if p.scale != 1:
        out.append(
            f"  render seconds x {p.scale:g} ({measured['threads']} threads here, {p.vcpus} "
            "vCPUs a child: assumes the same speed per core and linear scaling)"
        )
    out += [
        f"  a child:          {_range(p.child_seconds, 's')}",
        f"  render-hours:     {_hours(p.frame_hours)} frames alone; "
        f"{_hours(p.child_hours)} with start-up (paid)",
        f"  wall time:        {_range(p.wall_seconds, 's')} (no queueing, container start, "
        "or stitch)",
        f"  cost:             ${p.cost.median:.2f} (${p.cost.low:.2f} - ${p.cost.high:.2f}) "
        f"at ${p.price.per_child_hour:.4f} a child-hour: {p.price.source}",
        f"  uncertain: {len(estimate.scouts)} scouts show their own spread, not the shot's; "
        "frames unlike them move every figure, and each scout is its child's first frame "
        "(later frames of a child may be faster)",
    ]
    if estimate.sheet:
        out.append(f"scout frames: {estimate.sheet}")
    return out


def _where(measured: dict) -> str:
    if measured.get("on") == "batch":
        return (
            f"as jobs on AWS Batch ({measured.get('queue')}, {measured.get('job_definition')}: "
            f"{measured['threads']} vCPUs; host {measured['host']}; container start not included)"
        )
    return (
        f"on {measured['host']} ({measured['threads']} threads, load average "
        f"{measured['load_average']:.2f})"
    )


def _range(values: Spread, unit: str, digits: int = 1) -> str:
    return f"{values.median:.{digits}f} {unit} ({values.low:.{digits}f} - {values.high:.{digits}f})"


def _hours(values: Spread) -> str:
    """Render-hours, in minutes when they are few."""
    if values.high >= 1:
        return _range(values, "h", 2)
    return _range(Spread(values.low * 60, values.median * 60, values.high * 60), "min", 2)
