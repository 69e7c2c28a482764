"""Previews next to the video, as plans: which frames, the grid, and the labels to draw.

Pure: imports no bpy, boto3 or ffmpeg. Labels are drawn as seven-segment digits with
ffmpeg's `drawbox` (plain rectangles), because `drawtext` needs a font file that a slim
container may not have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import PurePosixPath

MAX_TILES = 12
MAX_COLUMNS = 4
TILE_WIDTH = 320
GAP = 4
# Seven-segment glyph: W x H pixels, strokes T thick, characters SPACE apart.
W, H, T, SPACE, PAD = 10, 18, 3, 4, 4
SEGMENTS = {
    "a": (0, 0, W, T),
    "b": (W - T, 0, T, H // 2),
    "c": (W - T, H // 2, T, H - H // 2),
    "d": (0, H - T, W, T),
    "e": (0, H // 2, T, H - H // 2),
    "f": (0, 0, T, H // 2),
    "g": (0, (H - T) // 2, W, T),
}
GLYPHS = {
    "0": "abcdef",
    "1": "bc",
    "2": "abged",
    "3": "abgcd",
    "4": "fgbc",
    "5": "afgcd",
    "6": "afgedc",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
    "-": "g",
}


@dataclass(frozen=True)
class SheetPlan:
    """A contact sheet: `picks` (indices into the frame list) in a `columns` x `rows` grid."""

    picks: tuple[int, ...]
    labels: tuple[int, ...]
    columns: int
    rows: int
    tile_width: int
    tile_height: int

    def filter(self) -> str:
        """scale -> tile -> one drawbox per label rectangle, for `-vf`."""
        steps = [
            f"scale={self.tile_width}:{self.tile_height}",
            f"tile={self.columns}x{self.rows}:margin={GAP}:padding={GAP}:color=0x202020",
        ]
        for i, label in enumerate(self.labels):
            col, row = i % self.columns, i // self.columns
            x = GAP + col * (self.tile_width + GAP) + PAD
            top = GAP + row * (self.tile_height + GAP)
            y = top + max(PAD, self.tile_height - H - 4 * PAD)  # bottom-left of the tile
            steps += [_box(*box) for box in label_boxes(str(label), x, y)]
        return ",".join(steps)


def poster_index(count: int) -> int:
    """The poster is the middle frame: the first is often a still title or a black fade."""
    return count // 2


def sheet_picks(count: int) -> tuple[int, ...]:
    """Indices of up to MAX_TILES evenly spaced frames out of `count`, first and last included."""
    tiles = min(MAX_TILES, count)
    if tiles <= 1:
        return (0,) * tiles
    return tuple(round(i * (count - 1) / (tiles - 1)) for i in range(tiles))


def sheet_plan(frames: tuple[int, ...], width: int, height: int) -> SheetPlan:
    """The sheet of `frames` (each `width` x `height`), in at most MAX_COLUMNS columns."""
    picks = sheet_picks(len(frames))
    count = len(picks)
    columns = min(MAX_COLUMNS, count)
    tile_width = min(TILE_WIDTH, width + width % 2)
    tile_height = max(2, round(tile_width * height / width / 2) * 2)
    return SheetPlan(
        picks=picks,
        labels=tuple(frames[i] for i in picks),
        columns=columns,
        rows=math.ceil(count / columns),
        tile_width=tile_width,
        tile_height=tile_height,
    )


def label_boxes(text: str, x: int, y: int) -> list[tuple[int, int, int, int, str]]:
    """Rectangles (x, y, w, h, color) drawing `text` (digits, '-') on a dark backing box."""
    width = len(text) * (W + SPACE) - SPACE
    boxes = [(x, y, width + 2 * PAD, H + 2 * PAD, "black@0.7")]
    for i, char in enumerate(text):
        left = x + PAD + i * (W + SPACE)
        for segment in GLYPHS[char]:
            sx, sy, sw, sh = SEGMENTS[segment]
            boxes.append((left + sx, y + PAD + sy, sw, sh, "white"))
    return boxes


def _box(x: int, y: int, w: int, h: int, color: str) -> str:
    return f"drawbox=x={x}:y={y}:w={w}:h={h}:color={color}:t=fill"


def preview_names(video_name: str) -> tuple[str, str]:
    """`shot.mp4` -> (`shot.poster.jpg`, `shot.sheet.jpg`), next to the video."""
    stem = PurePosixPath(video_name).stem
    return f"{stem}.poster.jpg", f"{stem}.sheet.jpg"
