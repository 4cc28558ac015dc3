r"""The memory a mesh or a run needs, estimated from measurement, against what this machine has.

Peak resident memory was measured per mesh vertex (``python
benchmarks/memory_per_vertex.py``: fresh processes, peak RSS from
``resource.getrusage``, the slope over three mesh sizes of the crossed box,
so the interpreter and libraries drop out; ``benchmarks/results/
memory_per_vertex.md``), for making a mesh and writing it (``mesh``), a
level-set FEM run (``fem``) and the adversarial step (``nonlocal``).  The
adversarial step's graph is estimated apart: its edges from the vertices of
its band and ε/h (measured edges per band vertex at ε/h = 4, growing like
(ε/h)^p), at :data:`BYTES_PER_EDGE` each.  Estimates are

.. math::  \text{bytes} = r\,P + m\,(N\,b_d + E\,B_e),

r the number of ranks, P :data:`PROCESS_BYTES`, m :data:`MARGIN`, N the
vertices, b_d :data:`BYTES_PER_VERTEX`, E the graph's edges and B_e
:data:`BYTES_PER_EDGE`.  The limit is the physical memory of this machine (or
of its cgroup, if smaller): every rank of a run on one machine shares it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["BYTES_PER_VERTEX", "EDGES_PER_BAND_VERTEX", "BYTES_PER_EDGE", "PROCESS_BYTES", "MARGIN", "MAX_INDEX",
           "memory_limit", "graph_edges", "estimate", "check_memory", "mesh_file_limit"]

#: Peak bytes per mesh vertex (slope of the measured peak over three sizes; benchmarks/memory_per_vertex.py),
#: by what runs and the dimension.  ``nonlocal`` is the adversarial step without its graph.
BYTES_PER_VERTEX = {"mesh": {2: 660, 3: 1690}, "fem": {2: 1020, 3: 3720}, "nonlocal": {2: 1020, 3: 3720}}
#: Edges of the adversarial step's graph per vertex of its band at ε/h = 4, and the power of (ε/h)/4
#: they grow with (the largest measured: 2D 183 and 490 at ε/h = 4 and 8 on meshes whose band is every
#: vertex, 957 at 16 on 2.1M vertices; 3D 1305-1556 at ε/h = 3 on small meshes, 758 at 4 on 118k vertices).
EDGES_PER_BAND_VERTEX = {2: (185.0, 1.45), 3: (3030.0, 2.0)}
#: Bytes per edge of the graph at the peak of a step (the arcs, their block covers, the flow): the least-squares
#: fit of peak = P + N b + E B over the measured steps gives 8-17 B.
BYTES_PER_EDGE = 11
#: One process with advmcf, DOLFINx, PETSc and numba loaded and compiled (measured 201-211 MiB after the
#: imports, up to 340 MiB with numba's compiled step), per rank.
PROCESS_BYTES = 384 * 2**20
#: The factor on the measured slopes.
MARGIN = 1.5
#: PETSc's 32-bit indices (the dolfinx-solver-real wheel): the most vertices a mesh may have.
MAX_INDEX = 2**31 - 1


def memory_limit() -> int:
    """The bytes of memory this process's machine has: its physical memory, or its cgroup's limit if smaller."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 2**63
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if text.isdigit():
            total = min(total, int(text))
    except OSError:
        pass
    return total


def graph_edges(band_vertices: float, dim: int, eps_over_h: float) -> float:
    """The estimated edges of the adversarial step's graph on ``band_vertices`` at ε/h."""
    per, power = EDGES_PER_BAND_VERTEX[dim]
    return band_vertices * per * (max(eps_over_h, 1.0) / 4.0) ** power


def estimate(num_vertices: float, dim: int, kind: str = "mesh", *, band_vertices: float | None = None,
             eps_over_h: float | None = None, ranks: int = 1) -> float:
    """Estimated peak bytes (all ranks on one machine) of ``kind`` (``mesh``, ``fem`` or ``nonlocal``) on a
    mesh of ``num_vertices``; for ``nonlocal`` the graph on ``band_vertices`` (default all) at ε/h."""
    need = num_vertices * BYTES_PER_VERTEX[kind][dim]
    if kind == "nonlocal" and eps_over_h is not None:
        band = num_vertices if band_vertices is None else band_vertices
        need += graph_edges(band, dim, eps_over_h) * BYTES_PER_EDGE
    return ranks * PROCESS_BYTES + MARGIN * need


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def check_memory(num_vertices: float, dim: int, what: str, name: str = "h", kind: str = "mesh", *,
                 band_vertices: float | None = None, eps_over_h: float | None = None, ranks: int = 1) -> None:
    """ValueError, one line ``{name}: {what} would need about X GiB (...), more than the Y GiB of this
    machine: ...``, if :func:`estimate` exceeds :func:`memory_limit`, or the mesh exceeds PETSc's
    32-bit index range."""
    need, have = estimate(num_vertices, dim, kind, band_vertices=band_vertices, eps_over_h=eps_over_h,
                          ranks=ranks), memory_limit()
    if need <= have and num_vertices <= MAX_INDEX:
        return
    parts = [f"{num_vertices:.3g} vertices at {BYTES_PER_VERTEX[kind][dim]} bytes each ({dim}D, {kind}, measured)"]
    if kind == "nonlocal" and eps_over_h is not None:
        band = num_vertices if band_vertices is None else band_vertices
        parts.append(f"a graph of about {graph_edges(band, dim, eps_over_h):.3g} edges on {band:.3g} band vertices at "
                     f"eps/h = {eps_over_h:.3g}")
    index = ", and PETSc indices are 32-bit" if num_vertices > MAX_INDEX else ""
    fix = "a smaller eps (or eps/h)" if kind == "nonlocal" and name == "eps" else f"a larger {name}"
    raise ValueError(f"{name}: {what} would need about {_gib(need)} ({' and '.join(parts)}, x{MARGIN:g}), more than "
                     f"the {_gib(have)} of this machine{index}: choose {fix}")


def mesh_file_limit() -> int:
    """The largest mesh file read (bytes): a quarter of :func:`memory_limit` (its mesh needs more than the file)."""
    return max(2**20, memory_limit() // 4)

