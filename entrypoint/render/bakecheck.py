"""Simulations the scene would compute while rendering, checked before the first frame (bpy).

A bpy module, called by scenecheck.py: bpy is imported inside the functions. Each render child
would start such a simulation afresh from its own first frame, so it is refused unless
`--allow-unbaked`. docs/design.md "Scene checks" is the contract.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from entrypoint.errors import BadInput

log = logging.getLogger(__name__)


def safe_name(name: str) -> str:
    """One folder or file name: no separators, no leading dots."""
    return re.sub(r"[/\\]", "_", name).lstrip(".") or "_"


@dataclass(frozen=True)
class _Unbaked:
    owner: str
    what: str

    def __str__(self) -> str:
        return f"{self.owner!r} ({self.what})"


def _cache_baked(cache) -> bool:
    return cache is None or cache.is_baked or cache.use_external


def _find_unbaked(scene, workdir: Path) -> list[_Unbaked]:
    """Simulations that would be computed while rendering, from each child's own first frame."""
    found = []
    world = scene.rigidbody_world
    simulated = world is not None and world.enabled and world.collection is not None
    if simulated and world.collection.objects and not _cache_baked(world.point_cache):
        found.append(_Unbaked(scene.name, "rigid body world"))
    for obj in scene.objects:
        for modifier in obj.modifiers:
            if not modifier.show_render:
                continue
            what = _unbaked_modifier(obj, modifier, workdir)
            if what:
                found.append(_Unbaked(obj.name, what))
        for system in obj.particle_systems:
            settings = system.settings
            dynamic = settings.type == "EMITTER" and settings.physics_type not in ("NO", "KEYED")
            if settings.type == "HAIR" and system.use_hair_dynamics:
                dynamic = True
            if dynamic and not _cache_baked(system.point_cache):
                found.append(_Unbaked(obj.name, f"particle system {system.name!r}"))
    return found


def _unbaked_modifier(obj, modifier, workdir: Path) -> str | None:
    kind = modifier.type
    if kind in ("CLOTH", "SOFT_BODY") and not _cache_baked(modifier.point_cache):
        return f"{kind.lower().replace('_', ' ')} {modifier.name!r}"
    if kind == "DYNAMIC_PAINT" and modifier.canvas_settings is not None:
        for surface in modifier.canvas_settings.canvas_surfaces:
            if surface.surface_format == "VERTEX" and not _cache_baked(surface.point_cache):
                return f"dynamic paint {modifier.name!r}"
    domain = kind == "FLUID" and modifier.fluid_type == "DOMAIN"
    if domain and not modifier.domain_settings.has_cache_baked_any:
        return f"fluid domain {modifier.name!r}"
    if kind == "NODES" and modifier.node_group is not None:
        zones = [b for b in modifier.bakes if b.node and "SimulationOutput" in b.node.bl_idname]
        if any(not _nodes_bake_present(obj, modifier, bake, workdir) for bake in zones):
            return f"simulation nodes {modifier.name!r}"
    return None


def _nodes_bake_present(obj, modifier, bake, workdir: Path) -> bool:
    """A Geometry Nodes bake on disk has a `meta` folder; a packed one can only be told by
    unpacking it (Blender 5.0 shows no "baked" flag to Python), into `workdir`."""
    import bpy

    target = modifier.bake_target if bake.bake_target == "INHERIT" else bake.bake_target
    if target == "DISK":
        folder = bake.directory if bake.use_custom_path else modifier.bake_directory
        if not folder:
            stem = Path(bpy.data.filepath).stem
            folder = f"//blendcache_{stem}/{obj.name}_{modifier.name}"
        meta = Path(bpy.path.abspath(folder)) / str(bake.bake_id) / "meta"
        return meta.is_dir() and any(meta.iterdir())
    # Unpacking writes to the modifier's bake folder: point it into this child's temp folder.
    modifier.bake_directory = (
        str(workdir / "bakes" / safe_name(f"{obj.name}.{modifier.name}")) + "/"
    )
    bake.use_custom_path = False
    with bpy.context.temp_override(object=obj, active_object=obj):
        done = bpy.ops.object.geometry_node_bake_unpack_single(
            session_uid=obj.session_uid,
            modifier_name=modifier.name,
            bake_id=bake.bake_id,
            method="USE_ORIGINAL",
        )
    return done == {"FINISHED"}


def check_unbaked(scene, allow_unbaked: bool, workdir: Path) -> list[str]:
    """Refuse unbaked simulations (their frames depend on -f) unless `--allow-unbaked`."""
    found = _find_unbaked(scene, workdir)
    names = [str(item) for item in found]
    if found and not allow_unbaked:
        raise BadInput(
            f"{len(found)} simulation(s) are not baked: {'; '.join(names)}. Each render job "
            "would simulate from its own first frame, so frames would depend on -f: bake it in "
            "Blender first (and save), or render with --allow-unbaked"
        )
    for name in names:
        log.warning("--allow-unbaked: %s is simulated from each job's first frame", name)
    return names
