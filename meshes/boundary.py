r"""The domain boundary ∂Ω of a mesh, and how close a set comes to it.

The problem of the paper lives in :math:`\mathbb R^d`; the mesh's domain Ω
is a window on it.  A set that comes near ∂Ω feels the window (a natural
boundary condition for the finite-element schemes, the cut-off balls or the
outside counted as class 0 for the adversarial scheme), so every run
measures its *boundary margin*: the distance from the set to ∂Ω.

:class:`DomainBoundary` gathers the exterior facets of a mesh once (on every
rank: ∂Ω has far fewer facets than Ω has cells) and gives exact distances to
them (:func:`advmcf.meshes._simplices.distance_to_simplices`) and the margin of
a set {φ < 0}: the smallest distance to ∂Ω of a mesh vertex inside the set.
The piecewise-linear set reaches at most one cell beyond its inside
vertices, so the true distance of the set to ∂Ω lies in
[margin − h_max, margin]; a set containing a vertex of ∂Ω has margin 0.
"""

from __future__ import annotations

import dolfinx
import numpy as np
from dolfinx import fem
from mpi4py import MPI

from advmcf.meshes._simplices import distance_to_simplices
from advmcf.meshes.sets import vertex_coordinates

__all__ = ["DomainBoundary"]


class DomainBoundary:
    """∂Ω of a mesh: its facets on every rank, distances to them, and margins of sets (collective).

    Args:
        V: a scalar P1 space on the mesh (the space of the level sets).

    Attributes:
        facets: ``(num_facets, gdim, gdim)`` vertex coordinates of every exterior facet of the mesh
            (all ranks', on every rank): segments in 2D, triangles in 3D.
        vertex_distance: ``(num_dofs,)`` the distance to ∂Ω of each vertex of ``V`` (owned, then
            ghosts); local.
    """

    def __init__(self, V: fem.FunctionSpace):
        msh = V.mesh
        tdim, gdim = msh.topology.dim, msh.geometry.dim
        msh.topology.create_connectivity(tdim - 1, tdim)
        local = dolfinx.mesh.exterior_facet_indices(msh.topology)
        num_owned = msh.topology.index_map(tdim - 1).size_local
        local = local[local < num_owned]  # each facet once, from its owner
        nodes = dolfinx.mesh.entities_to_geometry(msh, tdim - 1, local.astype(np.int32))
        mine = msh.geometry.x[nodes][:, :, :gdim] if local.size else np.zeros((0, tdim, gdim))
        self.facets = np.concatenate(msh.comm.allgather(np.ascontiguousarray(mine)))
        self.V, self.comm, self.gdim = V, msh.comm, gdim
        self.vertex_distance = self.distance(vertex_coordinates(V)[:, :gdim])

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Exact distances ``(num_points,)`` from ``points`` ``(num_points, gdim)`` to ∂Ω (local)."""
        return distance_to_simplices(np.asarray(points, dtype=float)[:, : self.gdim], self.facets)

    def margin(self, phi: fem.Function) -> float:
        r"""The smallest distance to ∂Ω of a vertex inside {phi < 0} (global); inf for the empty set.

        ``phi`` is a P1 function on the space this boundary was made for.
        """
        n = self.V.dofmap.index_map.size_local
        inside = phi.x.array[:n] < 0
        local = float(self.vertex_distance[:n][inside].min()) if inside.any() else np.inf
        return self.comm.allreduce(local, op=MPI.MIN)
