"""Build a tiny project whose .blend uses files outside itself (run with Blender's Python).

    python tests/depscenes.py --out DIR [--delete RELPATH] [--odd]

DIR/project/shot.blend (64x36, Cycles, 1 sample, frames 1-3, an orthographic camera looking down
on emitting surfaces, so each file shows in its own patch of the frame) uses:
  textures/checker.png (relative), DIR/shared/abs.png (absolute), seq/tex_0001..0003.png
  (image sequence), udim/tile.1001/1002.png (UDIM), lib/props.blend (a linked collection whose
  material reads //textures/props.png relative to the LIBRARY), cache/anim.abc (Alembic, on a
  MeshSequenceCache modifier), fonts/DejaVuSans.ttf (a text object), strips/frame_0001..0003.png
  (an image strip and a movie clip of the sequencer), sounds/beep.wav (a sound strip).
--delete removes one file (relative to DIR/project) after saving.
--odd adds data that only the dependency reader needs (not meant to render): a packed image,
Windows and UNC image paths, a volume sequence, a fluid domain cache, a Geometry Nodes bake
folder (modifier and per-bake), a particle point cache on disk.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import sys
import wave
from pathlib import Path

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# Where each object stands (x, y, z); seen from above, 8 px a unit, (0, 0) at the frame centre.
AT = {
    "Relative": (-3, 1, 0),
    "Absolute": (-1, 1, 0),
    "Sequence": (1, 1, 0),
    "Udim": (3, 1, 0),
    "Cached": (-1, -1.5, 0),  # its cache moves it 1 unit up the frame by frame 3
    "Title": (1, -1.5, 0),
}
PROP_AT = (-3, -1, 0.5)  # the linked library's plane


def png(path: Path, color: tuple[float, float, float], size: int = 8) -> None:
    import bpy

    path.parent.mkdir(parents=True, exist_ok=True)
    image = bpy.data.images.new(path.stem, size, size)
    image.pixels = [*color, 1.0] * (size * size)
    image.filepath_raw = str(path)
    image.file_format = "PNG"
    image.save()
    bpy.data.images.remove(image)


def wav(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", (i % 40) * 500) for i in range(2000)))


def emitting(name: str, image=None, color=(1.0, 1.0, 1.0)):
    """A material that shows the image's (or a plain color's) pixels unlit: no noise at 1
    sample, and a missing image is Blender's magenta."""
    import bpy

    material = bpy.data.materials.new(name)
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    nodes.clear()
    emit = nodes.new("ShaderNodeEmission")
    emit.inputs["Color"].default_value = (*color, 1.0)
    links.new(emit.outputs[0], nodes.new("ShaderNodeOutputMaterial").inputs["Surface"])
    if image is not None:
        node = nodes.new("ShaderNodeTexImage")
        node.image, node.interpolation = image, "Closest"
        if image.source == "SEQUENCE":
            node.image_user.frame_duration = 3
            node.image_user.use_auto_refresh = True
        links.new(node.outputs[0], emit.inputs["Color"])
    return material


def textured(name: str, image, location) -> None:
    import bpy

    bpy.ops.mesh.primitive_plane_add(size=1.5, location=location)
    obj = bpy.context.object
    obj.name = name
    obj.data.materials.append(emitting(name, image))


def setup_scene(frames: int = 3):
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.preferences.filepaths.save_version = 0  # no shot.blend1 next to the file
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, frames
    scene.render.resolution_x, scene.render.resolution_y = 64, 36
    scene.render.resolution_percentage = 100
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 1
    scene.cycles.use_denoising = False
    scene.view_settings.view_transform = "Standard"
    return scene


def build_library(project: Path) -> None:
    import bpy

    setup_scene()
    png(project / "lib" / "textures" / "props.png", (0.1, 0.8, 0.2))
    image = bpy.data.images.load(str(project / "lib" / "textures" / "props.png"))
    collection = bpy.data.collections.new("Props")
    bpy.context.scene.collection.children.link(collection)
    textured("Prop", image, PROP_AT)
    prop = bpy.context.object
    for c in prop.users_collection:
        c.objects.unlink(prop)
    collection.objects.link(prop)
    bpy.ops.wm.save_as_mainfile(filepath=str(project / "lib" / "props.blend"), relative_remap=True)


