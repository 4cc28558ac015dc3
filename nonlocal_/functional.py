r"""The discrete Per_ε and TV_ε of vertex data: the one kernel every caller uses.

On points :math:`x_i` with coefficients :math:`c_{0,i} = m_i\rho_0(x_i)/\varepsilon`,
:math:`c_{1,i} = m_i\rho_1(x_i)/\varepsilon` (m the lumped masses) and a
:class:`~advmcf.nonlocal_.mixture.BallMixture` (radii :math:`r_k`, weights
:math:`w_k`),

.. math::
    TV_\varepsilon(u) = \sum_i \sum_k w_k \Big[
        c_{0,i} \big(\max_{B_{r_k}(i)} u - u_i\big)
      + c_{1,i} \big(u_i - \min_{B_{r_k}(i)} u\big) \Big],
    \qquad
    \mathrm{Per}_\varepsilon(A) = TV_\varepsilon(1_A)
      = \sum_{i \notin A} c_{0,i} F(d_A(x_i)) + \sum_{i \in A} c_{1,i} F(d_{A^c}(x_i)),

with :math:`F(d) = \sum_k w_k [d \le r_k]` and :math:`d_A(x)` the distance
from x to the nearest point of A.  ρ0 weighs the outer band (class 0,
outside A), ρ1 the inner band; with ρ0 ≠ ρ1,
:math:`TV_\varepsilon(-u) \ne TV_\varepsilon(u)`.  For the plain mixture
(one ball of radius ε) this is the vertex discretization of :ref:`theory-discretization`.
Nothing here knows about meshes or MPI; :mod:`advmcf.nonlocal_.perimeter` gathers
mesh data and calls these.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from .mixture import BallMixture, closed_radius
from .neighbours import ball_max, ball_min, balls, distance_to_other_phase

__all__ = ["vertex_perimeter", "vertex_total_variation", "centred_perimeter"]


def vertex_perimeter(x: np.ndarray, inside: np.ndarray, c0: np.ndarray, c1: np.ndarray,
                     mixture: BallMixture) -> float:
    r"""Per_ε of the vertex set ``inside`` (module docstring).

    Args:
        x: ``(num_points, gdim)`` coordinates.
        inside: ``(num_points,)`` bool, the set A.
        c0, c1: ``(num_points,)`` coefficients :math:`m\rho_0/\varepsilon`,
            :math:`m\rho_1/\varepsilon` (zero where a point's term is not
            counted).
        mixture: the ε-neighbourhood.
    """
    inside = np.asarray(inside, dtype=bool)
    d = distance_to_other_phase(x, inside, closed_radius(mixture.reach))
    return float(np.sum(np.where(inside, c1, c0) * mixture.profile(d)))


def vertex_total_variation(x: np.ndarray, u: np.ndarray, c0: np.ndarray, c1: np.ndarray,
                           mixture: BallMixture) -> float:
    r"""TV_ε of the vertex values ``u`` (module docstring); builds the balls (moderate sizes)."""
    u = np.asarray(u, dtype=float)
    b = balls(x, mixture.reach)
    return float(sum(w * np.sum(c0 * (ball_max(u, b, r) - u) + c1 * (u - ball_min(u, b, r)))
                     for r, w in zip(mixture.radii, mixture.weights)))


def centred_perimeter(x: np.ndarray, inside: np.ndarray, centres: np.ndarray, own: np.ndarray, c0: np.ndarray,
                      c1: np.ndarray, mixture: BallMixture) -> float:
    r"""Per_ε of the vertex set ``inside`` with terms centred off the points.

    Term t has a centre :math:`y_t` and an own point :math:`o_t` in the smallest ball of
    :math:`y_t`:

    .. math::
        \sum_t \sum_k w_k \big[c_{0,t} (\max_{B_{r_k}(y_t)} u - u_{o_t})
                             + c_{1,t} (u_{o_t} - \min_{B_{r_k}(y_t)} u)\big]
        = \sum_{o_t \notin A} c_{0,t} F(d_A(y_t)) + \sum_{o_t \in A} c_{1,t} F(d_{A^c}(y_t)),

    :math:`B_r(y)` the points within r of y, F and :math:`d_A` as in the module docstring.  With
    :math:`y_t = x_{o_t}` it is :func:`vertex_perimeter` term by term.

    Args:
        x: ``(num_points, gdim)`` coordinates; inside: ``(num_points,)`` bool, the set A.
        centres: ``(num_terms, gdim)``; own: ``(num_terms,)`` int, the own points.
        c0, c1: ``(num_terms,)`` coefficients; mixture: the ε-neighbourhood.
    """
    inside = np.asarray(inside, dtype=bool)
    own_in = inside[np.asarray(own, dtype=np.int64)]
    d = np.full(own_in.size, np.inf)
    for phase in (True, False):  # terms whose own point is outside A look for A, and conversely
        src, dst = np.flatnonzero(inside == phase), np.flatnonzero(own_in != phase)
        if src.size and dst.size:
            d[dst], _ = cKDTree(x[src]).query(centres[dst], k=1, distance_upper_bound=closed_radius(mixture.reach))
    return float(np.sum(np.where(own_in, c1, c0) * mixture.profile(d)))
