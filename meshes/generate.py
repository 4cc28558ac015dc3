"""Meshes: structured boxes (triangles in 2D, tetrahedra in 3D) and unstructured gmsh meshes."""

from __future__ import annotations

import math

import dolfinx
import numpy as np
from mpi4py import MPI

from meshes.mpi import on_root

__all__ = ["box", "box_family", "gmsh_mesh"]


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


def _gmsh_model(kind: str, gdim: int, params: dict, h: float, band):
    """Rank-0 part of :func:`gmsh_mesh`: build and mesh the gmsh model; returns gmsh."""
    import gmsh

    gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.model.add(kind)
    occ = gmsh.model.occ
    if kind == "box":
        lo, hi = np.asarray(params["lower"], float), np.asarray(params["upper"], float)
        tag = occ.addRectangle(*lo, 0.0, *(hi - lo)) if gdim == 2 else occ.addBox(*lo, *(hi - lo))
    elif kind == "disc":
        c, r = params["centre"], params["radius"]
        tag = occ.addDisk(c[0], c[1], 0.0, r, r)
    else:  # ball
        c, r = params["centre"], params["radius"]
        tag = occ.addSphere(c[0], c[1], c[2], r)
    occ.synchronize()
    gmsh.model.addPhysicalGroup(gdim, [tag], 1)
    gmsh.option.setNumber("Mesh.MeshSizeMax", h)
    if band is not None:
        # Size field: h_fine within `width` of the sampled band curve, growing to h.
        centre, radius, width, h_fine = band
        field = gmsh.model.mesh.field
        t = np.linspace(0.0, 2 * np.pi, max(64, int(2 * np.pi * radius / h_fine)), endpoint=False)
        pts = [occ.addPoint(centre[0] + radius * np.cos(a), centre[1] + radius * np.sin(a),
                            centre[2] if gdim == 3 else 0.0) for a in t]
        occ.synchronize()
        dist = field.add("Distance")
        field.setNumbers(dist, "PointsList", pts)
        thr = field.add("Threshold")
        field.setNumber(thr, "InField", dist)
        field.setNumber(thr, "SizeMin", h_fine)
        field.setNumber(thr, "SizeMax", h)
        field.setNumber(thr, "DistMin", width)
        field.setNumber(thr, "DistMax", width + 4 * h)
        field.setAsBackgroundMesh(thr)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.model.mesh.generate(gdim)
    return gmsh


def gmsh_mesh(comm: MPI.Comm, kind: str, h: float, *, lower=None, upper=None, centre=None,
              radius=None, band=None) -> dolfinx.mesh.Mesh:
    r"""An unstructured simplex mesh from gmsh, built on rank 0 and distributed.

    Args:
        kind: "box" (``lower``, ``upper``, 2D or 3D), "disc" (2D) or "ball"
            (3D) (``centre``, ``radius``).
        h: target cell size.
        band: optional ``(centre, radius, width, h_fine)``: cells of size
            ``h_fine`` within ``width`` of the circle (2D; in 3D, the equator
            of that sphere in the plane z = centre[2]) of the given centre
            and radius, growing to ``h`` over 4h beyond.

    Errors from gmsh are raised on every rank together.
    """
    if not h > 0:
        raise ValueError(f"gmsh_mesh: h must be positive, got {h}")
    if kind == "box":
        lo, hi = np.asarray(lower, float), np.asarray(upper, float)
        if lo.shape != hi.shape or lo.size not in (2, 3) or np.any(hi <= lo):
            raise ValueError(f"gmsh_mesh: box needs lower < upper with 2 or 3 coordinates, got {lower}, {upper}")
        gdim, params = lo.size, {"lower": lo, "upper": hi}
    elif kind in ("disc", "ball"):
        gdim = 2 if kind == "disc" else 3
        if centre is None or len(centre) != gdim or radius is None or not radius > 0:
            raise ValueError(f"gmsh_mesh: a {kind} needs a {gdim}D centre and a positive radius, "
                             f"got {centre}, {radius}")
        params = {"centre": [float(c) for c in centre], "radius": float(radius)}
    else:
        raise ValueError(f"gmsh_mesh: kind must be 'box', 'disc' or 'ball', got {kind!r}")
    if band is not None:
        b_centre, b_radius, width, h_fine = band
        if len(b_centre) != gdim or not (b_radius > 0 and width > 0 and 0 < h_fine <= h):
            raise ValueError(f"gmsh_mesh: band = (centre, radius > 0, width > 0, 0 < h_fine <= h), got {band}")
        band = ([float(c) for c in b_centre] + [0.0] * (3 - gdim), float(b_radius), float(width), float(h_fine))
    holder = [None]

    def build():
        holder[0] = _gmsh_model(kind, gdim, params, h, band)

    try:
        on_root(comm, build)
        from dolfinx.io import gmsh as gmshio

        return gmshio.model_to_mesh(holder[0].model if comm.rank == 0 else None, comm, 0, gdim=gdim).mesh
    finally:
        if comm.rank == 0 and holder[0] is not None:
            holder[0].finalize()
