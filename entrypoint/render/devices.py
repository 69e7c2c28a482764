"""The Cycles device for the render (bpy): a GPU when asked for or found, else the CPU.

bpy is imported inside the functions, as in blender.py.
"""

from __future__ import annotations

from entrypoint.errors import BadInput

# Preference order of `--device auto`: OptiX is the fastest path on NVIDIA cards.
_GPU_TYPES = ("OPTIX", "CUDA", "HIP", "ONEAPI")


def use_device(device: str) -> list[str]:
    """Pick the Cycles device; returns the devices used. A GPU asked for and absent is an error.

    With `cycles.device = 'GPU'` and no GPU, Cycles renders on the CPU without a word:
    we never let that happen.
    """
    import bpy

    scene = bpy.context.scene
    if scene.render.engine != "CYCLES":
        if device not in ("auto", "cpu"):
            raise BadInput(
                f"--device {device} applies to Cycles; the engine is {scene.render.engine}: "
                "drop --device or pass --engine cycles"
            )
        return [f"{scene.render.engine} (device chosen by Blender)"]
    if device != "cpu":
        prefs = bpy.context.preferences.addons["cycles"].preferences
        for kind in _GPU_TYPES if device == "auto" else (device.upper(),):
            gpus = _gpus_of(prefs, kind)
            if gpus:
                for candidate in prefs.devices:
                    candidate.use = candidate in gpus
                scene.cycles.device = "GPU"
                return [f"{kind} {d.name}" for d in gpus]
        if device != "auto":
            present = ", ".join(f"{d.type} {d.name}" for d in prefs.devices) or "none"
            raise BadInput(
                f"--device {device}: no {device.upper()} GPU on this machine (devices present: "
                f"{present}); run on a GPU instance, or pass --device cpu or --device auto"
            )
    scene.cycles.device = "CPU"
    return [f"CPU {_cpu_name()}"]


def _gpus_of(prefs, kind: str) -> list:
    try:
        prefs.compute_device_type = kind
    except TypeError:  # this Blender build has no such backend
        return []
    prefs.refresh_devices()
    return [d for d in prefs.get_devices_for_type(kind) if d.type != "CPU"]


def _cpu_name() -> str:
    import bpy

    prefs = bpy.context.preferences.addons["cycles"].preferences
    prefs.refresh_devices()
    names = [d.name for d in prefs.devices if d.type == "CPU"]
    return names[0] if names else "(unnamed)"
