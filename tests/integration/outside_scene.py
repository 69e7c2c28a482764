"""Build a tiny project whose scene needs outside files (run with a Python that has bpy).

    python outside_scene.py PROJECT ELSEWHERE

PROJECT/shots/shot.blend shows four quads to an orthographic camera, frames 1-3:
  a relative texture `//../textures/checker.png`, an absolute-path texture ELSEWHERE/abs.png,
  a collection linked from `//../lib/props.blend` whose own material reads
  `//textures/props.png` (relative to the library), and the sequence `//../seq/tex_0001.png`
  (one file per frame).
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import bpy


def write_png(path: Path, pixels: list[list[tuple[int, int, int]]]) -> None:
    rows = b"".join(b"\0" + b"".join(bytes(p) for p in row) for row in pixels)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", len(pixels[0]), len(pixels), 8, 2, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def checker(a, b):
    return [[a if (x // 2 + y // 2) % 2 else b for x in range(8)] for y in range(8)]


def quad(name: str, x: float, material) -> bpy.types.Object:
    mesh = bpy.data.meshes.new(name)
    h = 0.45
    mesh.from_pydata(
        [(x - h, -h, 0), (x + h, -h, 0), (x + h, h, 0), (x - h, h, 0)], [], [(0, 1, 2, 3)]
    )
    uv = mesh.uv_layers.new()
    for loop, co in zip(uv.data, [(0, 0), (1, 0), (1, 1), (0, 1)], strict=True):
        loop.uv = co
    mesh.materials.append(material)
    obj = bpy.data.objects.new(name, mesh)
    return obj


def textured(name: str, image, sequence: bool = False):
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    nodes.clear()
    tex = nodes.new("ShaderNodeTexImage")
    tex.image = image
    tex.interpolation = "Closest"
    if sequence:
        tex.image_user.frame_duration = 3
        tex.image_user.frame_start = 1
        tex.image_user.use_auto_refresh = True
    emit = nodes.new("ShaderNodeEmission")
    out = nodes.new("ShaderNodeOutputMaterial")
    links.new(tex.outputs["Color"], emit.inputs["Color"])
    links.new(emit.outputs["Emission"], out.inputs["Surface"])
    return material


def image(path: Path, written: str):
    loaded = bpy.data.images.load(str(path))
    loaded.filepath = written
    return loaded


def main(project: Path, elsewhere: Path) -> None:
    write_png(project / "textures/checker.png", checker((255, 0, 0), (255, 255, 255)))
    write_png(project / "lib/textures/props.png", checker((0, 0, 255), (255, 255, 0)))
    write_png(elsewhere / "abs.png", checker((0, 255, 0), (0, 0, 0)))
    for n in (1, 2, 3):
        write_png(project / f"seq/tex_{n:04d}.png", checker((80 * n, 40, 200), (10, 10, 10)))

    bpy.ops.wm.read_factory_settings(use_empty=True)
    lib_file = project / "lib/props.blend"
    lib_file.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(lib_file))
    props = bpy.data.collections.new("Props")
    bpy.context.scene.collection.children.link(props)
    props_image = image(project / "lib/textures/props.png", "//textures/props.png")
    props.objects.link(quad("Prop", 1.5, textured("PropMat", props_image)))
    bpy.ops.wm.save_as_mainfile(filepath=str(lib_file))

    bpy.ops.wm.read_factory_settings(use_empty=True)
    shot = project / "shots/shot.blend"
    shot.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(shot))
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.samples = 1
    scene.render.resolution_x, scene.render.resolution_y = 64, 36
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    scene.frame_start, scene.frame_end = 1, 3
    rel = image(project / "textures/checker.png", "//../textures/checker.png")
    absolute = image(elsewhere / "abs.png", str(elsewhere / "abs.png"))
    seq = image(project / "seq/tex_0001.png", "//../seq/tex_0001.png")
    seq.source = "SEQUENCE"
    for name, x, img, is_seq in (
        ("Rel", -1.5, rel, False),
        ("Abs", -0.5, absolute, False),
        ("Seq", 0.5, seq, True),
    ):
        scene.collection.objects.link(quad(name, x, textured(name + "Mat", img, is_seq)))
    with bpy.data.libraries.load("//../lib/props.blend", link=True, relative=True) as (_, dst):
        dst.collections = ["Props"]
    holder = bpy.data.objects.new("PropsInstance", None)
    holder.instance_type = "COLLECTION"
    holder.instance_collection = dst.collections[0]
    scene.collection.objects.link(holder)
    cam = bpy.data.cameras.new("Cam")
    cam.type = "ORTHO"
    cam.ortho_scale = 4.2
    camera = bpy.data.objects.new("Cam", cam)
    camera.location = (0, 0, 5)
    scene.collection.objects.link(camera)
    scene.camera = camera
    bpy.ops.wm.save_as_mainfile(filepath=str(shot), relative_remap=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
