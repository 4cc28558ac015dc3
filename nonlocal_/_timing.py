"""Wall times of the parts of a step, for the benchmarks' per-part profile.

A :class:`Timings` is a dict ``{part: seconds}``; ``with times("cover"): ...``
adds the time of the block to its part.  The parts of a step
(:mod:`advmcf.nonlocal_.step`, rank 0): ``gather`` (vertex values and
interface pieces to rank 0), ``distances``, ``perimeter`` (Per_ε of the
previous and the new set), ``cover`` (ball covers and first levels of the
main cut's graph), ``graph`` (its nodes, arcs and network), ``flow`` (its
max-flow), ``certificate`` (its certificate and the energy from the formula),
``layer`` (the sub-vertex w: the layer's graph and every round of the
parametric cut), ``smoothing``, ``scatter`` (the new level set to the ranks),
``other`` (the rest).
"""

from __future__ import annotations

import time
from contextlib import contextmanager

__all__ = ["Timings"]


class Timings(dict):
    """``{part: seconds}``; calling it with a part name gives a context manager that adds to it."""

    @contextmanager
    def __call__(self, part: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self[part] = self.get(part, 0.0) + time.perf_counter() - t0
