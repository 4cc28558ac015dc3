r"""Exact integrals over sets on a mesh, on cut cells (never counts of vertices).

Every cell cut by the zero level set of the P1 function φ is split exactly
into sub-simplices of {φ < 0} (φ is affine on the cell); areas and volumes are
then exact to round-off, and integrals of a smooth ρ use Gauss quadrature of
the given degree on the sub-simplices.  All results are global (collective).
"""

from __future__ import annotations

from dolfinx import fem
from mpi4py import MPI

from meshes._simplices import clip_negative, integrate, owned_cells

__all__ = ["volume", "mass", "symmetric_difference"]


def _sum(comm, value: float) -> float:
    return comm.allreduce(value, op=MPI.SUM)


def volume(phi: fem.Function) -> float:
    r"""Area (2D) or volume (3D) of :math:`\{\varphi < 0\}`, exact."""
    return mass(phi, None)


def mass(phi: fem.Function, rho, degree: int = 4) -> float:
    r""":math:`\int_{\{\varphi < 0\}} \rho\,dx`; ``rho`` a callable on ``(3, n)`` points, or None for 1."""
    gdim = phi.function_space.mesh.geometry.dim
    P = owned_cells(phi)
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
