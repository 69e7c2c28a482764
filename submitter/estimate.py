"""What a few scout frames say about a whole shot: the measurements, the projection, the JSON.

Pure: imports no bpy, boto3 or subprocess. `submitter/scout.py` renders the scouts and hands
their numbers here; `-f auto` reads a stored estimate back with `from_json`. The JSON schema
(format 1) is in docs/design.md "Estimate".
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass

FORMAT = 1
DEFAULT_SCOUTS = 3
DEFAULT_MAX_CHILDREN = 100
DEFAULT_INSTANCE = "c6i.xlarge"
DEFAULT_MARKET = "spot"

# Hourly prices of Linux instances in us-east-1 (USD), for a first idea of the cost only.
# On-Demand: list prices. Checked 2026-11 against public pages of 2026: c6i.xlarge $0.17 (so
# c6i.2xlarge/4xlarge, which scale linearly, $0.34/$0.68) and g5.xlarge $1.006; c7i, m6i, c7a and
# g4dn are as remembered from 2025 and not confirmed since. Spot: no list price exists (it moves
# by the hour and zone); each figure is 40 % of On-Demand, a typical discount (a 2026 snapshot
# showed c6i.xlarge Spot at $0.051-0.077), not a quote.
PRICES_AS_OF = "2026-11 (partly checked)"
PRICES_NOTE = (
    f"us-east-1 Linux prices as of {PRICES_AS_OF}; Spot is a typical 40 % of On-Demand; "
    "prices change (Spot by the hour and zone): pass --price-per-hour for yours"
)
# name: (vCPUs, On-Demand, typical Spot)
PRICES: dict[str, tuple[int, float, float]] = {
    "c6i.xlarge": (4, 0.170, 0.068),
    "c6i.2xlarge": (8, 0.340, 0.136),
    "c6i.4xlarge": (16, 0.680, 0.272),
    "c7i.2xlarge": (8, 0.357, 0.143),
    "m6i.2xlarge": (8, 0.384, 0.154),
    "c7a.2xlarge": (8, 0.411, 0.164),
    "g4dn.xlarge": (4, 0.526, 0.210),
    "g5.xlarge": (4, 1.006, 0.402),
}
MARKETS = ("spot", "on-demand")


@dataclass(frozen=True)
class Scout:
    """One scout frame rendered by its own child process."""

    frame: int
    seconds: float  # the child's own frame timing (the manifest's `seconds`)
    wall_seconds: float  # the whole process, start to exit
    peak_rss_bytes: int

    @property
    def startup_seconds(self) -> float:
        """Python and Blender start, scene load, checks, upload: all but the frame."""
        return max(0.0, self.wall_seconds - self.seconds)


@dataclass(frozen=True)
class Spread:
    low: float
    median: float
    high: float


def spread(values: list[float]) -> Spread:
    return Spread(min(values), statistics.median(values), max(values))


def scout_frames(frames: tuple[int, ...], count: int) -> tuple[int, ...]:
    """First, last and evenly spread in between; fewer when the shot has fewer frames."""
    if count < 1:
        raise ValueError("count must be 1 or more")
    if count == 1 or len(frames) == 1:
        return (frames[0],)
    picks = (round(i * (len(frames) - 1) / (count - 1)) for i in range(count))
    return tuple(frames[i] for i in sorted(set(picks)))


@dataclass(frozen=True)
class Price:
    per_child_hour: float
    source: str


def price_for(vcpus: int, *, price_per_hour: float | None, instance: str, market: str) -> Price:
    """What one child-hour costs: `--price-per-hour` is a machine running one child; a table
    instance is shared by its vCPUs (a 4-vCPU child on an 8-vCPU instance pays half)."""
    if price_per_hour is not None:
        return Price(price_per_hour, "--price-per-hour")
    instance_vcpus, on_demand, spot = PRICES[instance]
    hourly = spot if market == "spot" else on_demand
    share = f"{vcpus}/{instance_vcpus} of " if vcpus != instance_vcpus else ""
    return Price(
        hourly * vcpus / instance_vcpus,
        f"{share}{instance} {market} at ${hourly:.3f}/h ({PRICES_NOTE})",
    )


@dataclass(frozen=True)
class Projection:
    """The whole shot at `frames_per_child`, for each end of the scouts' spread."""

    frames: int
    frames_per_child: int
    children: int
    max_children: int
    vcpus: int
    scale: float  # render seconds here x scale = render seconds in a child of `vcpus`
    child_seconds: Spread  # a full child: start-up + frames_per_child frames
    frame_hours: Spread  # frame rendering alone
    child_hours: Spread  # what is paid: every child's start-up and frames
    wall_seconds: Spread
    cost: Spread
    price: Price


def _child_seconds(startup: float, per_frame: float, frames: int) -> float:
    return startup + frames * per_frame


