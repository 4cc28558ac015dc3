r"""Sets on a mesh: the sublevel set :math:`\{\varphi < 0\}` of a P1 function.

Every scheme in advmcf reads and writes sets in this form, on the same mesh.
"""

from __future__ import annotations

import dolfinx
import numpy as np
from dolfinx import fem

__all__ = ["p1_space", "level_set", "vertex_coordinates"]


def p1_space(msh: dolfinx.mesh.Mesh) -> fem.FunctionSpace:
    """The scalar P1 Lagrange space on ``msh``: one degree of freedom per vertex."""
    return fem.functionspace(msh, ("Lagrange", 1))


def vertex_coordinates(V: fem.FunctionSpace) -> np.ndarray:
    """``(num_dofs, 3)`` coordinates of the P1 degrees of freedom (owned, then ghosts).

    Copied from the mesh geometry, so each vertex has bitwise the same
    coordinates on any partition; ``tabulate_dof_coordinates`` pushes the
    reference points forward cell by cell, and which cell a vertex is taken
    from depends on the partition (last-bit differences that can tip ties).
    """
    geom = V.mesh.geometry
    if geom.dofmaps[0].shape[1] != V.dofmap.list.shape[1]:
        raise ValueError("vertex_coordinates: needs an affine (P1) mesh geometry and a P1 space")
    imap = V.dofmap.index_map
    x = np.empty((imap.size_local + imap.num_ghosts, 3))
    x[V.dofmap.list.ravel()] = geom.x[geom.dofmaps[0].ravel()]
    return x


def level_set(msh_or_space, shape, name: str = "phi") -> fem.Function:
    r"""The P1 interpolant of a shape's signed distance: the set {phi < 0}.

    The nodal values are the shape's values at :func:`vertex_coordinates`
    (the same on any partition).

    Args:
        msh_or_space: a mesh (the P1 space is made) or a P1 function space.
        shape: a callable ``sdf(x)``, ``x`` of shape ``(3, num_points)``,
            returning ``(num_points,)`` values, negative inside
            (see :mod:`meshes.shapes`).
    """
    V = msh_or_space if isinstance(msh_or_space, fem.FunctionSpace) else p1_space(msh_or_space)
    phi = fem.Function(V, name=name)
    phi.x.array[:] = np.asarray(shape(vertex_coordinates(V).T), dtype=phi.x.array.dtype)
    return phi
