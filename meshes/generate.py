"""Structured meshes of a box: triangles in 2D, tetrahedra in 3D."""

from __future__ import annotations

import math

import dolfinx
import numpy as np
from mpi4py import MPI

__all__ = ["box", "box_family"]


def box(comm: MPI.Comm, lower, upper, h: float | None = None, n=None,
        diagonal: str = "crossed") -> dolfinx.mesh.Mesh:
    """A structured simplex mesh of the box ``[lower, upper]`` (2D or 3D).

    Give either ``h`` (the target cell size along each axis: the number of
    cells along axis i is ceil((upper_i - lower_i)/h)) or ``n`` (an int, or one
    count per axis).  In 2D ``diagonal`` is passed to DOLFINx ("crossed" gives
    a mesh with the symmetries of the square).
    """
    lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    if lo.shape != hi.shape or lo.size not in (2, 3):
        raise ValueError(f"box: lower and upper must both have 2 or 3 coordinates, got {lower}, {upper}")
    if np.any(hi <= lo):
        raise ValueError(f"box: need lower < upper componentwise, got {lower}, {upper}")
    if (h is None) == (n is None):
        raise ValueError("box: give exactly one of h (cell size) or n (cell counts)")
    if h is not None:
        if not h > 0:
            raise ValueError(f"box: h must be positive, got {h}")
        n = [max(1, math.ceil((b - a) / h - 1e-9)) for a, b in zip(lo, hi)]
    n = [int(n)] * lo.size if np.isscalar(n) else [int(k) for k in n]
    if len(n) != lo.size or min(n) < 1:
        raise ValueError(f"box: need one positive cell count per axis, got {n}")
    if lo.size == 2:
        diag = getattr(dolfinx.mesh.DiagonalType, diagonal)
        return dolfinx.mesh.create_rectangle(
            comm, [lo, hi], n, dolfinx.mesh.CellType.triangle, diagonal=diag)
    return dolfinx.mesh.create_box(comm, [lo, hi], n, dolfinx.mesh.CellType.tetrahedron)


def box_family(comm: MPI.Comm, lower, upper, h0: float, levels: int, **kwargs):
    """Meshes of the box with h = h0, h0/2, ..., h0/2**(levels-1)."""
    if levels < 1:
        raise ValueError(f"box_family: levels must be >= 1, got {levels}")
    return [box(comm, lower, upper, h=h0 / 2**k, **kwargs) for k in range(levels)]
