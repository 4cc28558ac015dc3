"""Meshes: structured boxes (triangles in 2D, tetrahedra in 3D) and unstructured gmsh meshes.

:func:`box_plan` says what :func:`box` would make (vertex count, h_max and
the vertices themselves, in chunks) without making it, so that checks on the
mesh's vertices run before any mesh exists; :func:`check_mesh_size` refuses
a mesh that cannot fit in this machine's memory, with the estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

import dolfinx
import numpy as np
from mpi4py import MPI

from advmcf.meshes import checks
from advmcf.meshes.mpi import on_root

__all__ = ["box", "box_plan", "gmsh_mesh", "gmsh_vertex_estimate", "GMSH_ALGORITHMS", "MeshPlan",
           "check_mesh_size", "MESH_TYPES", "box_mesh"]

def check_mesh_size(num_vertices: float, what: str, name: str = "h", dim: int = 2) -> None:
    """ValueError naming ``name`` when a ``dim``-dimensional mesh of ``num_vertices`` (an estimate will do)
    cannot be made in this machine's memory or exceeds PETSc's 32-bit index range
    (:func:`advmcf.meshes.memory.check_memory`, the measured bytes per vertex of making a mesh)."""
    from advmcf.meshes.memory import check_memory

    check_memory(num_vertices, dim, what, name, kind="mesh")


@dataclass(frozen=True)
class MeshPlan:
    """What a mesh is or will be, without making it: dimension, vertex count, h_max, vertices.

    Attributes:
        gdim: the space dimension.
        num_vertices: the global number of vertices.
        h_max: the longest edge (as :func:`advmcf.meshes.stats.mesh_stats` measures it, to round-off).
        chunks: ``chunks()`` yields the vertex coordinates in blocks of shape ``(3, k)``.
    """

    gdim: int
    num_vertices: int
    h_max: float
    chunks: Callable[[], Iterator[np.ndarray]]

    @classmethod
    def of_mesh(cls, msh: dolfinx.mesh.Mesh) -> "MeshPlan":
        """The plan of a mesh made on one rank (``MPI.COMM_SELF``): its own vertices and h_max."""
        from advmcf.meshes.stats import mesh_stats

        if msh.comm.size != 1:
            raise ValueError("MeshPlan.of_mesh: needs a mesh on one rank (MPI.COMM_SELF)")
        s = mesh_stats(msh)
        x = np.array(msh.geometry.x.T)
        return cls(msh.geometry.dim, s.num_vertices, s.h_max, lambda: iter([x.copy()]))  # a plan may be shared


def _box_counts(lo, hi, h, n) -> list[int]:
    """Cells per axis: ``n`` (an int or one per axis), or ceil((upper_i - lower_i)/h)."""
    if (h is None) == (n is None):
        raise ValueError("box: give exactly one of h (cell size) or n (cell counts)")
    if h is not None:
        h = checks.positive("box: h", h)
        counts = [max(1, math.ceil((b - a) / h - 1e-9)) for a, b in zip(lo, hi)]
    elif np.ndim(n) == 0:
        counts = [checks.integer("box: n", n, minimum=1)] * lo.size
    else:
        counts = [checks.integer("box: n", k, minimum=1) for k in n]
    if len(counts) != lo.size:
        raise ValueError(f"box: need one cell count per axis ({lo.size}), got {n}")
    return counts


def _box_args(lower, upper, h, n):
    lo, hi = checks.point("box: lower", lower), checks.point("box: upper", upper)
    if lo.shape != hi.shape:
        raise ValueError(f"box: lower and upper must have the same number of coordinates, got {lower}, {upper}")
    if np.any(hi <= lo):
        raise ValueError(f"box: need lower < upper componentwise, got {lower}, {upper}")
    counts = _box_counts(lo, hi, h, n)
    return lo, hi, counts


def _box_num_vertices(counts, diagonal) -> int:
    grid = math.prod(k + 1 for k in counts)
    return grid + (math.prod(counts) if len(counts) == 2 and diagonal == "crossed" else 0)


def box_plan(lower, upper, h: float | None = None, n=None, diagonal: str = "crossed",
             chunk: int = 1 << 18) -> MeshPlan:
    r"""The :class:`MeshPlan` of ``box(comm, lower, upper, h, n, diagonal)``, without making it.

    The vertices are DOLFINx's: :math:`x = l + \Delta\,i` on the grid
    (:math:`\Delta = (u - l)/n` per axis) and, for the crossed 2D mesh, the
    cell centres :math:`l + \Delta\,(i + 1/2)`, computed the same way (so
    bitwise the same numbers).  h_max is the longest edge: the largest
    spacing for the crossed 2D mesh (its half-diagonals are shorter), the
    cell diagonal :math:`|\Delta|` for the other 2D diagonals and in 3D.
    """
    lo, hi, counts = _box_args(lower, upper, h, n)
    step = (hi - lo) / np.asarray(counts)
    gdim = lo.size
    crossed = gdim == 2 and diagonal == "crossed"
    h_max = float(step.max() if crossed else np.linalg.norm(step))

    def blocks(offset, sizes):
        axes = [lo[i] + step[i] * (np.arange(sizes[i]) + offset) for i in range(gdim)]
        rows = max(1, chunk // max(1, math.prod(sizes[1:])))
        for start in range(0, sizes[0], rows):
            grid = np.meshgrid(axes[0][start:start + rows], *axes[1:], indexing="ij")
            x = np.zeros((3, grid[0].size))
            for i, g in enumerate(grid):
                x[i] = g.ravel()
            yield x

    def chunks():
        yield from blocks(0.0, [k + 1 for k in counts])
        if crossed:
            yield from blocks(0.5, counts)

    return MeshPlan(gdim, _box_num_vertices(counts, diagonal), h_max, chunks)


def box(comm: MPI.Comm, lower, upper, h: float | None = None, n=None,
        diagonal: str = "crossed") -> dolfinx.mesh.Mesh:
    """A structured simplex mesh of the box ``[lower, upper]`` (2D or 3D).

    Give either ``h`` (the target cell size along each axis: the number of
    cells along axis i is ceil((upper_i - lower_i)/h)) or ``n`` (an int, or one
    count per axis).  In 2D ``diagonal`` is passed to DOLFINx ("crossed" gives
    a mesh with the symmetries of the square).  A box too fine for this
    machine's memory is refused before DOLFINx allocates it
    (:func:`check_mesh_size`).
    """
    def checked():
        lo, hi, counts = _box_args(lower, upper, h, n)
        checks.choice("box: diagonal", diagonal, ("crossed", "left", "right", "left_right", "right_left"))
        return lo, hi, counts

    from advmcf.meshes.mpi import agreed

    # every rank raises together, also when the arguments differ between ranks (DOLFINx would hang)
    lo, hi, counts = agreed(comm, "box: lower, upper, h, n and diagonal", [lower, upper, h, n, diagonal], checked)
    check_mesh_size(_box_num_vertices(counts, diagonal), f"the box with {' x '.join(map(str, counts))} cells",
                    "h" if h is not None else "n", lo.size)
    if lo.size == 2:
        diag = getattr(dolfinx.mesh.DiagonalType, diagonal)
        return dolfinx.mesh.create_rectangle(
            comm, [lo, hi], counts, dolfinx.mesh.CellType.triangle, diagonal=diag)
    return dolfinx.mesh.create_box(comm, [lo, hi], counts, dolfinx.mesh.CellType.tetrahedron)


def gmsh_vertex_estimate(kind: str, gdim: int, params: dict, h: float, band=None) -> float:
    r"""About how many vertices gmsh makes: the domain's measure over :math:`h^d` (a simplex of edge h
    is smaller than :math:`h^d`, so this is on the low side), plus the band's shell over
    :math:`h_{fine}^d`.  ``params``: ``lower``/``upper`` or ``centre``/``radius``."""
    if kind == "box":
        measure = float(np.prod(np.subtract(params["upper"], params["lower"])))
    else:
        r = float(params["radius"])
        measure = math.pi * r**2 if gdim == 2 else 4 / 3 * math.pi * r**3
    estimate = measure / h**gdim
    if band is not None:
        _, radius, width, h_fine = band
        surface = 2 * math.pi * radius * (1.0 if gdim == 2 else 2 * radius)
        estimate += surface * 2 * width / h_fine**gdim
    return estimate


#: gmsh's meshing algorithms by name (``Mesh.Algorithm`` in 2D, ``Mesh.Algorithm3D`` in 3D): the
#: frontal ones (gmsh's defaults) make nearly regular (hexagonal-lattice-like) meshes, Delaunay
#: irregular ones.
GMSH_ALGORITHMS = {"frontal": (6, 1), "delaunay": (5, 1)}

#: The meshes of a box that suites and studies can ask for: the crossed structured mesh (DOLFINx's
#: box; tetrahedra in 3D), gmsh's frontal mesh (nearly hexagonal) and gmsh's Delaunay mesh (irregular;
#: in 3D both gmsh types are gmsh's Delaunay tetrahedra).
MESH_TYPES = ("crossed", "gmsh", "gmsh_delaunay")


def box_mesh(comm: MPI.Comm, lower, upper, h: float, mesh_type: str = "crossed") -> dolfinx.mesh.Mesh:
    """The box ``[lower, upper]`` at cell size ``h`` as a mesh of one of :data:`MESH_TYPES`."""
    checks.choice("box_mesh: mesh_type", mesh_type, MESH_TYPES)
    if mesh_type == "crossed":
        return box(comm, lower, upper, h=h)
    return gmsh_mesh(comm, "box", h, lower=lower, upper=upper,
                     algorithm="frontal" if mesh_type == "gmsh" else "delaunay")


def _gmsh_model(kind: str, gdim: int, params: dict, h: float, band, algorithm: str = "frontal"):
    """Rank-0 part of :func:`gmsh_mesh`: build and mesh the gmsh model; returns gmsh (initialized:
    the caller finalizes it), or finalizes it and raises."""
    import gmsh

    gmsh.initialize(interruptible=False)
    try:
        _build_gmsh_model(gmsh, kind, gdim, params, h, band, algorithm)
    except BaseException:
        gmsh.finalize()
        raise
    return gmsh


def _build_gmsh_model(gmsh, kind, gdim, params, h, band, algorithm):
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
    gmsh.option.setNumber("Mesh.Algorithm" if gdim == 2 else "Mesh.Algorithm3D",
                          GMSH_ALGORITHMS[algorithm][gdim - 2])
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


def gmsh_mesh(comm: MPI.Comm, kind: str, h: float, *, lower=None, upper=None, centre=None,
              radius=None, band=None, algorithm: str = "frontal") -> dolfinx.mesh.Mesh:
    r"""An unstructured simplex mesh from gmsh, built on rank 0 and distributed.

    Args:
        kind: "box" (``lower``, ``upper``, 2D or 3D), "disc" (2D) or "ball"
            (3D) (``centre``, ``radius``).
        h: target cell size.
        band: optional ``(centre, radius, width, h_fine)``: cells of size
            ``h_fine`` within ``width`` of the circle (2D; in 3D, the equator
            of that sphere in the plane z = centre[2]) of the given centre
            and radius, growing to ``h`` over 4h beyond.
        algorithm: "frontal" (gmsh's default: nearly regular triangles, a
            hexagonal-lattice-like point set) or "delaunay" (irregular); in
            3D both use gmsh's Delaunay (see :data:`GMSH_ALGORITHMS`).

    Errors from gmsh are raised on every rank together.
    """
    from advmcf.meshes.mpi import agreed

    agreed(comm, "gmsh_mesh: kind, h, lower, upper, centre, radius, band and algorithm",
           [kind, h, lower, upper, centre, radius, band, algorithm])
    h = checks.positive("gmsh_mesh: h", h)
    if algorithm not in GMSH_ALGORITHMS:
        raise ValueError(f"gmsh_mesh: algorithm must be one of {', '.join(GMSH_ALGORITHMS)}, got {algorithm!r}")
    if kind == "box":
        lo, hi = checks.point("gmsh_mesh: lower", lower), checks.point("gmsh_mesh: upper", upper)
        if lo.shape != hi.shape or np.any(hi <= lo):
            raise ValueError(f"gmsh_mesh: box needs lower < upper with 2 or 3 coordinates, got {lower}, {upper}")
        gdim, params = lo.size, {"lower": lo, "upper": hi}
    elif kind in ("disc", "ball"):
        gdim = 2 if kind == "disc" else 3
        if centre is None or radius is None or not checks.is_real(radius) or not 0 < radius < math.inf:
            raise ValueError(f"gmsh_mesh: a {kind} needs a {gdim}D centre and a positive radius, "
                             f"got {centre}, {radius}")
        params = {"centre": checks.point("gmsh_mesh: centre", centre, dims=(gdim,)).tolist(), "radius": float(radius)}
    else:
        raise ValueError(f"gmsh_mesh: kind must be 'box', 'disc' or 'ball', got {kind!r}")
    if band is not None:
        b_centre, b_radius, width, h_fine = band
        checks.point("gmsh_mesh: band centre", b_centre, dims=(gdim,))
        if not all(checks.is_real(v) and math.isfinite(v) for v in (b_radius, width, h_fine)) \
                or not (b_radius > 0 and width > 0 and 0 < h_fine <= h):
            raise ValueError(f"gmsh_mesh: band = (centre, radius > 0, width > 0, 0 < h_fine <= h), got {band}")
        band = ([float(c) for c in b_centre] + [0.0] * (3 - gdim), float(b_radius), float(width), float(h_fine))
    check_mesh_size(gmsh_vertex_estimate(kind, gdim, params, h, band), f"the gmsh {kind} at h = {h:g}", "h", gdim)
    gmsh = on_root(comm, _gmsh_model, kind, gdim, params, h, band, algorithm, broadcast=False)
    try:
        from dolfinx.io import gmsh as gmshio

        return gmshio.model_to_mesh(gmsh.model if comm.rank == 0 else None, comm, 0, gdim=gdim).mesh
    finally:
        if comm.rank == 0:
            gmsh.finalize()