def wall_seconds(
    frames: int, frames_per_child: int, max_children: int, startup: float, per_frame: float
) -> float:
    """Children run in waves of `max_children`; the last child holds what is left over. No
    queueing, container start or stitch."""
    children = math.ceil(frames / frames_per_child)
    waves = math.ceil(children / max_children)
    last_frames = frames - (children - 1) * frames_per_child
    in_last_wave = children - (waves - 1) * max_children
    full = _child_seconds(startup, per_frame, frames_per_child)
    last = full if in_last_wave > 1 else _child_seconds(startup, per_frame, last_frames)
    return (waves - 1) * full + last


def project(
    scouts: tuple[Scout, ...],
    *,
    frames: int,
    frames_per_child: int,
    max_children: int,
    measured_threads: int,
    vcpus: int,
    price: Price,
) -> Projection:
    scale = measured_threads / vcpus
    per_frame = spread([s.seconds * scale for s in scouts])
    startup = spread([s.startup_seconds for s in scouts])
    children = math.ceil(frames / frames_per_child)

    def each(pick) -> Spread:
        return Spread(*(pick(u, s) for u, s in zip(_ends(startup), _ends(per_frame), strict=True)))

    child_hours = each(lambda u, s: (children * u + frames * s) / 3600)
    return Projection(
        frames=frames,
        frames_per_child=frames_per_child,
        children=children,
        max_children=max_children,
        vcpus=vcpus,
        scale=scale,
        child_seconds=each(lambda u, s: _child_seconds(u, s, min(frames, frames_per_child))),
        frame_hours=each(lambda u, s: frames * s / 3600),
        child_hours=child_hours,
        wall_seconds=each(lambda u, s: wall_seconds(frames, frames_per_child, max_children, u, s)),
        cost=Spread(*(h * price.per_child_hour for h in _ends(child_hours))),
        price=price,
    )


def _ends(values: Spread) -> tuple[float, float, float]:
    return (values.low, values.median, values.high)


@dataclass(frozen=True)
class Estimate:
    """Everything `blendbatch estimate` measured and projected; `--json` prints `to_json`."""

    fingerprint: str
    content_id: str
    scene: dict  # name, first, last, step, frames (count), width, height
    measured: dict  # host, cpus, threads, blender, load_average, when
    scouts: tuple[Scout, ...]
    projection: Projection
    sheet: str | None = None

    @property
    def per_frame_seconds(self) -> Spread:
        """As measured here (not scaled to the child's vCPUs)."""
        return spread([s.seconds for s in self.scouts])

    @property
    def startup_seconds(self) -> Spread:
        return spread([s.startup_seconds for s in self.scouts])

    @property
    def peak_rss_bytes(self) -> int:
        return max(s.peak_rss_bytes for s in self.scouts)


def to_json(estimate: Estimate) -> dict:
    """The stable document (format 1): keys are only ever added."""
    projection = _rounded(asdict(estimate.projection))
    return {
        "format": FORMAT,
        "fingerprint": estimate.fingerprint,
        "content_id": estimate.content_id,
        "scene": estimate.scene,
        "measured": estimate.measured,
        "scouts": [
            asdict(s) | {"startup_seconds": round(s.startup_seconds, 3)} for s in estimate.scouts
        ],
        "per_frame_seconds": _rounded(asdict(estimate.per_frame_seconds)),
        "startup_seconds": _rounded(asdict(estimate.startup_seconds)),
        "peak_rss_bytes": estimate.peak_rss_bytes,
        "projection": projection,
        "sheet": estimate.sheet,
    }


def _rounded(value):
    """Floats to 9 significant digits (sums of measured seconds carry binary noise)."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


def from_json(document: dict) -> Estimate:
    """A stored estimate read back (what `-f auto` uses); ValueError when it is not one."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"not an estimate of format {FORMAT}")
    try:
        scouts = tuple(
            Scout(
                int(s["frame"]),
                float(s["seconds"]),
                float(s["wall_seconds"]),
                int(s["peak_rss_bytes"]),
            )  # fmt: skip
            for s in document["scouts"]
        )
        p = document["projection"]
        projection = Projection(
            **{k: p[k] for k in ("frames", "frames_per_child", "children", "max_children")},
            vcpus=p["vcpus"],
            scale=p["scale"],
            **{k: Spread(**p[k]) for k in _SPREADS},
            price=Price(**p["price"]),
        )
        return Estimate(
            fingerprint=document["fingerprint"],
            content_id=document["content_id"],
            scene=document["scene"],
            measured=document["measured"],
            scouts=scouts,
            projection=projection,
            sheet=document.get("sheet"),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"an estimate without {error}") from None


_SPREADS = ("child_seconds", "frame_hours", "child_hours", "wall_seconds", "cost")
