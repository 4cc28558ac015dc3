r"""Sets on a mesh: the sublevel set :math:`\{\varphi < 0\}` of a P1 function.

Every scheme in advmcf reads and writes sets in this form, on the same mesh.
"""

from __future__ import annotations

import dolfinx
import numpy as np
from dolfinx import fem

__all__ = ["p1_space", "level_set"]


def p1_space(msh: dolfinx.mesh.Mesh) -> fem.FunctionSpace:
    """The scalar P1 Lagrange space on ``msh``: one degree of freedom per vertex."""
    return fem.functionspace(msh, ("Lagrange", 1))


def level_set(msh_or_space, shape, name: str = "phi") -> fem.Function:
    r"""The P1 interpolant of a shape's signed distance: the set {phi < 0}.

    Args:
        msh_or_space: a mesh (the P1 space is made) or a P1 function space.
        shape: a callable ``sdf(x)``, ``x`` of shape ``(3, num_points)``,
            returning ``(num_points,)`` values, negative inside
            (see :mod:`meshes.shapes`).
    """
    V = msh_or_space if isinstance(msh_or_space, fem.FunctionSpace) else p1_space(msh_or_space)
    phi = fem.Function(V, name=name)
    phi.interpolate(lambda x: np.asarray(shape(x), dtype=phi.x.array.dtype))
    phi.x.scatter_forward()
    return phi
