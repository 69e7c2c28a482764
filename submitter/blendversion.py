"""Which Blender saved a .blend, and which is the oldest that opens it: its header and GLOB block.

Pure: imports no bpy, boto3 or subprocess (stdlib only). The header (the first 12 or 17 bytes)
says how the blocks are laid out and the Blender that saved the file; the `GLOB` block, which
follows the `REND` blocks and the thumbnail in the first zstd frame, adds the subversion and the
file's `minversion`/`minsubversion`. Its struct layout is in the file's DNA1 block, at the end
of the file, so a prefix reads those members at the fixed offsets they have had since 2.50.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from entrypoint import blendheader
from entrypoint.blenderversions import Version
from submitter.blendbytes import BlendFileError

_LEGACY_HEADER = re.compile(rb"BLENDER([_-])([vV])(\d{3})")
# Blender 5.0: "BLENDER" + header size "17" + pointer + file format "01" + endian + 4-digit version.
_HEADER_V1 = re.compile(rb"BLENDER17([_-])01([vV])(\d{4})")
_KNOWN_MAGICS = {
    b"PK\x03\x04": "a zip?",
    b"\x89PNG": "a PNG image?",
    b"%PDF": "a PDF?",
    b"\x7fELF": "a program?",
}
# struct FileGlobal { char subvstr[4]; short subversion, minversion, minsubversion; ... }: the
# same first members since Blender 2.50 (the tests compare them with the SDNA of real files).
_GLOB_HEAD = "4xhhh"
_GLOB_SINCE: Version = (2, 50)


@dataclass(frozen=True)
class Header:
    version: str  # as Blender shows it: "5.3", "4.5", "2.93"
    saved_by: Version  # the same as numbers: (5, 3)
    pointer_size: int
    endian: str  # struct-module prefix
    size: int
    block_format: str  # struct format of a block header (field order differs by header size)


@dataclass(frozen=True)
class FileGlobal:
    """The first members of GLOB; None where the data read does not have them."""

    subversion: int | None = None
    minversion: Version | None = None  # the oldest Blender that opens the file: (4, 5)
    minsubversion: int | None = None


def parse_header(raw: bytes, compression: str) -> Header:
    """The header of decompressed .blend bytes, or a refusal naming what they are instead."""
    inside = "" if compression == "none" else f" (inside {compression} data)"
    if not raw:
        raise BlendFileError(
            f"the data is empty{inside}: not a .blend file; check the path or upload it again"
        )
    if blendheader.big_endian(raw[: blendheader.HEAD_BYTES]):
        raise BlendFileError(f"the file{inside} {blendheader.BIG_ENDIAN}")
    if match := _HEADER_V1.match(raw):
        size, block_format = 17, "4siQqq"  # code, SDNAnr, old, len, nr
    elif match := _LEGACY_HEADER.match(raw):
        size, block_format = 12, None
    elif raw.startswith(b"BLENDER"):
        raise BlendFileError(
            f"starts with {raw[:17]!r}{inside}: a .blend header this reader does not know "
            "(a newer Blender?); update blendbatch or save the file with Blender 5.0"
        )
    else:
        guess = next((g for magic, g in _KNOWN_MAGICS.items() if raw.startswith(magic)), None)
        what = f"not a .blend file ({guess})" if guess else "not a .blend file"
        raise BlendFileError(
            f"starts with {raw[:8]!r}{inside}: {what}; pass the .blend saved by Blender"
        )
    pointer, endian_char, digits = match.groups()
    pointer_size = 4 if pointer == b"_" else 8
    if block_format is None:  # code, len, old, SDNAnr, nr
        block_format = "4siIii" if pointer_size == 4 else "4siQii"
    major, minor = divmod(int(digits), 100)
    version = f"{major}.{minor:02d}" if major < 3 else f"{major}.{minor}"
    endian = "<" if endian_char == b"v" else ">"
    return Header(version, (major, minor), pointer_size, endian, size, endian + block_format)


def parse_glob(raw: bytes, start: int, length: int, header: Header) -> FileGlobal:
    """GLOB's first members from its data at `start`; unknown when a prefix cuts them off or
    the file predates their layout."""
    layout = struct.Struct(header.endian + _GLOB_HEAD)
    if min(length, len(raw) - start) < layout.size or header.saved_by < _GLOB_SINCE:
        return FileGlobal()
    subversion, minversion, minsubversion = layout.unpack_from(raw, start)
    return FileGlobal(subversion, divmod(minversion, 100), minsubversion)
