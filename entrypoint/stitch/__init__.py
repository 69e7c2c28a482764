"""The stitch stage: after every render child, the frames become one checked video.

`run.py` orchestrates (check, choose, deliver); `join.py` joins the children's segments,
`encode.py` encodes every frame when they cannot be joined; both start from a `job.StitchJob`.
Imports the top level, never
`entrypoint.render`.
"""
