"""Turn a tiny scene into the variants the render tests need (run with Blender's Python).

python blend_variants.py BASE.blend OUT.blend multi
    + scene "Alt" (48x24, frames 2-3, 30 fps, Workbench, set to write a video)
    + camera "SideCam" looking from the side
python blend_variants.py BASE.blend OUT.blend scripted MARKER_DIR
    + a registered text block and a Python-expression driver that each create a file
python blend_variants.py BASE.blend OUT.blend no_camera
    - the camera: a file whose header reads fine and that Blender cannot render
python blend_variants.py BASE.blend OUT.blend texture_cache IMAGE R G B
    writes IMAGE, an 8x8 PNG of colour R G B (0-255); every mesh shows it unlit (its path saved
    relative to OUT), with Cycles' texture cache and its auto-generation of .tx files on where
    this Blender has them (5.2+)
"""

from __future__ import annotations

import math
import sys


def multi() -> None:
    import bpy

    main = bpy.context.scene
    bpy.ops.object.camera_add(location=(14, 0, 4), rotation=(math.radians(80), 0, math.pi / 2))
    bpy.context.object.name = "SideCam"
    bpy.context.object.data.name = "SideCam"
    main.camera = bpy.data.objects["Camera"]
    alt = main.copy()  # a full copy shares the objects: the same shot, other settings
    alt.name = "Alt"
    alt.use_fake_user = True  # a scene no window shows is not saved otherwise
    alt.render.resolution_x, alt.render.resolution_y = 48, 24
    alt.frame_start, alt.frame_end = 2, 3
    alt.render.fps = 30
    alt.render.engine = "BLENDER_WORKBENCH"
    alt.render.image_settings.media_type = "VIDEO"


def scripted(marker_dir: str) -> None:
    import bpy

    text = bpy.data.texts.new("register_marker.py")
    text.write(f"import pathlib\npathlib.Path({marker_dir!r}, 'text-block-ran').touch()\n")
    text.use_module = True
    cube = next(o for o in bpy.data.objects if o.type == "MESH" and o.name.startswith("Cube"))
    driver = cube.driver_add("location", 2).driver
    driver.type = "SCRIPTED"
    # Not a "simple expression": Blender needs Python to evaluate it.
    driver.expression = f"__import__('pathlib').Path({marker_dir!r}, 'driver-ran').touch() or 1.0"


def no_camera() -> None:
    import bpy

    for camera in [o for o in bpy.data.objects if o.type == "CAMERA"]:
        bpy.data.objects.remove(camera)


def texture_cache(image_path: str, *rgb: str) -> None:
    import bpy

    scene = bpy.context.scene
    scene.view_settings.view_transform = "Standard"  # the frame shows the texture's own colour
    image = bpy.data.images.new("texture", 8, 8)
    image.pixels = [*(int(c) / 255 for c in rgb), 1.0] * 64
    image.filepath_raw, image.file_format = image_path, "PNG"
    image.save()
    # Relative to the open file; saving it as OUT remaps the path to be relative to OUT.
    image.filepath = bpy.path.relpath(image_path)
    material = bpy.data.materials.new("Textured")
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    nodes.clear()
    emit, texture = nodes.new("ShaderNodeEmission"), nodes.new("ShaderNodeTexImage")
    texture.image = image
    links.new(texture.outputs[0], emit.inputs["Color"])
    links.new(emit.outputs[0], nodes.new("ShaderNodeOutputMaterial").inputs["Surface"])
    for obj in (o for o in bpy.data.objects if o.type == "MESH"):
        obj.data.materials.clear()
        obj.data.materials.append(material)
    if hasattr(scene.render, "use_auto_generate_texture_cache"):
        scene.render.use_texture_cache = True
        scene.render.use_auto_generate_texture_cache = True


def main(argv: list[str]) -> None:
    import bpy

    base, out, kind, *rest = argv
    bpy.ops.wm.open_mainfile(filepath=base, load_ui=False, use_scripts=False)
    kinds = {
        "multi": multi,
        "scripted": scripted,
        "no_camera": no_camera,
        "texture_cache": texture_cache,
    }
    kinds[kind](*rest)
    bpy.ops.wm.save_as_mainfile(filepath=out)


if __name__ == "__main__":
    main(sys.argv[1:])


def build_variant(base, out, kind: str, *args: str):
    """From a test: run this script with Blender's Python; returns `out`."""
    import subprocess
    from pathlib import Path

    subprocess.run(
        [sys.executable, __file__, str(base), str(out), kind, *map(str, args)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return Path(out)
