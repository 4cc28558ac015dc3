r"""The nonlocal perimeter :math:`\mathrm{Per}_\varepsilon` and total variation
:math:`TV_\varepsilon` on mesh vertices (DESIGN.md §2).

With lumped P1 masses :math:`m_i`, closed vertex balls
:math:`B_i = \{j : |x_j - x_i| \le \varepsilon\}` and :math:`u` given at the
vertices,

.. math::
    TV_\varepsilon(u) = \frac{1}{\varepsilon} \sum_i m_i \Big[
        \rho_0(x_i) \big(\max_{B_i} u - u_i\big)
      + \rho_1(x_i) \big(u_i - \min_{B_i} u\big) \Big],
    \qquad
    \mathrm{Per}_\varepsilon(A) = TV_\varepsilon(1_A),

with :math:`A = \{\varphi < 0\}` on the vertices.  ρ0 weighs the outer band
(class 0, outside A, within ε of A), ρ1 the inner band; with ρ0 ≠ ρ1,
:math:`TV_\varepsilon(-u) \ne TV_\varepsilon(u)`.  Values are global (the
same on every rank); the work is done on rank 0 (:mod:`nonlocal_._vertices`).
"""

from __future__ import annotations

import numpy as np
from dolfinx import fem

from meshes.densities import density_values
from meshes.mpi import on_root

from ._checks import check_eps_for_mesh, check_positive
from ._vertices import Vertices
from .neighbours import ball_max, ball_min, balls, nearest_other_phase_within

__all__ = ["perimeter", "total_variation", "perimeter_of_vertex_set"]


def perimeter_of_vertex_set(x, m, inside, rho0_vals, rho1_vals, eps) -> float:
    r"""Per_ε of a vertex set from arrays (no MPI).

    Args:
        x: ``(num_points, gdim)`` coordinates; m: ``(num_points,)`` masses.
        inside: ``(num_points,)`` bool, the set.
        rho0_vals, rho1_vals: ``(num_points,)`` density values, or callables
            evaluated only on the vertices within ε of the other phase.
        eps: the budget ε.
    """
    near = nearest_other_phase_within(x, inside, eps)
    out, inn = near & ~inside, near & inside
    return float((np.sum(m[out] * _vals(rho0_vals, x, out)) + np.sum(m[inn] * _vals(rho1_vals, x, inn))) / eps)


def _vals(rho, x, mask):
    if callable(rho):
        x3 = np.zeros((3, np.count_nonzero(mask)))
        x3[: x.shape[1]] = x[mask].T
        return density_values("rho", rho, x3)
    return rho[mask]


def _on_root_with_vertex_data(u: fem.Function, rho0, rho1, eps: float, fn) -> float:
    """Check ε, gather u and the vertex data on rank 0, and return the broadcast
    ``fn(verts, u_values, rho0_values, rho1_values)`` computed there."""
    eps = check_positive("eps", eps)
    check_eps_for_mesh(eps, u.function_space.mesh)
    verts = Vertices(u.function_space)
    vals = verts.gather(u)

    def work():
        x3 = verts.points3()
        return fn(verts, vals, density_values("rho0", rho0, x3), density_values("rho1", rho1, x3))

    return on_root(verts.comm, work)


def perimeter(phi: fem.Function, rho0, rho1, eps: float) -> float:
    r"""Per_ε({phi < 0}; ρ0, ρ1) on the vertices (global).

    ``phi`` is a P1 function; ``rho0``, ``rho1`` are density callables
    (``x`` of shape ``(3, num_points)``).  Only vertices within ε of the other
    phase are visited (a nearest-neighbour query, no balls).
    """
    return _on_root_with_vertex_data(
        phi, rho0, rho1, eps,
        lambda verts, vals, r0, r1: perimeter_of_vertex_set(verts.x, verts.m, vals < 0, r0, r1, float(eps)))


def total_variation(u: fem.Function, rho0, rho1, eps: float) -> float:
    r"""TV_ε(u; ρ0, ρ1) of a P1 function on the vertices (global).

    Builds the ε-balls of every vertex (memory ~ number of vertices times
    vertices per ball): meant for moderate meshes and for tests.
    """

    def tv(verts, vals, r0, r1):
        b = balls(verts.x, float(eps))
        return float(np.sum(verts.m * (r0 * (ball_max(vals, b) - vals) + r1 * (vals - ball_min(vals, b))))
                     / float(eps))

    return _on_root_with_vertex_data(u, rho0, rho1, eps, tv)
