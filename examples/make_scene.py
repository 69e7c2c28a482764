"""Build a small animated scene with Blender and save it as a .blend.

    python examples/make_scene.py --out examples/demo.blend            # the bundled demo
    python examples/make_scene.py --out /tmp/t.blend --width 64 --height 36 --end 4 --samples 1

Three shapes orbit and bounce over a floor, lit by a sun, seen by a camera; Cycles on the CPU
(the engine that renders headless without a GPU). Deterministic: the same options give the
same scene.
"""

from __future__ import annotations

import argparse
import math


def build_scene(args: argparse.Namespace) -> None:
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.name = args.scene_name
    scene.frame_start, scene.frame_end, scene.frame_step = args.start, args.end, args.step
    scene.render.fps, scene.render.fps_base = args.fps, args.fps_base
    scene.render.resolution_x, scene.render.resolution_y = args.width, args.height
    scene.render.resolution_percentage = 100
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = args.samples
    scene.cycles.use_denoising = False
    scene.render.image_settings.file_format = "PNG"
    # The output path saved in the .blend: a render node must never write there.
    scene.render.filepath = args.stored_output

    world = bpy.data.worlds.new("World")
    world.color = (0.05, 0.06, 0.09)
    scene.world = world

    bpy.ops.mesh.primitive_plane_add(size=20)
    _material(bpy.context.object, (0.55, 0.55, 0.6))
    shapes = (
        (bpy.ops.mesh.primitive_cube_add, (0.9, 0.25, 0.2)),
        (bpy.ops.mesh.primitive_uv_sphere_add, (0.2, 0.6, 0.9)),
        (bpy.ops.mesh.primitive_cone_add, (0.95, 0.8, 0.2)),
    )
    length = max(args.end - args.start, 1)
    for n, (add, color) in enumerate(shapes):
        add()
        obj = bpy.context.object
        bpy.ops.object.shade_smooth()
        _material(obj, color)
        for k in range(5):
            frame = args.start + round(k * length / 4)
            angle = 2 * math.pi * (k / 4 + n / 3)
            obj.location = (2.5 * math.cos(angle), 2.5 * math.sin(angle), 1 + (k % 2) * 1.2)
            obj.rotation_euler = (0, 0, angle)
            obj.keyframe_insert("location", frame=frame)
            obj.keyframe_insert("rotation_euler", frame=frame)

    bpy.ops.object.light_add(type="SUN", rotation=(0.6, 0.2, 0.8))
    bpy.context.object.data.energy = 4
    bpy.ops.object.camera_add(location=(0, -14, 8), rotation=(math.radians(62), 0, 0))
    scene.camera = bpy.context.object
    bpy.ops.wm.save_as_mainfile(filepath=args.out, compress=args.compress)


def _material(obj, color) -> None:
    import bpy

    material = bpy.data.materials.new(obj.name)
    material.diffuse_color = (*color, 1)
    material.use_nodes = True
    material.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (*color, 1)
    obj.data.materials.append(material)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the .blend to write")
    parser.add_argument("--scene-name", default="Demo")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=180)
    parser.add_argument("--start", type=int, default=1)
    parser.add_argument("--end", type=int, default=48)
    parser.add_argument("--step", type=int, default=1)
    parser.add_argument("--fps", type=int, default=24)
    parser.add_argument("--fps-base", type=float, default=1.0)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument(
        "--stored-output",
        default="//render/",
        help="the output path saved in the scene (blendbatch ignores it)",
    )
    parser.add_argument("--compress", action="store_true", help="zstd-compress the .blend")
    return parser.parse_args(argv)


if __name__ == "__main__":
    build_scene(parse_args())
