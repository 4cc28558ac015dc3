r"""Mesh vertices gathered on rank 0 in a partition-independent order.

The nonlocal quantities live on the vertices of a P1 space with lumped masses
:math:`m_i = \int_\Omega \psi_i\,dx` (the row sums of the P1 mass matrix).
Every rank sends its owned vertices (coordinates, masses, values) to rank 0,
which sorts them lexicographically by coordinates: the order, the ε-balls and
every sum are then the same on any number of ranks, which is what makes 1 and
N ranks give identical sets.  Results go back with :meth:`Vertices.scatter`.

This gathers the whole vertex set (coordinates and masses, O(N) memory on
rank 0); the ε-balls and the graph are built only on a band (see
:mod:`advmcf.nonlocal_.step`).
"""

from __future__ import annotations

import dolfinx
import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI

from advmcf.meshes.sets import vertex_coordinates

__all__ = ["Vertices"]


def _boundary_dofs(V: fem.FunctionSpace) -> np.ndarray:
    """``(num_dofs,)`` bool: the P1 dofs on the exterior facets of the mesh (owned and ghosts)."""
    msh = V.mesh
    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    facets = dolfinx.mesh.exterior_facet_indices(msh.topology)
    flags = np.zeros(V.dofmap.index_map.size_local + V.dofmap.index_map.num_ghosts, dtype=bool)
    flags[fem.locate_dofs_topological(V, tdim - 1, facets)] = True
    # a vertex owned here may lie on an exterior facet another rank owns
    f = fem.Function(V)
    f.x.array[:] = flags
    f.x.scatter_reverse(dolfinx.la.InsertMode.add)
    return f.x.array > 0


def _lumped_masses(V: fem.FunctionSpace) -> np.ndarray:
    r"""``(num_owned,)`` lumped masses :math:`m_i = \sum_{K \ni i} |K|/(d+1)` of the owned P1 dofs
    (the row sums of the P1 mass matrix on affine simplices), the same to the last bit on any
    partition of the mesh.

    Summing a vertex's cell shares in floating point gives a result that
    depends on which rank adds what (the last bit of 1762 of 3929 masses
    on a crossed mesh differed between 1 and 2 ranks): each cell's share is rounded to an
    integer number of units :math:`2^{-k}` (k from the largest share, so that a
    vertex's sum stays below 2^62) and the integers are summed exactly.
    The cell measures |K| (DG0 assembly) are computed from the cell's own
    vertices, identically on every partition.
    """
    msh = V.mesh
    tdim = msh.topology.dim
    num_cells = msh.topology.index_map(tdim).size_local
    V0 = fem.functionspace(msh, ("DG", 0))
    measure = fem.assemble_vector(fem.form(ufl.TestFunction(V0) * ufl.dx)).array
    share = measure[V0.dofmap.list[:num_cells, 0]] / (tdim + 1)
    largest = msh.comm.allreduce(float(share.max(initial=0.0)), op=MPI.MAX)
    scale = 2.0 ** np.floor(np.log2(2.0**55 / largest))  # a vertex has fewer than 2^7 cells
    total = dolfinx.la.vector(V.dofmap.index_map, 1, dtype=np.int64)
    total.array[:] = 0
    np.add.at(total.array, V.dofmap.list[:num_cells].ravel(), np.repeat(np.rint(share * scale).astype(np.int64),
                                                                        tdim + 1))
    total.scatter_reverse(dolfinx.la.InsertMode.add)
    return total.array[: V.dofmap.index_map.size_local] / scale


class Vertices:
    """The owned vertices of a P1 space, gathered on rank 0 (collective).

    Attributes (rank 0; ``None`` on the other ranks):
        x: ``(num_vertices, gdim)`` coordinates, sorted lexicographically.
        m: ``(num_vertices,)`` lumped masses in the same order.
        boundary: ``(num_vertices,)`` bool, the vertices on ∂Ω.
    """

    def __init__(self, V: fem.FunctionSpace):
        self.V = V
        self.comm = V.mesh.comm
        gdim = V.mesh.geometry.dim
        imap = V.dofmap.index_map
        if V.dofmap.index_map_bs != 1 or imap.size_local != V.mesh.topology.index_map(0).size_local:
            raise ValueError("nonlocal_: the level-set function must be scalar P1 (one value per vertex)")
        self.num_owned = imap.size_local
        self.num_global = imap.size_global
        xloc = vertex_coordinates(V)[: self.num_owned, :gdim]
        mloc = _lumped_masses(V)
        self.counts = self.comm.gather(self.num_owned, root=0)
        x = self._gather_raw(xloc)
        m = self._gather_raw(mloc)
        on_boundary = self._gather_raw(_boundary_dofs(V)[: self.num_owned])
        self.x = self.m = self.boundary = self.order = None
        if self.comm.rank == 0:
            self.order = np.lexsort(tuple(x[:, k] for k in reversed(range(gdim))))
            self.x = np.ascontiguousarray(x[self.order])
            self.m = m[self.order]
            self.boundary = on_boundary[self.order]

    @property
    def is_root(self) -> bool:
        return self.comm.rank == 0

    def _gather_raw(self, a: np.ndarray):
        parts = self.comm.gather(np.ascontiguousarray(a), root=0)
        return np.concatenate(parts) if self.comm.rank == 0 else None

    def gather(self, f: fem.Function):
        """Owned values of the P1 function ``f`` in sorted order on rank 0."""
        a = self._gather_raw(f.x.array[: self.num_owned])
        return a[self.order] if self.is_root else None

    def points3(self) -> np.ndarray:
        """``(3, num_vertices)`` coordinates on rank 0, for density callables."""
        x3 = np.zeros((3, self.x.shape[0]))
        x3[: self.x.shape[1]] = self.x.T
        return x3

    def scatter(self, values, name: str = "phi") -> fem.Function:
        """A P1 function whose vertex values are ``values`` (sorted order, rank 0)."""
        parts = None
        if self.is_root:
            flat = np.empty_like(values)
            flat[self.order] = values
            parts = np.split(flat, np.cumsum(self.counts)[:-1])
        own = self.comm.scatter(parts, root=0)
        f = fem.Function(self.V, name=name)
        f.x.array[: self.num_owned] = own
        f.x.scatter_forward()
        return f
