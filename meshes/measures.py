r"""Exact integrals over sets on a mesh, on cut cells (never counts of vertices).

Every cell cut by the zero level set of the P1 function φ is split exactly
into sub-simplices of {φ < 0} (φ is affine on the cell); areas and volumes are
then exact to round-off, and integrals of a smooth ρ use Gauss quadrature of
the given degree on the sub-simplices.  All results are global (collective).
"""

from __future__ import annotations

import numpy as np
from dolfinx import fem, la
from mpi4py import MPI

from advmcf.meshes._simplices import clip_negative, cut_faces, integrate, owned_cells, simplex_volumes

__all__ = ["volume", "mass", "symmetric_difference", "indicator_load", "SetMeasures", "volume_refined"]


def _sum(comm, value: float) -> float:
    return comm.allreduce(value, op=MPI.SUM)


def volume(phi: fem.Function) -> float:
    r"""Area (2D) or volume (3D) of :math:`\{\varphi < 0\}`, exact."""
    return mass(phi, None)


def mass(phi: fem.Function, rho, degree: int = 4) -> float:
    r""":math:`\int_{\{\varphi < 0\}} \rho\,dx`; ``rho`` a callable on ``(3, n)`` points, or None for 1."""
    P = owned_cells(phi)  # checks phi first
    gdim = phi.function_space.mesh.geometry.dim
    inside = clip_negative(P[:, :, :gdim], P[:, :, gdim])
    return _sum(phi.function_space.mesh.comm, integrate(inside, rho, degree))


def symmetric_difference(phi: fem.Function, psi: fem.Function, rho=None, degree: int = 4) -> float:
    r""":math:`\int_{\{\varphi<0\} \triangle \{\psi<0\}} \rho\,dx` (ρ = 1 if None), exact clipping.

    ``phi`` and ``psi`` must be P1 functions on the same mesh.  The two parts
    {φ < 0} ∩ {ψ > 0} and {ψ < 0} ∩ {φ > 0} are clipped cell by cell.
    """
    if psi.function_space.mesh is not phi.function_space.mesh:
        raise ValueError("symmetric_difference: phi and psi must live on the same mesh")
    gdim = phi.function_space.mesh.geometry.dim
    P = owned_cells(phi, psi)
    total = 0.0
    for first, second in ((gdim, gdim + 1), (gdim + 1, gdim)):
        part = clip_negative(P, P[:, :, first])
        part = clip_negative(part, -part[:, :, second])
        total += integrate(part[:, :, :gdim], rho, degree)
    return _sum(phi.function_space.mesh.comm, total)


def indicator_load(phi: fem.Function, rho: fem.Function | None = None) -> fem.Function:
    r"""The P1 load vector of the set: :math:`b_i = \int_{\{\varphi<0\}} \rho\,\psi_i\,dx`, exact.

    ψ_i are the P1 hat functions of φ's space and ρ a P1 function on it (None
    for 1), so the integrand is quadratic on every sub-simplex of a cut cell
    and :math:`\int_S f g = |S|\,(\sum_k f_k g_k + \sum_k f_k \sum_k g_k)/((d+1)(d+2))`
    integrates it exactly.  Divided by the lumped mass :math:`\int\rho\psi_i`
    it is the mass-lumped projection of the indicator of {φ < 0}: in [0, 1],
    1 inside, 0 outside, fractional on cut cells, and monotone in the set.
    Returns a P1 function with ghosts updated (collective).
    """
    V = phi.function_space
    msh = V.mesh
    gdim, tdim = msh.geometry.dim, msh.topology.dim
    k = tdim + 1
    P = owned_cells(phi) if rho is None else owned_cells(phi, rho)
    if rho is None:
        P = np.concatenate([P, np.ones(P.shape[:2] + (1,))], axis=2)
    num_cells = P.shape[0]
    dofs = V.dofmap.list[:num_cells]
    s = P[:, :, gdim]
    full = (s < 0).all(axis=1)
    cut = (s < 0).any(axis=1) & ~full
    scale = 1.0 / ((tdim + 1) * (tdim + 2))
    # whole cells: int_T rho psi_j = |T| (rho_j + sum rho) / ((d+1)(d+2))
    r = P[full, :, gdim + 1]
    vals = [(simplex_volumes(P[full, :, :gdim]) * scale)[:, None] * (r + r.sum(axis=1, keepdims=True))]
    idx = [dofs[full]]
    # cut cells: carry the k hat functions and the cell number through the clipping (affine, exact)
    hats = np.broadcast_to(np.eye(k), (int(cut.sum()), k, k))
    cell = np.broadcast_to(np.flatnonzero(cut)[:, None, None].astype(float), (int(cut.sum()), k, 1))
    sub = clip_negative(np.concatenate([P[cut], hats, cell], axis=2), s[cut])
    r, H = sub[:, :, gdim + 1], sub[:, :, gdim + 2:gdim + 2 + k]
    vol = simplex_volumes(sub[:, :, :gdim]) * scale
    vals.append(vol[:, None] * (np.einsum("ni,nij->nj", r, H) + r.sum(axis=1)[:, None] * H.sum(axis=1)))
    idx.append(dofs[sub[:, 0, -1].astype(np.int64)])
    b = fem.Function(V, name="indicator_load")
    size = b.x.array.size
    b.x.array[:] = np.bincount(np.concatenate([i.ravel() for i in idx]),
                               weights=np.concatenate([v.ravel() for v in vals]), minlength=size)[:size]
    b.x.scatter_reverse(la.InsertMode.add)
    b.x.scatter_forward()
    return b


