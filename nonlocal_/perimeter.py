r"""The nonlocal perimeter :math:`\mathrm{Per}_\varepsilon` and total variation
:math:`TV_\varepsilon` of sets and P1 functions on a mesh (:ref:`theory-perimeter`, :ref:`theory-discretization`).

With lumped P1 masses :math:`m_i`, ``u`` given at the vertices and the
ε-neighbourhood of a :class:`~advmcf.nonlocal_.mixture.BallMixture` (radii
:math:`r_k`, weights :math:`w_k`),

.. math::
    TV_\varepsilon(u) = \frac{1}{\varepsilon} \sum_i m_i \sum_k w_k \Big[
        \rho_0(x_i) \big(\max_{B_{r_k}(i)} u - u_i\big)
      + \rho_1(x_i) \big(u_i - \min_{B_{r_k}(i)} u\big) \Big],
    \qquad
    \mathrm{Per}_\varepsilon(A) = TV_\varepsilon(1_A),

with :math:`A = \{\varphi < 0\}` on the vertices (the formula lives in
:mod:`advmcf.nonlocal_.functional`).  ρ0 weighs the outer band (class 0, outside
A, within ε of A), ρ1 the inner band; with ρ0 ≠ ρ1,
:math:`TV_\varepsilon(-u) \ne TV_\varepsilon(u)`.

``discretization`` chooses the neighbourhood: ``"isotropic"`` (default) the
mixture fitted on the mesh (:func:`advmcf.nonlocal_.mixture.fitted`), ``"plain"``
the vertex ball of radius ε (crystalline: an O(h/ε) error that depends on the
direction of the interface), or a :class:`~advmcf.nonlocal_.mixture.BallMixture`
from :func:`neighbourhood` (fitting costs about a second; pass it to reuse
it).  Values are global (the same on every rank); the work is done on rank
0 (:mod:`advmcf.nonlocal_.vertices`).
"""

from __future__ import annotations

import weakref

import numpy as np
from dolfinx import fem

from advmcf.meshes.densities import density_values
from advmcf.meshes.mpi import on_root

from ._checks import check_choice, check_eps_for_mesh, check_positive
from .vertices import Vertices
from .functional import vertex_perimeter, vertex_total_variation
from .mixture import DISCRETIZATIONS, BallMixture, fitted, plain

__all__ = ["perimeter", "total_variation", "neighbourhood", "resolve_mixture", "check_arguments"]


#: fitted mixtures by mesh (weakly: they go with the mesh) and ε, on rank 0
_FITTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def resolve_mixture(verts: Vertices, eps: float, discretization) -> BallMixture:
    """The mixture for ``discretization`` (a name or a BallMixture for this ε), on rank 0.

    A fitted mixture depends only on the mesh's vertices and ε; it is kept
    for the mesh's lifetime, so the schemes, studies and perimeters on one
    mesh fit it once.
    """
    if isinstance(discretization, BallMixture):
        if not np.isclose(discretization.eps, eps, rtol=1e-12, atol=0):
            raise ValueError(f"discretization: the given neighbourhood was made for eps = "
                             f"{discretization.eps:g}, not eps = {eps:g}")
        return discretization
    if discretization == "plain":
        return plain(eps)
    cache = _FITTED.setdefault(verts.V.mesh, {})
    if eps not in cache:
        cache[eps] = fitted(verts.x, verts.boundary, eps)
    return cache[eps]


def check_arguments(eps, msh, discretization) -> float:
    """ε as a float, checked positive and large enough for the mesh; the discretization checked (agreed by
    every rank: :func:`advmcf.meshes.mpi.agreed`)."""
    from advmcf.meshes.mpi import agreed

    eps = agreed(msh.comm, "eps and discretization", (eps, discretization if isinstance(discretization, str) else None),
                 check_positive, "eps", eps)
    if not isinstance(discretization, BallMixture):
        check_choice("discretization", discretization, DISCRETIZATIONS)
    check_eps_for_mesh(eps, msh)
    return eps


def neighbourhood(V: fem.FunctionSpace, eps: float, discretization: str = "isotropic") -> BallMixture:
    r"""The ε-neighbourhood of the vertices of ``V``'s mesh (collective; the same on every rank).

    ``V`` is a scalar P1 space (its mesh's vertices are the points).  Pass
    the result as ``discretization=`` to :func:`perimeter`,
    :func:`total_variation` or the scheme to reuse it.
    """
    eps = check_arguments(eps, V.mesh, discretization)
    verts = Vertices(V)
    return on_root(verts.comm, lambda: resolve_mixture(verts, eps, discretization))


def _on_root_with_vertex_data(u: fem.Function, rho0, rho1, eps, discretization, fn) -> float:
    """Check the arguments, gather u and the vertex data on rank 0, and return the broadcast
    ``fn(x, u_values, c0, c1, mixture)`` computed there (c = m ρ / ε)."""
    eps = check_arguments(eps, u.function_space.mesh, discretization)
    verts = Vertices(u.function_space)
    vals = verts.gather(u)

    def work():
        x3 = verts.points3()
        c0 = verts.m * density_values("rho0", rho0, x3) / eps
        c1 = verts.m * density_values("rho1", rho1, x3) / eps
        return fn(verts.x, vals, c0, c1, resolve_mixture(verts, eps, discretization))

    return on_root(verts.comm, work)


def perimeter(phi: fem.Function, rho0, rho1, eps: float, *, discretization="isotropic") -> float:
    r"""Per_ε({phi < 0}; ρ0, ρ1) on the vertices (global).

    ``phi`` is a P1 function; ``rho0``, ``rho1`` are density callables
    (``x`` of shape ``(3, num_points)``); ``discretization`` as in the module
    docstring.  Only nearest-neighbour queries, no balls.
    """
    return _on_root_with_vertex_data(
        phi, rho0, rho1, eps, discretization,
        lambda x, vals, c0, c1, mixture: vertex_perimeter(x, vals < 0, c0, c1, mixture))


def total_variation(u: fem.Function, rho0, rho1, eps: float, *, discretization="isotropic") -> float:
    r"""TV_ε(u; ρ0, ρ1) of a P1 function on the vertices (global).

    Builds the balls of every vertex (memory ~ number of vertices times
    vertices per ball): meant for moderate meshes and for tests.
    """
    return _on_root_with_vertex_data(u, rho0, rho1, eps, discretization, vertex_total_variation)
