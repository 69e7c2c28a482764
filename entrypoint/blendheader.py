"""What the first bytes of a .blend say before anything else is read.

Pure: imports no bpy, boto3 or subprocess. The submitter's reader and the render child's
check (before Blender opens the file) refuse a file Blender 5.0 cannot open with one message.
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


def big_endian(head: bytes) -> bool:
    """Whether the first `HEAD_BYTES` (decompressed) of a file are a big-endian .blend header."""
    return _BIG_ENDIAN.match(head) is not None
