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
            (see :mod:`advmcf.meshes.shapes`).  A :class:`advmcf.meshes.shapes.Shape` must
            have the mesh's dimension.

    Raises:
        ValueError: one line, if ``msh_or_space`` is neither, the shape's
            dimension is not the mesh's, or the shape does not return one
            value (not NaN) per point (collective: raised on every rank).
    """
    if isinstance(msh_or_space, fem.FunctionSpace):
        V = msh_or_space
    elif isinstance(msh_or_space, dolfinx.mesh.Mesh):
        V = p1_space(msh_or_space)
    else:
        raise ValueError(f"level_set: the first argument must be a dolfinx mesh or a P1 function space, "
                         f"got {type(msh_or_space).__name__}")
    if not callable(shape):
        raise ValueError(f"level_set: shape must be a callable sdf(x) (see advmcf.meshes.shapes), got {shape!r}")
    gdim = V.mesh.geometry.dim
    dim = getattr(shape, "dim", None)
    if dim is not None and dim != gdim:
        raise ValueError(f"level_set: {shape!r} on a {gdim}D mesh: give the shape {gdim} coordinates")
    x = vertex_coordinates(V).T
    values = np.asarray(shape(x), dtype=float)
    problem = None
    if values.shape != (x.shape[1],):
        problem = (f"level_set: shape returned values of shape {values.shape} for {x.shape[1]} points; "
                   "it must map x of shape (3, n) to n values")
    elif np.isnan(values).any():
        j = int(np.argmax(np.isnan(values)))
        problem = f"level_set: shape is NaN at the vertex ({', '.join(f'{c:g}' for c in x[:gdim, j])})"
    # collective, so that a problem on one rank's vertices is raised on every rank
    problem = next((p for p in V.mesh.comm.allgather(problem) if p is not None), None)
    if problem is not None:
        raise ValueError(problem)
    phi = fem.Function(V, name=name)
    phi.x.array[:] = values
    return phi
