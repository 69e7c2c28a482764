"""What the scene would do beyond rendering its frames, checked before the first frame (bpy).

A bpy module (with blender.py, outside.py and bakecheck.py, where the simulations are
checked): bpy is imported inside the functions. Each check refuses (BadInput, exit 2) what
cannot give the frames the user expects, or asks for an opt-in (`--allow-scripts`,
`--allow-file-output`, `--allow-unbaked`) for what the file does on its own: File Output nodes
writing anywhere, OSL shader code, simulations each child would start afresh. docs/design.md
"Scene checks" is the contract.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from entrypoint.errors import BadInput
from entrypoint.render.bakecheck import check_unbaked, safe_name

log = logging.getLogger(__name__)

# Bytes per pixel of one float RGBA buffer: Blender keeps every pass as 32-bit floats.
_FLOAT_RGBA = 4 * 4


def sequencer_renders(scene) -> bool:
    """Blender renders the sequencer's strips instead of the view layers when it is used and
    has a strip that is not muted."""
    editor = scene.sequence_editor
    if not scene.render.use_sequencer or editor is None:
        return False
    return any(not strip.mute for strip in editor.strips_all)


def check_source(scene) -> None:
    """The frames come from somewhere: a camera and a used view layer, or sequencer strips."""
    if sequencer_renders(scene):
        return
    if scene.camera is None:
        raise BadInput(f"scene {scene.name!r} has no camera: pass --camera NAME or add one")
    if not any(layer.use for layer in scene.view_layers):
        names = ", ".join(repr(layer.name) for layer in scene.view_layers)
        raise BadInput(
            f"every view layer of scene {scene.name!r} ({names}) has 'Use for Rendering' off, "
            "so every frame would be blank: turn it on for a view layer in Blender and save"
        )


def pixels(resolution_x: int, resolution_y: int, percent: int) -> tuple[int, int]:
    """The image size Blender renders (its integer arithmetic, borders aside)."""
    return resolution_x * percent // 100, resolution_y * percent // 100


def buffer_bytes(width: int, height: int, passes: int) -> int:
    """A floor for the render's memory: one float RGBA buffer per pass, plus the image saved."""
    return width * height * _FLOAT_RGBA * (passes + 1)