def build_alembic(project: Path) -> None:
    import bpy

    setup_scene()
    bpy.ops.mesh.primitive_cube_add(size=0.5)
    cube = bpy.context.object
    # The mesh itself moves (a shape key), so the cache, not a transform, carries the motion.
    cube.shape_key_add(name="Basis")
    moved = cube.shape_key_add(name="Moved")
    for point in moved.data:
        point.co.y += 1.0
    for frame, value in ((1, 0.0), (3, 1.0)):
        moved.value = value
        moved.keyframe_insert("value", frame=frame)
    (project / "cache").mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.alembic_export(filepath=str(project / "cache" / "anim.abc"), start=1, end=3)


def build_shot(project: Path, shared: Path, odd: bool) -> None:
    import bpy

    scene = setup_scene()
    png(project / "textures" / "checker.png", (0.9, 0.2, 0.2))
    png(shared / "abs.png", (0.2, 0.2, 0.9))
    for frame in (1, 2, 3):
        png(project / "seq" / f"tex_{frame:04d}.png", (0.3 * frame, 0.5, 0.1))
        png(project / "strips" / f"frame_{frame:04d}.png", (0.1, 0.3 * frame, 0.5))
    for tile, color in ((1001, (1.0, 1.0, 0.0)), (1002, (0.0, 1.0, 1.0))):
        png(project / "udim" / f"tile.{tile}.png", color)
    wav(project / "sounds" / "beep.wav")
    (project / "fonts").mkdir(exist_ok=True)
    shutil.copy(FONT, project / "fonts" / FONT.name)

    lens = bpy.data.cameras.new("Camera")
    lens.type, lens.ortho_scale = "ORTHO", 8.0  # x -4..4, y -2.25..2.25: 8 px a unit
    camera = bpy.data.objects.new("Camera", lens)
    scene.collection.objects.link(camera)
    camera.location = (0, 0, 10)
    scene.camera = camera

    checker = bpy.data.images.load(str(project / "textures" / "checker.png"))
    checker.name = "checker"
    textured("Relative", checker, AT["Relative"])
    absolute = bpy.data.images.load(str(shared / "abs.png"))
    absolute.name = "abs"
    textured("Absolute", absolute, AT["Absolute"])
    sequence = bpy.data.images.load(str(project / "seq" / "tex_0001.png"))
    sequence.name = "seq"
    sequence.source = "SEQUENCE"
    textured("Sequence", sequence, AT["Sequence"])
    udim = bpy.data.images.load(str(project / "udim" / "tile.1001.png"))
    udim.name = "udim"
    udim.source = "TILED"
    udim.filepath = str(project / "udim" / "tile.<UDIM>.png")
    udim.tiles.new(tile_number=1002)
    textured("Udim", udim, AT["Udim"])
    for loop in bpy.context.object.data.uv_layers.active.data:
        loop.uv.x *= 2  # left half tile 1001, right half tile 1002

    with bpy.data.libraries.load(str(project / "lib" / "props.blend"), link=True) as (src, dst):
        dst.collections = ["Props"]
    scene.collection.children.link(dst.collections[0])

    bpy.ops.mesh.primitive_cube_add(size=0.5, location=AT["Cached"])
    cached = bpy.context.object
    cached.name = "Cached"
    cached.data.materials.append(emitting("Cached", color=(1.0, 0.5, 0.0)))
    modifier = cached.modifiers.new("Cache", "MESH_SEQUENCE_CACHE")
    bpy.ops.cachefile.open(filepath=str(project / "cache" / "anim.abc"))
    modifier.cache_file = bpy.data.cache_files[-1]
    modifier.object_path = "/Cube/Cube"

    font = bpy.data.fonts.load(str(project / "fonts" / FONT.name))
    text = bpy.data.objects.new("Title", bpy.data.curves.new("Title", "FONT"))
    text.data.body, text.data.font = "bb", font
    text.data.materials.append(emitting("Title"))
    text.location = AT["Title"]
    scene.collection.objects.link(text)

    edit = scene.sequence_editor_create()
    strip = edit.strips.new_image("Frames", str(project / "strips" / "frame_0001.png"), 1, 1)
    for frame in (2, 3):
        strip.elements.append(f"frame_{frame:04d}.png")
    edit.strips.new_sound("Beep", str(project / "sounds" / "beep.wav"), 2, 1)
    clip = bpy.data.movieclips.load(str(project / "strips" / "frame_0001.png"))
    clip.name = "clip"
    clip.use_fake_user = True
    # Only the compositor / 3D view would show the clip; the scene renders the 3D view.
    scene.render.use_sequencer = False

    bpy.ops.wm.save_as_mainfile(filepath=str(project / "shot.blend"), relative_remap=True)
    # bpy stored every path above as relative where it could; put the absolute one back. The
    # odd data comes after the first save: its paths must stay as set (a point cache can only
    # go to disk once the file has a name).
    bpy.data.images["abs"].filepath = str(shared / "abs.png")
    if odd:
        add_odd(project)
    bpy.ops.wm.save_mainfile()
    if odd:  # after saving: Blender clears an external point cache's folder when it is set
        (project / "points").mkdir(exist_ok=True)
        (project / "points" / "dust_000001_00.bphys").write_bytes(b"z" * 5)


