r"""Distances to the interface of a set: signed distance and Hausdorff distance.

The interface of :math:`A = \{\varphi < 0\}` is the piecewise-linear zero
level set of φ (:mod:`advmcf.meshes.interface`).  The whole interface (all ranks'
pieces) is gathered on every rank, and exact Euclidean distances to the union
of its simplices are computed (a branch and bound over a k-d tree of the
simplices: :func:`advmcf.meshes._simplices.distance_to_simplices`).
"""

from __future__ import annotations

import numpy as np
from dolfinx import fem
from advmcf.meshes._simplices import distance_to_simplices
from advmcf.meshes.interface import interface
from advmcf.meshes.sets import vertex_coordinates

__all__ = ["signed_distance", "distance_to_simplices", "hausdorff"]


def signed_distance(phi: fem.Function, cutoff: float | None = None) -> fem.Function:
    r"""The P1 function of signed distances to the whole interface of {phi < 0} (collective).

    Value at a vertex x: :math:`-\mathrm{dist}(x, \Gamma)` where φ(x) < 0, else
    :math:`+\mathrm{dist}(x, \Gamma)`, Γ the piecewise-linear zero level set of
    φ on all ranks.  With ``cutoff``, values are clipped to [−cutoff, cutoff]
    and vertices certainly farther than the cutoff are not searched at all.
    An empty interface gives ±inf (or ±cutoff).
    """
    gdim = phi.function_space.mesh.geometry.dim
    simplices = interface(phi).gathered()
    x = vertex_coordinates(phi.function_space)[:, :gdim]
    d = distance_to_simplices(x, simplices, cutoff)
    out = fem.Function(phi.function_space, name="signed_distance")
    out.x.array[:] = np.where(phi.x.array < 0, -d, d)
    return out


def hausdorff(phi: fem.Function, psi: fem.Function) -> float:
    r"""Hausdorff distance between the interfaces of {phi < 0} and {psi < 0} (global).

    :math:`\max(\sup_{x\in\Gamma_\varphi} d(x, \Gamma_\psi), \sup_{y\in\Gamma_\psi} d(y, \Gamma_\varphi))`,
    with the suprema taken over the vertices and centroids of each interface's
    pieces (exact distances to the other, piecewise-linear, interface).  This
    misses the true supremum by at most the distance function's variation
    within a piece, O(h^2) for smooth nearby interfaces.  Raises ValueError if
    an interface is empty (the distance to the empty set is undefined).
    """
    gamma = [interface(f).gathered() for f in (phi, psi)]
    for f, g in zip((phi, psi), gamma):
        if g.shape[0] == 0:
            raise ValueError(f"hausdorff: the interface of {f.name!r} is empty (the set is empty or everything)")
    d = 0.0
    for a, b in ((0, 1), (1, 0)):
        pieces = gamma[a]
        points = np.concatenate([pieces.reshape(-1, pieces.shape[2]), pieces.mean(axis=1)])
        d = max(d, float(distance_to_simplices(points, gamma[b]).max()))
    return d