def available_memory() -> tuple[int, str] | None:
    """(bytes, where the number comes from): the container's limit or what the kernel has free."""
    found = []
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        # cgroup v1 says "no limit" with a huge page-aligned number, v2 with "max".
        if text.isdigit() and int(text) < 1 << 60:
            found.append((int(text), f"the container's memory limit ({path})"))
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append((int(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo"))
    except (OSError, ValueError, IndexError):
        pass
    return min(found) if found else None


def check_size(scene, available: tuple[int, str] | None) -> None:
    """Refuse an image with no pixels, or one whose buffers cannot fit the job's memory."""
    render = scene.render
    x, y, percent = render.resolution_x, render.resolution_y, render.resolution_percentage
    width, height = pixels(x, y, percent)
    asked = f"{x} x {y} at {percent} %"
    if width < 1 or height < 1:
        least = math.ceil(100 / min(x, y))
        raise BadInput(
            f"scene {scene.name!r} would render {width} x {height} pixels ({asked}): Blender "
            f"cannot render an empty image; use --resolution-percent {least} or more"
        )
    if available is None:
        return
    passes = _pass_count(scene)
    need = buffer_bytes(width, height, passes)
    memory, source = available
    if need > memory:
        raise BadInput(
            f"scene {scene.name!r} renders {width} x {height} pixels ({asked}); {passes} "
            f"pass(es) of float RGBA need at least {_gib(need)} but the job has {_gib(memory)} "
            f"({source}): lower --resolution-percent or give the job more memory"
        )


def _pass_count(scene) -> int:
    """Every pass a used view layer turns on (the combined pass among them)."""
    counts = [
        sum(1 for name in dir(layer) if name.startswith("use_pass_") and getattr(layer, name))
        for layer in scene.view_layers
        if layer.use
    ]
    return max(1, sum(counts))


def _gib(count: int) -> str:
    return f"{count / (1 << 30):.1f} GiB"


# ---- compositor File Output nodes -------------------------------------------------------


def _node_trees(tree, seen: set | None = None):
    """`tree` and every node group inside it, each once."""
    seen = set() if seen is None else seen
    if tree is None or tree.as_pointer() in seen:
        return
    seen.add(tree.as_pointer())
    yield tree
    for node in tree.nodes:
        if getattr(node, "node_tree", None) is not None:
            yield from _node_trees(node.node_tree, seen)


def _file_outputs(scene) -> list:
    return [
        (tree, node)
        for tree in _node_trees(scene.compositing_node_group)
        for node in tree.nodes
        if node.bl_idname == "CompositorNodeOutputFile" and not node.mute
    ]


def guard_file_outputs(scene, passes_dir: Path, allow: bool) -> list[dict]:
    """Mute every File Output node, or with `allow` write them under `passes_dir/<node>/`.

    The node writes wherever the .blend says (another render's frames, any folder), even with
    scripts off. Returns what was muted or redirected, for the log and the manifest.
    """
    found = []
    for tree, node in _file_outputs(scene):
        entry = {"tree": tree.name, "node": node.name, "directory": node.directory}
        if allow:
            folder = passes_dir / safe_name(f"{tree.name}.{node.name}")
            node.directory = str(folder) + "/"
            node.file_name = safe_name(node.file_name.replace("\\", "/").rpartition("/")[2])
            for item in node.file_output_items:
                item.name = safe_name(item.name)
            log.warning(
                "--allow-file-output: File Output node %r (%s) writes under passes/ instead of %r",
                node.name,
                tree.name,
                entry["directory"],
            )
        else:
            node.mute = True
            log.warning(
                "File Output node %r (%s) would write to %r: muted; render with "
                "--allow-file-output to get its files under the output's passes/",
                node.name,
                tree.name,
                entry["directory"],
            )
        found.append(entry | {"kept": allow})
    return found


# ---- OSL -----------------------------------------------------------------------------------


def check_osl(scene, allow_scripts: bool) -> list[str]:
    """Script nodes run OSL code from the file when Cycles uses OSL: only with --allow-scripts.

    Rendering them with OSL switched off would give other frames with exit 0: refused instead.
    """
    import bpy

    if scene.render.engine != "CYCLES" or not scene.cycles.shading_system:
        return []
    owners = [*bpy.data.materials, *bpy.data.worlds, *bpy.data.lights]
    trees = [(o.name, o.node_tree) for o in owners if getattr(o, "node_tree", None)]
    trees += [(g.name, g) for g in bpy.data.node_groups if g.bl_idname == "ShaderNodeTree"]
    nodes = sorted(
        {
            f"{owner!r}: node {node.name!r}"
            for owner, tree in trees
            for node in tree.nodes
            if node.bl_idname == "ShaderNodeScript"
        }
    )
    if nodes and not allow_scripts:
        raise BadInput(
            f"scene {scene.name!r} renders with Open Shading Language and the file has OSL "
            f"Script nodes ({'; '.join(nodes)}), whose shader code comes from the file: render "
            "with --allow-scripts if you trust it, or turn Open Shading Language off in Blender"
        )
    for node in nodes:
        log.warning("--allow-scripts: the OSL Script node %s runs its shader code", node)
    return nodes


def check_scene(settings, workdir: Path, passes_dir: Path) -> dict:
    """Every check above (and bakecheck.py's) on the scene about to render (after the
    overrides); what was found, for the slice manifest's run record."""
    import bpy

    scene = bpy.context.scene
    check_source(scene)
    check_size(scene, available_memory())
    osl = check_osl(scene, settings.allow_scripts)
    unbaked = check_unbaked(scene, settings.allow_unbaked, workdir)
    file_outputs = guard_file_outputs(scene, passes_dir, settings.allow_file_output)
    return {"file_outputs": file_outputs, "osl": osl, "unbaked": unbaked}
