r"""Independent runs of a suite at the same time: lanes of ranks, and which runs each lane takes.

Under ``mpirun -n N`` a suite's runs are independent, so the ranks are split
into *lanes* (sub-communicators, ``comm.Split``), each running its share of
the runs one after another on its own ranks:

- L = min(N, number of runs) lanes of ⌊N/L⌋ or ⌈N/L⌉ consecutive ranks;
- the runs are dealt largest first (their expected work: steps × cells ×
  the scheme's relative cost per vertex and step,
  :attr:`advmcf.validation.schemes.Scheme.cost`) to the lane that would finish
  them first: a run of a scheme that computes on all ranks of its lane (the
  finite-element schemes) takes its work over the lane's size, one that
  computes on one rank (the adversarial step, the parametric curves, a
  perimeter study) its whole work (largest processing time first, a static
  plan: every rank computes the same plan, the logs say which lane ran what).

A run gives the same record on any lane as in a sequential suite: bitwise for
the adversarial scheme (tested), within
:data:`advmcf.validation.results.RANK_RTOL` for the finite-element schemes
(their solvers' partition; a level-set run on a lane of one rank has been seen
to differ from the same run in a 1-rank suite in its last digits).  :func:`lane_threads` gives each process of a
node its share of the cores for numba's threads (the adversarial step's
geometry), unless ``NUMBA_NUM_THREADS`` says otherwise; no result depends on it.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

__all__ = ["LanePlan", "plan_lanes", "lane_threads"]


@dataclass(frozen=True)
class LanePlan:
    """Which ranks form which lane, and which runs each lane takes.

    Attributes:
        sizes: the number of ranks of each lane (consecutive ranks, lane 0 first).
        runs: per lane, the indices of its runs (into the list planned), increasing.
        finish: per lane, the planned finishing time in units of work (for the log).
    """

    sizes: tuple[int, ...]
    runs: tuple[tuple[int, ...], ...]
    finish: tuple[float, ...]

    def lane_of(self, rank: int) -> int:
        """The lane of ``rank``."""
        end = 0
        for lane, size in enumerate(self.sizes):
            end += size
            if rank < end:
                return lane
        raise ValueError(f"rank {rank} is not in a plan of {sum(self.sizes)} ranks")


def plan_lanes(num_ranks: int, works: list[float], spreads: list[bool]) -> LanePlan:
    """The lanes of ``num_ranks`` ranks for runs of expected ``works``; ``spreads[i]``: run i computes
    on every rank of its lane (its time is its work over the lane's size), else on one."""
    if num_ranks < 1 or not works:
        raise ValueError(f"plan_lanes: need ranks and runs, got {num_ranks} ranks and {len(works)} runs")
    count = min(num_ranks, len(works))
    sizes = tuple(num_ranks // count + (1 if lane < num_ranks % count else 0) for lane in range(count))
    load = [0.0] * count
    runs = [[] for _ in range(count)]
    for i in sorted(range(len(works)), key=lambda i: (-works[i], i)):
        times = [works[i] / (sizes[lane] if spreads[i] else 1) for lane in range(count)]
        lane = min(range(count), key=lambda j: (load[j] + times[j], j))
        load[lane] += times[lane]
        runs[lane].append(i)
    return LanePlan(sizes, tuple(tuple(sorted(r)) for r in runs), tuple(load))


@contextlib.contextmanager
def lane_threads(node_size: int):
    """numba's threads set to this process's share of the node's cores (``node_size`` processes
    share the node) while the block runs, unless ``NUMBA_NUM_THREADS`` is set; restored after."""
    import numba

    before = numba.get_num_threads()
    if "NUMBA_NUM_THREADS" not in os.environ:
        numba.set_num_threads(max(1, min(before, (os.cpu_count() or 1) // max(1, node_size))))
    try:
        yield
    finally:
        numba.set_num_threads(before)
