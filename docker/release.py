#!/usr/bin/env python3
"""What the image for one Blender release is built from, read from entrypoint/blenderversions.py.

Pure: imports no bpy, boto3 or subprocess; the standard library and the release table only, so
the host's python3 runs it before any virtualenv exists (make, docker/lock.sh, CI).

    docker/release.py 5.3               KEY=value lines (shell: eval "$(docker/release.py 5.3)")
    docker/release.py 5.3 python        one value: 3.13
    docker/release.py 5.3 --build-args  the engine's --build-arg flags for docker/Dockerfile
    docker/release.py --newest          the version `make image` builds by default
    docker/release.py --versions        every supported version, oldest first

An unknown version exits 2 and lists the supported ones.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from entrypoint import blenderversions  # noqa: E402  (after the path to the repository)

# The newest glibc each Debian release ships: which manylinux wheels its python3 can load.
GLIBC = {"bookworm": (2, 36), "trixie": (2, 41)}


def fields(release: blenderversions.Release) -> dict[str, str]:
    return {
        "BLENDER": release.name,
        "BPY": release.bpy,
        "PYTHON": release.python,
        "DEBIAN": release.debian,
        "BASE_IMAGE": f"debian:{release.debian}-slim",
        "GLIBC": "{}.{}".format(*GLIBC[release.debian]),
        "LOCK": f"docker/locks/blender-{release.name}.lock",
        "LTS": "yes" if release.lts else "no",
    }


# What docker/Dockerfile declares as ARG; the rest is for make and the scripts.
BUILD_ARGS = ("BLENDER", "PYTHON", "BASE_IMAGE")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    if argv == ["--newest"]:
        print(blenderversions.NEWEST.name)
        return 0
    if argv == ["--versions"]:
        print(" ".join(r.name for r in blenderversions.RELEASES))
        return 0
    try:
        values = fields(blenderversions.release(argv[0]))
    except blenderversions.UnknownVersion as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    rest = argv[1:]
    if not rest:
        print("\n".join(f"{key}={value}" for key, value in values.items()))
    elif rest == ["--build-args"]:
        print(" ".join(f"--build-arg {key}={values[key]}" for key in BUILD_ARGS))
    elif len(rest) == 1 and rest[0].upper() in values:
        print(values[rest[0].upper()])
    else:
        print(
            f"error: unknown request {' '.join(rest)!r}; ask for one of "
            f"{', '.join(k.lower() for k in values)} or --build-args",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
