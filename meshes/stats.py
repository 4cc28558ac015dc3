"""Mesh statistics, computed collectively (global values on every rank)."""

from __future__ import annotations

from dataclasses import dataclass

import dolfinx
import numpy as np
from mpi4py import MPI

__all__ = ["MeshStats", "mesh_stats"]


@dataclass(frozen=True)
class MeshStats:
    """Global statistics of a mesh: edge lengths h_min, h_max and entity counts."""

    h_min: float
    h_max: float
    num_vertices: int
    num_cells: int


def mesh_stats(msh: dolfinx.mesh.Mesh) -> MeshStats:
    """h_min, h_max (shortest and longest edge) and the numbers of vertices and cells (global)."""
    if not isinstance(msh, dolfinx.mesh.Mesh):
        raise ValueError(f"mesh_stats: msh must be a dolfinx mesh, got {type(msh).__name__}")
    tdim = msh.topology.dim
    msh.topology.create_entities(1)
    msh.topology.create_connectivity(1, tdim)
    num_edges = msh.topology.index_map(1).size_local + msh.topology.index_map(1).num_ghosts
    if num_edges:
        geom_dofs = dolfinx.mesh.entities_to_geometry(msh, 1, np.arange(num_edges, dtype=np.int32))
        x = msh.geometry.x[geom_dofs[:, :2]]
        lengths = np.linalg.norm(x[:, 1] - x[:, 0], axis=1)
        lo, hi = float(lengths.min()), float(lengths.max())
    else:
        lo, hi = np.inf, 0.0
    comm = msh.comm
    return MeshStats(comm.allreduce(lo, op=MPI.MIN), comm.allreduce(hi, op=MPI.MAX),
                     msh.topology.index_map(0).size_global, msh.topology.index_map(tdim).size_global)
