"""What the first bytes of a .blend say before anything else is read.

Pure: imports no bpy, boto3 or subprocess. The submitter's reader and the render child's
check (before Blender opens the file) refuse a file Blender 5.0 cannot open with one message;
the render child reads the saved-by version here before Blender opens the file.
"""

from __future__ import annotations

import re

# Legacy header: "BLENDER" + "_"/"-" (pointer size) + "v"/"V" (little/big-endian) + 3 digits;
# Blender 5.0's: "BLENDER17-01v0500". A "V" marks a file saved on a big-endian machine.
_BIG_ENDIAN = re.compile(rb"BLENDER(?:[_-]V\d{3}|\d\d[_-]\d\dV\d{4})")
BIG_ENDIAN = (
    "is a big-endian .blend (saved on a PowerPC-era machine by Blender 2.4x-2.7x), which "
    "Blender 5.0 cannot open: open it in Blender 4.5 or older, save it again (File > Save), "
    "then submit the saved file"
)
HEAD_BYTES = 17
# The saved-by version: 3 digits in the legacy header ("293" = 2.93), 4 in the newer one whose
# "17" is the header's size and "01" its format ("0500" = 5.0): major * 100 + minor either way.
_VERSION = re.compile(rb"BLENDER(?:[_-][vV](\d{3})|\d\d[_-]\d\d[vV](\d{4}))")


def big_endian(head: bytes) -> bool:
    """Whether the first `HEAD_BYTES` (decompressed) of a file are a big-endian .blend header."""
    return _BIG_ENDIAN.match(head) is not None


def saved_by(head: bytes) -> tuple[int, int] | None:
    """(major, minor) of the Blender that saved the file, from its first `HEAD_BYTES`
    (decompressed); None when they are not a .blend header."""
    match = _VERSION.match(head)
    if match is None:
        return None
    major, minor = divmod(int(match[1] or match[2]), 100)
    return major, minor
