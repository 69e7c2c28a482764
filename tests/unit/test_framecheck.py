"""A frame whose chunks and checksums are fine but whose image data does not decode is not
whole: ffmpeg would drop it and show its neighbour twice."""

import struct
import zlib

import pytest

from entrypoint import framecheck
from entrypoint.framecheck import Unreadable, check_whole, image_size

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width, height, raw: bytes, *, depth=8, colour=2, interlace=0, split=1, extra=b"") -> bytes:
    """A PNG around the filtered scanlines `raw`, every CRC valid; IDAT in `split` chunks."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    stream = zlib.compress(raw)
    step = -(-len(stream) // split)
    idats = b"".join(chunk(b"IDAT", stream[i : i + step]) for i in range(0, len(stream), step))
    return SIGNATURE + chunk(b"IHDR", header) + extra + idats + chunk(b"IEND", b"")


def rows(height: int, row_bytes: int, filter_type: int = 0) -> bytes:
    return b"".join(bytes([filter_type]) + bytes(range(row_bytes)) for _ in range(height))


def with_idat_stream(data: bytes, stream: bytes) -> bytes:
    """The same PNG with another IDAT stream, CRCs recomputed (checksums cannot tell)."""
    start = data.index(b"IDAT") - 4
    end = data.index(b"IEND") - 4
    return data[:start] + chunk(b"IDAT", stream) + data[end:]


GOOD = png(17, 11, rows(11, 17 * 3))


def test_whole_pngs_of_every_kind_pass():
    assert image_size(GOOD, "png") == (17, 11)
    assert image_size(png(17, 11, rows(11, 17 * 3), split=4), "png") == (17, 11)
    assert image_size(png(5, 3, rows(3, 5 * 8), depth=16, colour=6), "png") == (5, 3)
    assert image_size(png(9, 2, rows(2, 2), depth=1, colour=0), "png") == (9, 2)  # 9 bits
    palette = chunk(b"PLTE", bytes(range(6)))
    assert image_size(png(3, 2, rows(2, 3), colour=3, extra=palette), "png") == (3, 2)
    assert image_size(png(3, 2, rows(2, 3 * 2, 4), colour=4), "png") == (3, 2)


def test_an_interlaced_png_is_checked_pass_by_pass():
    # 10x10 RGB, Adam7: pass sizes (cols x rows) 2x2, 1x2, 3x1, 2x3, 5x2, 5x5, 10x5.
    passes = [(2, 2), (1, 2), (3, 1), (2, 3), (5, 2), (5, 5), (10, 5)]
    raw = b"".join(rows(r, c * 3) for c, r in passes)
    assert framecheck.png_data_length(10, 10, 8, 2, 1) == len(raw)
    assert image_size(png(10, 10, raw, interlace=1), "png") == (10, 10)
    with pytest.raises(Unreadable, match="corrupt image data"):
        image_size(png(10, 10, rows(10, 30), interlace=1), "png")  # laid out as if progressive
    # A 1x1 image has only the first pass.
    assert image_size(png(1, 1, rows(1, 3), interlace=1), "png") == (1, 1)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (
            with_idat_stream(GOOD, zlib.compress(rows(11, 17 * 3))[:-9] + b"\x00" * 9),
            "corrupt image data",
        ),
        (with_idat_stream(GOOD, zlib.compress(rows(12, 17 * 3))), "more than 572 bytes"),
        (with_idat_stream(GOOD, zlib.compress(rows(10, 17 * 3))), "520 bytes, not 572"),
        (with_idat_stream(GOOD, zlib.compress(rows(11, 17 * 3))[:-30]), "cut short"),
        (with_idat_stream(GOOD, b"not zlib at all"), "does not inflate"),
        (png(17, 11, rows(11, 17 * 3, filter_type=9)), "filter type is not 0-4"),
        (png(4, 4, rows(4, 12), depth=3), "corrupt"),  # no such bit depth
        (SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) +
         chunk(b"IEND", b""), "corrupt"),  # no image data at all
    ],
    ids=["flipped-stream", "too-long", "too-short", "cut-stream", "not-zlib", "bad-filter",
         "bad-depth", "no-idat"],
)  # fmt: skip
def test_checksums_right_but_pixels_broken_is_unreadable(data, why):
    with pytest.raises(Unreadable, match=why):
        check_whole(data, "png")


def test_bytes_flipped_inside_the_stream_with_crcs_recomputed():
    stream = zlib.compress(bytes(range(256)) * 40, 1)  # 40 rows of 85 RGB pixels
    whole = png(85, 40, bytes(range(256)) * 40)
    assert image_size(whole, "png") == (85, 40)
    for at in range(2, len(stream), 3):
        broken = bytearray(stream)
        broken[at] ^= 0x5A
        data = with_idat_stream(whole, bytes(broken))
        with pytest.raises(Unreadable, match="corrupt image data"):
            check_whole(data, "png")


def jpeg(*segments: bytes) -> bytes:
    return b"\xff\xd8" + b"".join(segments) + b"\xff\xd9"


SOF = b"\xff\xc0\x00\x11\x08\x00\x24\x00\x40\x03" + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
SOS = b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (jpeg(SOF), "corrupt"),  # no scan at all
        (jpeg(SOS + b"\x12\x34", SOF), "corrupt"),  # a scan before the frame header
        (jpeg(SOF, b"\xff\xdb\x00\xff\x00"), "corrupt"),  # a segment longer than the file
        (jpeg(SOF, b"\x12\x34"), "corrupt"),  # bytes where a marker must be
    ],
    ids=["no-scan", "scan-before-frame", "segment-too-long", "garbage-between-segments"],
)
def test_jpeg_segments_are_walked_through_eoi(data, why):
    with pytest.raises(Unreadable, match=why):
        check_whole(data, "jpg")


def test_a_jpeg_with_restart_markers_and_stuffed_bytes_is_whole():
    data = jpeg(SOF, SOS + b"\x12\xff\x00\x34\xff\xd0\x56\xff\xd1\x78")
    assert image_size(data, "jpg") == (64, 36)
