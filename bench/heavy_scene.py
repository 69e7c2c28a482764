"""Make a scene whose per-frame sync is heavy: the demo plus many high-poly static objects.

    .venv/bin/python bench/heavy_scene.py --out /tmp/heavy.blend [--objects 24] [--levels 1]

The demo's three animated shapes move over a floor surrounded by `--objects` static rocks,
each its own mesh with a Subdivision Surface modifier at `--levels` render levels. Without
persistent data Blender evaluates every modifier and Cycles rebuilds every object's geometry
and BVH for each frame; with it, only what moves. Not kept in git: made where it is used.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(out: Path, objects: int, levels: int, frames: int | None) -> None:
    import bpy

    bpy.ops.wm.open_mainfile(filepath=str(ROOT / "examples" / "demo.blend"), load_ui=False)
    scene = bpy.context.scene
    if frames is not None:
        scene.frame_end = scene.frame_start + frames - 1
    for n in range(objects):
        angle = 2 * math.pi * n / objects
        radius = 5 + (n % 3) * 1.5
        bpy.ops.mesh.primitive_ico_sphere_add(
            subdivisions=2,
            radius=0.45,
            location=(radius * math.cos(angle), radius * math.sin(angle), 0.45),
        )
        rock = bpy.context.object
        modifier = rock.modifiers.new("detail", "SUBSURF")
        modifier.levels, modifier.render_levels = 0, levels
        rock.data.materials.append(bpy.data.materials[n % len(bpy.data.materials)])
    bpy.ops.wm.save_as_mainfile(filepath=str(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--objects", type=int, default=24)
    parser.add_argument("--levels", type=int, default=1)
    parser.add_argument("--frames", type=int, help="scene length (default: the demo's 48)")
    args = parser.parse_args()
    build(args.out, args.objects, args.levels, args.frames)


if __name__ == "__main__":
    main()