def add_odd(project: Path) -> None:
    import bpy

    png(project / "packed" / "inside.png", (0.5, 0.5, 0.5))
    packed = bpy.data.images.load(str(project / "packed" / "inside.png"))
    packed.name = "packed"
    packed.pack()
    packed.use_fake_user = True
    for name, path in (("windows", "C:\\textures\\a.png"), ("unc", "\\\\server\\share\\b.png")):
        image = bpy.data.images.new(name, 4, 4)
        image.source = "FILE"
        image.filepath = path
        image.use_fake_user = True

    volume = bpy.data.volumes.new("smoke")
    volume.filepath = "//vdb/smoke_0001.vdb"
    volume.is_sequence = True
    volume.use_fake_user = True
    for frame in (1, 2, 3):
        (project / "vdb").mkdir(exist_ok=True)
        (project / "vdb" / f"smoke_{frame:04d}.vdb").write_bytes(b"not a real vdb")

    bpy.ops.mesh.primitive_cube_add(location=(5, 5, 5))
    domain = bpy.context.object
    domain.name = "Fluid"
    fluid = domain.modifiers.new("Fluid", "FLUID")
    # Switched off: an unbaked domain would start Mantaflow on every frame change.
    fluid.show_viewport = fluid.show_render = False
    fluid.fluid_type = "DOMAIN"
    fluid.domain_settings.cache_directory = "//fluid_cache"
    (project / "fluid_cache" / "data").mkdir(parents=True, exist_ok=True)
    (project / "fluid_cache" / "data" / "fluid_data_0001.vdb").write_bytes(b"x" * 10)

    bpy.ops.mesh.primitive_cube_add(location=(-5, 5, 5))
    baked = bpy.context.object
    baked.name = "Baked"
    nodes = baked.modifiers.new("GeoBake", "NODES")
    group = bpy.data.node_groups.new("BakeGroup", "GeometryNodeTree")
    group.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    group.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    inp, out = group.nodes.new("NodeGroupInput"), group.nodes.new("NodeGroupOutput")
    first, second = group.nodes.new("GeometryNodeBake"), group.nodes.new("GeometryNodeBake")
    group.links.new(inp.outputs[0], first.inputs[0])
    group.links.new(first.outputs[0], second.inputs[0])
    group.links.new(second.outputs[0], out.inputs[0])
    nodes.node_group = group
    # One bake in the modifier's folder, one in its own folder.
    nodes.bake_directory = "//bakes/geo"
    nodes.bake_target = "DISK"  # new modifiers pack their bakes into the .blend
    nodes.bakes[0].use_custom_path = True
    nodes.bakes[0].directory = "//bakes/custom"
    for folder in ("geo", "custom"):
        (project / "bakes" / folder).mkdir(parents=True, exist_ok=True)
        (project / "bakes" / folder / "0001.bphys").write_bytes(b"y" * 7)

    bpy.ops.mesh.primitive_plane_add(location=(0, 5, 5))
    emitter = bpy.context.object
    emitter.name = "Emitter"
    emitter.modifiers.new("Particles", "PARTICLE_SYSTEM")
    cache = emitter.particle_systems[0].point_cache
    cache.use_disk_cache = True
    cache.use_external = True
    cache.filepath = "//points"
    cache.name = "dust"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--delete", default=None)
    parser.add_argument("--odd", action="store_true")
    args = parser.parse_args(argv)
    project = args.out / "project"
    project.mkdir(parents=True, exist_ok=True)
    build_library(project)
    build_alembic(project)
    build_shot(project, args.out / "shared", args.odd)
    if args.delete:
        (project / args.delete).unlink()


if __name__ == "__main__":
    main(sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else sys.argv[1:])
