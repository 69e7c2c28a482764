"""Previews next to the video, as plans: which frames, the grid, the labels to draw, and the
ffmpeg argument lists that make them (ffmpeg-python's graph, compiled; it runs nothing).

Pure: imports no bpy, boto3 or subprocess of its own. Labels are drawn as seven-segment digits
with ffmpeg's `drawbox` (plain rectangles), because `drawtext` needs a font file that a slim
container may not have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ffmpeg

from entrypoint.encode_plan import QUIET

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

    def boxes(self) -> list[tuple[int, int, int, int, str]]:
        """Every label rectangle on the sheet: each tile's frame number, bottom-left."""
        boxes = []
        for i, label in enumerate(self.labels):
            col, row = i % self.columns, i // self.columns
            x = GAP + col * (self.tile_width + GAP) + PAD
            top = GAP + row * (self.tile_height + GAP)
            y = top + max(PAD, self.tile_height - H - 4 * PAD)
            boxes += label_boxes(str(label), x, y)
        return boxes


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


# One picture, not a numbered sequence: `-update 1` tells the image2 muxer the name is final.
JPEG_OPTIONS = {"frames:v": 1, "update": 1, "q:v": 3}


def poster_command(ffmpeg_exe: str, frame: str, out: str) -> list[str]:
    """The frame file `frame` as the JPEG `out`."""
    return _jpeg(ffmpeg.input(frame), out).compile(cmd=ffmpeg_exe)


def sheet_command(ffmpeg_exe: str, plan: SheetPlan, tiles: str, out: str) -> list[str]:
    """The tiles (a `%03d` pattern numbered from 0, in `plan.picks` order) as the sheet `out`."""
    grid = f"{plan.columns}x{plan.rows}"
    sheet = (
        ffmpeg.input(tiles, start_number=0)
        .filter("scale", plan.tile_width, plan.tile_height)
        .filter("tile", grid, margin=GAP, padding=GAP, color="0x202020")
    )
    for x, y, w, h, color in plan.boxes():
        sheet = sheet.drawbox(x, y, w, h, color, t="fill")
    return _jpeg(sheet, out).compile(cmd=ffmpeg_exe)


def _jpeg(picture: ffmpeg.nodes.FilterableStream, out: str) -> ffmpeg.nodes.OutputStream:
    return picture.output(out, **JPEG_OPTIONS).global_args(*QUIET).overwrite_output()
