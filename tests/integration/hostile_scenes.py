"""Turn a tiny scene into the hostile variants the render tests need (Blender's Python).

python hostile_scenes.py BASE.blend OUT.blend KIND [ARG]
    sequencer-only  no camera, a colour strip over the scene's frames, the sequencer used
    layers-off      every view layer's "Use for Rendering" off
    file-output DIR a compositor File Output node writing into DIR
    osl             Cycles with OSL on and a Script node in the cube's material
    cloth           a cloth modifier on the cube, not baked
    rigid-body      a rigid body world with the cube in it, not baked
    particles       a particle emitter with Newtonian physics, not baked
    sim-nodes       a Geometry Nodes simulation zone on the cube, not baked
    sim-nodes-baked the same, baked and packed into the file
    huge            65536 x 65536 pixels
"""

from __future__ import annotations

import sys


def _cube():
    import bpy

    return next(o for o in bpy.data.objects if o.type == "MESH" and o.name.startswith("Cube"))


def sequencer_only() -> None:
    import bpy

    scene = bpy.context.scene
    camera = scene.camera
    scene.camera = None
    bpy.data.objects.remove(camera)
    editor = scene.sequence_editor_create()
    length = scene.frame_end - scene.frame_start + 1
    strip = editor.strips.new_effect("Red", "COLOR", 1, scene.frame_start, length=length)
    strip.color = (0.8, 0.1, 0.1)
    scene.render.use_sequencer = True


def layers_off() -> None:
    import bpy

    for layer in bpy.context.scene.view_layers:
        layer.use = False


def file_output(folder: str) -> None:
    import bpy

    scene = bpy.context.scene
    tree = bpy.data.node_groups.new("Compositing", "CompositorNodeTree")
    scene.compositing_node_group = tree
    layers = tree.nodes.new("CompositorNodeRLayers")
    out = tree.nodes.new("NodeGroupOutput")
    tree.interface.new_socket("Image", in_out="OUTPUT", socket_type="NodeSocketColor")
    tree.links.new(layers.outputs["Image"], out.inputs[0])
    writer = tree.nodes.new("CompositorNodeOutputFile")
    writer.name = "Leak"
    writer.directory = folder
    writer.file_name = "stolen_"
    writer.file_output_items.new("RGBA", "Image")
    tree.links.new(layers.outputs["Image"], writer.inputs[0])
    scene.render.use_compositing = True


def osl() -> None:
    import bpy

    bpy.context.scene.cycles.shading_system = True
    material = _cube().active_material
    script = material.node_tree.nodes.new("ShaderNodeScript")
    script.name = "Shady"
    script.mode = "INTERNAL"
    text = bpy.data.texts.new("shady.osl")
    text.write("shader shady(output color Out = 0) { Out = color(1, 0, 0); }\n")
    script.script = text


def cloth() -> None:
    _cube().modifiers.new("Cloth", "CLOTH")


def rigid_body() -> None:
    import bpy

    cube = _cube()
    bpy.context.view_layer.objects.active = cube
    cube.select_set(True)
    bpy.ops.rigidbody.object_add()


def particles() -> None:
    cube = _cube()
    cube.modifiers.new("Particles", "PARTICLE_SYSTEM")
    cube.particle_systems[0].settings.physics_type = "NEWTON"


def sim_nodes() -> None:
    import bpy

    tree = bpy.data.node_groups.new("Sim", "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    group_in = tree.nodes.new("NodeGroupInput")
    group_out = tree.nodes.new("NodeGroupOutput")
    sim_in = tree.nodes.new("GeometryNodeSimulationInput")
    sim_out = tree.nodes.new("GeometryNodeSimulationOutput")
    sim_in.pair_with_output(sim_out)
    tree.links.new(group_in.outputs[0], sim_in.inputs[0])
    tree.links.new(sim_in.outputs[1], sim_out.inputs[1])
    tree.links.new(sim_out.outputs[0], group_out.inputs[0])
    modifier = _cube().modifiers.new("Sim", "NODES")
    modifier.node_group = tree


def sim_nodes_baked() -> None:
    import bpy

    sim_nodes()
    cube = _cube()
    modifier = cube.modifiers["Sim"]
    with bpy.context.temp_override(object=cube, active_object=cube):
        bpy.ops.object.geometry_node_bake_single(
            session_uid=cube.session_uid, modifier_name="Sim", bake_id=modifier.bakes[0].bake_id
        )


def huge() -> None:
    import bpy

    render = bpy.context.scene.render
    render.resolution_x = render.resolution_y = 65536


KINDS = {
    "sequencer-only": sequencer_only,
    "layers-off": layers_off,
    "file-output": file_output,
    "osl": osl,
    "cloth": cloth,
    "rigid-body": rigid_body,
    "particles": particles,
    "sim-nodes": sim_nodes,
    "sim-nodes-baked": sim_nodes_baked,
    "huge": huge,
}


def main(argv: list[str]) -> None:
    import bpy

    base, out, kind, *rest = argv
    bpy.ops.wm.open_mainfile(filepath=base, load_ui=False, use_scripts=False)
    KINDS[kind](*rest)
    bpy.ops.wm.save_as_mainfile(filepath=out)


if __name__ == "__main__":
    main(sys.argv[1:])


def build_scene(base, out, kind: str, *args: str):
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
