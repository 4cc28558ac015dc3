r"""The interface of a set on a mesh: the piecewise-linear zero level set of φ.

For :math:`A = \{\varphi < 0\}` with φ P1, ∂A is, in every cell where φ
changes sign, the part of the plane φ = 0 inside the cell: a segment in 2D, a
triangle or a quadrilateral (split into two triangles) in 3D.  Its vertices
lie on cell edges, at the linear-interpolation crossings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from dolfinx import fem
from mpi4py import MPI

from advmcf.meshes import checks
from advmcf.meshes._simplices import cut_faces, integrate, owned_cells, simplex_volumes

__all__ = ["Interface", "interface", "interface_integral"]


@dataclass(frozen=True)
class Interface:
    """Pieces of a piecewise-linear interface.

    Attributes:
        simplices: ``(n, gdim, gdim)`` vertex coordinates of the pieces from
            this rank's owned cells (segments in 2D, triangles in 3D); local.
        comm: the mesh communicator.
    """

    simplices: np.ndarray
    comm: MPI.Comm

    def gathered(self) -> np.ndarray:
        """All ranks' pieces, ``(N, gdim, gdim)``, on every rank (collective)."""
        return np.concatenate(self.comm.allgather(self.simplices))

    def measure(self) -> float:
        """Length (2D) or area (3D) of the whole interface; global (collective)."""
        return self.comm.allreduce(float(simplex_volumes(self.simplices).sum()), op=MPI.SUM)


def interface(phi: fem.Function) -> Interface:
    """The zero level set of the P1 function ``phi``, from the owned cells of each rank.

    Only the cells that :func:`~advmcf.meshes._simplices.cut_faces` would cut
    (a vertex with φ < 0 and one with φ ≥ 0) are read, in cell order: the same
    pieces in the same order as from all cells, with O(cut cells) geometry work.
    """
    checks.p1_function("phi", phi)
    V = phi.function_space
    msh = V.mesh
    gdim, tdim = msh.geometry.dim, msh.topology.dim
    num_cells = msh.topology.index_map(tdim).size_local
    negative = np.count_nonzero(phi.x.array[V.dofmap.list[:num_cells]] < 0, axis=1)
    cut = np.flatnonzero((negative > 0) & (negative < tdim + 1))
    P = owned_cells(phi, cells=cut)
    pieces = cut_faces(P[:, :, :gdim], P[:, :, gdim])
    return Interface(np.ascontiguousarray(pieces), phi.function_space.mesh.comm)


def interface_integral(phi: fem.Function, f, degree: int = 4) -> float:
    r""":math:`\int_{\{\varphi = 0\}} f\,dH^{d-1}`, global (collective).

    ``f`` is a callable on points of shape ``(3, num_points)``, or None for
    the length/area.  Gauss quadrature of the given degree on each piece.
    """
    iface = interface(phi)
    return iface.comm.allreduce(integrate(iface.simplices, f, degree), op=MPI.SUM)
