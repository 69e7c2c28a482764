"""The stitch stage: after every render child, the frames become one checked video.

`run.py` orchestrates (check, fetch, encode, verify, deliver). Imports the top level, never
`entrypoint.render`.
"""