class SetMeasures:
    r"""Volume and weighted interface measure of many sets on one P1 space, geometry computed once.

    For the sets {φ < 0} of a time loop: the cell coordinates, volumes and
    dofs are cached, and only the cells cut by the zero level set are
    clipped.  :meth:`volume` equals :func:`volume` and :meth:`perimeter`
    equals :func:`advmcf.meshes.interface.interface_integral` (to round-off in the
    order of summation).  Both are global (collective).

    Args:
        V: the P1 space of the level-set functions.
        rho: the weight of :meth:`perimeter`, a callable on ``(3, n)`` points, or None for 1.
        degree: the quadrature degree on the interface pieces.
    """

    def __init__(self, V: fem.FunctionSpace, rho=None, degree: int = 4):
        probe = fem.Function(V)
        P = owned_cells(probe)
        self.gdim = V.mesh.geometry.dim
        self.coords = np.ascontiguousarray(P[:, :, :self.gdim])
        self.volumes = simplex_volumes(self.coords)
        self.dofs = V.dofmap.list[: P.shape[0]]
        self.comm, self.rho, self.degree = V.mesh.comm, rho, degree

    def _split(self, phi):
        s = phi.x.array[self.dofs]
        count = (s < 0).sum(axis=1)
        return s, count == s.shape[1], (count > 0) & (count < s.shape[1])

    def volume(self, phi: fem.Function) -> float:
        r"""Area (2D) or volume (3D) of :math:`\{\varphi < 0\}`, exact."""
        s, full, cut = self._split(phi)
        local = float(self.volumes[full].sum()) + integrate(clip_negative(self.coords[cut], s[cut]), None, 1)
        return _sum(self.comm, local)

    def perimeter(self, phi: fem.Function) -> float:
        r""":math:`\int_{\{\varphi = 0\}}\rho\,dH^{d-1}` (ρ = 1 if None)."""
        s, _, cut = self._split(phi)
        return _sum(self.comm, integrate(cut_faces(self.coords[cut], s[cut]), self.rho, self.degree))


def volume_refined(phi: fem.Function, subdivisions: int = 4) -> float:
    r"""Area of :math:`\{\varphi < 0\}` for a Lagrange φ of any degree on a 2D affine mesh (global).

    Each cell is split into k² congruent sub-triangles (k = ``subdivisions``), φ is
    evaluated at their vertices (basix tabulation) and each is clipped
    exactly as a linear function: the area of the set of the piecewise-linear
    interpolant of φ on the refined triangulation, within O((h/k)²) of the
    area of {φ < 0} for a smooth interface.  For P1 φ it equals :func:`volume`.
    """
    V = phi.function_space
    msh = V.mesh
    if msh.topology.dim != 2:
        raise ValueError("volume_refined: 2D meshes only")
    k = int(subdivisions)
    ref = [(i, j) for j in range(k + 1) for i in range(k + 1 - j)]
    number = {p: n for n, p in enumerate(ref)}
    tris = []
    for j in range(k):
        for i in range(k - j):
            tris.append((number[i, j], number[i + 1, j], number[i, j + 1]))
            if i + j < k - 1:
                tris.append((number[i + 1, j], number[i + 1, j + 1], number[i, j + 1]))
    tris = np.array(tris)
    pts = np.array(ref, dtype=float) / k
    values_at = V.element.basix_element.tabulate(0, pts)[0, :, :, 0]  # (points, dofs)
    num_cells = msh.topology.index_map(2).size_local
    values = phi.x.array[V.dofmap.list[:num_cells]] @ values_at.T
    corners = msh.geometry.x[msh.geometry.dofmaps[0][:num_cells]][:, :3, :2]
    hats = np.stack([1 - pts[:, 0] - pts[:, 1], pts[:, 0], pts[:, 1]], axis=1)
    x = np.einsum("pv,cvd->cpd", hats, corners)
    sub = clip_negative(x[:, tris].reshape(-1, 3, 2), values[:, tris].reshape(-1, 3))
    return _sum(msh.comm, float(simplex_volumes(sub).sum()))
