"""The render stage: one array child renders its slice of the scene's frames.

`run.py` orchestrates; `blender.py` and `outside.py` (remap + missing check of outside files)
are the only modules that import bpy; `project.py` fetches the .blend and its dependency set;
`blendcheck.py` checks a .blend is whole before Blender sees it; `uploads.py` puts frames
behind the render; `stopping.py` turns SIGTERM into a clean stop. Imports the top level,
never `entrypoint.stitch`.
"""
