"""The stack's names for each Blender release: its parameters, conditions and resources.

Pure: imports no bpy, boto3 or subprocess (nor PyYAML: `deploy` uses it from a plain install).
The generator writes the template from these, `deploy` checks its `-p` values with them.
"""

from __future__ import annotations

from entrypoint import blenderversions
from entrypoint.blenderversions import Version

# The comma-separated list of versions to make job definitions for (`5.2,5.3`).
VERSIONS_PARAMETER = "BlenderVersions"
# The base name of the stack's job definitions: `<stack>-job-blender-5-3`.
BASE = "${AWS::StackName}-job"


def _compact(version: Version) -> str:
    return f"{version[0]}{version[1]}"


def digest_parameter(version: Version) -> str:
    """`ImageDigest53`: the digest of the image for Blender 5.3 in the stack's repository."""
    return f"ImageDigest{_compact(version)}"


def condition(version: Version) -> str:
    """`Blender53`: 5.3 is in BlenderVersions and has an image digest."""
    return f"Blender{_compact(version)}"


def resource(version: Version) -> str:
    return f"JobDefinitionBlender{_compact(version)}"


DIGEST_PARAMETERS = {digest_parameter(r.version): r for r in blenderversions.RELEASES}


def default_versions() -> str:
    return ",".join(r.name for r in blenderversions.STACK_DEFAULT)


def parse_versions(text: str) -> list[Version]:
    """`5.2,5.3` -> [(5, 2), (5, 3)]; an unknown version raises UnknownVersion (it lists the
    supported ones)."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or "" in items:
        raise blenderversions.UnknownVersion(
            f"{VERSIONS_PARAMETER}={text!r}: give versions separated by commas, e.g. "
            f"{default_versions()}; supported: {blenderversions.supported_text()}"
        )
    return [blenderversions.release(item).version for item in items]
