"""How `blendbatch run` uses this machine: children at a time, threads each, slices, order.

Pure: imports no bpy, boto3 or subprocess; the caller passes the core count, the frame count
and what the user said (None where they said nothing), and says the result.

The model, from measurements on 2 cores with the demo scene (docs/design.md, "run on one
machine"): one Blender process with 2 threads renders a frame in 0.50 s, one with 1 thread in
0.98 s, but two 1-thread processes side by side take 1.30 s each, so one child with every core
beats a child per core by ~23 %. Every local slice also pays the scene's load and every child
Blender's start-up (~0.6-1 s), and a local run has no Spot reclaim to hedge against: one
long-lived child renders the slices one after another (entrypoint/series.py), and when the user
did not fix the slice size each child gets one slice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LocalChoice:
    cores: int
    workers: int  # children at a time (each renders slices one after another)
    threads: int  # render threads per child
    frames_per_job: int
    slices: int
    order: tuple[int, ...]  # slice numbers in the order they are handed out
    picked: tuple[str, ...]  # which of "children", "threads", "slices" were chosen here

    def line(self) -> str:
        """E.g. `2 cores: 1 child x 2 threads, 4 slices of 12 (picked: children, threads)`."""
        children = "child" if self.workers == 1 else "children"
        slices = "slice" if self.slices == 1 else "slices"
        text = (
            f"{self.cores} {'core' if self.cores == 1 else 'cores'}: {self.workers} {children} "
            f"x {self.threads} {'thread' if self.threads == 1 else 'threads'}, "
            f"{self.slices} {slices} of {self.frames_per_job}"
        )
        if self.picked:
            text += f" (picked: {', '.join(self.picked)})"
        return text

    def as_dict(self) -> dict:
        return {
            "cores": self.cores,
            "workers": self.workers,
            "threads": self.threads,
            "frames_per_job": self.frames_per_job,
            "slices": self.slices,
            "order": list(self.order),
            "picked": list(self.picked),
        }


def choose(
    cores: int,
    frame_count: int,
    *,
    workers: int | None = None,
    threads: int | None = None,
    frames_per_job: int | None = None,
) -> LocalChoice:
    """The user's explicit choices are kept as given; only what they left out is picked.

    `workers` 0 means one child per core (so 1 thread each, unless fewer slices). Neither
    `workers` nor `threads`: one child with every core. `threads` alone: as many children as
    fit the cores. `workers` alone: the cores shared between them. Never more children than
    slices; picked threads are then shared among the children that can run.
    """
    cores = max(1, cores)
    frame_count = max(1, frame_count)
    picked: list[str] = []
    if workers == 0:
        workers = cores
    if workers is None:
        picked.append("children")
        workers = 1 if threads is None else max(1, cores // threads)
    if frames_per_job is None:
        picked.append("slices")
        frames_per_job = math.ceil(frame_count / workers)
    slices = math.ceil(frame_count / frames_per_job)
    workers = min(workers, slices)
    if threads is None:
        picked.append("threads")
        threads = max(1, cores // workers)
    order = tuple(range(slices))  # early frames first: the start of the shot can be looked at
    return LocalChoice(
        cores=cores,
        workers=workers,
        threads=threads,
        frames_per_job=frames_per_job,
        slices=slices,
        order=order,
        picked=tuple(sorted(picked, key=("children", "threads", "slices").index)),
    )
