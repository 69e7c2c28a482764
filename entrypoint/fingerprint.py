"""The render fingerprint: one short string for everything that decides a frame's pixels.

Pure: imports no bpy, boto3 or subprocess (`file_content_id` only reads a file). The submitter
and the render child compute it with the same function, so the submitter can tell before
anything starts which frames of an output a new render would replace.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from entrypoint import allowances
from entrypoint.overrides import PIXEL_FIELDS, Overrides

# What `content_id` is when the submitter could not know it (an s3:// input it did not upload).
UNKNOWN_CONTENT = "unknown"
HEX_CHARS = 32


def render_fingerprint(
    content_id: str,
    overrides: Overrides,
    **flags: bool,
) -> str:
    """First 32 hex of sha256 over canonical JSON of content, pixel overrides and flags.

    The overrides are the requested ones, normalized (`CYCLES`, `PNG`); None means "the file's
    own value", which the content id already pins down. `flags` are the `--allow-*` flags by
    field name (entrypoint/allowances.py); one not given is off.
    """
    unknown = set(flags) - set(allowances.FIELDS)
    if unknown:
        raise TypeError(f"not --allow-* flags: {sorted(unknown)}")
    document = {
        "content": content_id,
        "pixels": {name: getattr(overrides, name) for name in PIXEL_FIELDS},
        "flags": allowances.fingerprint_flags(flags),
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:HEX_CHARS]


def file_content_id(path: Path) -> str:
    """`sha256:<hex>` of one file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def short(fingerprint: str | None) -> str:
    """`1a2b3c4d...` for messages; older manifests carry none."""
    return "none (an older render)" if not fingerprint else f"{fingerprint[:8]}..."
