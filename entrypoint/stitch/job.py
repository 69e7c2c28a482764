"""What both ways of making the video start from: joining the children's segments
(`stitch/join.py`) and encoding every frame (`stitch/encode.py`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from entrypoint.encode_plan import Codec
from entrypoint.manifest import SceneRecord
from entrypoint.settings import StitchSettings
from entrypoint.storage import Location

# Objects fetched at once from the render output (manifests, segments, frames): each a request
# that mostly waits on the network.
FETCH_THREADS = 8


@dataclass(frozen=True)
class StitchJob:
    """The pictures (`folder` of `source`: frames, or OpenEXR frames' proxies) the manifests
    describe (`record`), the video to make (`out`, with `codec` and `settings`), and the SIGTERM
    flag checked between steps."""

    source: Location
    record: SceneRecord
    folder: str
    codec: Codec
    settings: StitchSettings
    out: Path
    stop: threading.Event
