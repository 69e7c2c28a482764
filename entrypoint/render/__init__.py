"""The render stage: one array child renders its slice of the scene's frames.

`run.py` orchestrates; `blender.py` is the only module that imports bpy; `blendcheck.py`
checks a .blend is whole before Blender sees it; `uploads.py` puts frames behind the render;
`stopping.py` turns SIGTERM into a clean stop. Imports the top level, never `entrypoint.stitch`.
"""
