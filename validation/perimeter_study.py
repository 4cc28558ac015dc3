r"""How accurate is the discrete Per_ε?  Straight interfaces by direction, discs, balls, an ellipse.

The measurements behind the ``perimeter`` suite kind, on vertex data gathered
once (:class:`nonlocal_.Vertices`) and the array kernel
:func:`nonlocal_.functional.vertex_perimeter`:

- :func:`straight_interface_errors`: a half-space :math:`\{n\cdot x < s\}`
  with :math:`\rho_0 = \rho_1 = 1/2` has Per_ε = 1 per unit length (area in
  3D) of interface.  Its terms are summed with a smooth window weight ω of
  the vertices' tangential coordinates (1 on [−a, a], a cos² taper over a
  further a/2, a product of two in 3D) far from ∂Ω, and divided by ∫ω; the
  smooth taper keeps the sum free of the lattice's edge effects (a sharp
  window counts 67 or 68 vertices of a row depending on its shift: a bias
  of 0.5 %).  The relative error, for several offsets s, measures the
  direction dependence of the discretization alone (no corners, no
  curvature).  Averaged over offsets
  it converges to the support-function error of the neighbourhood
  (:mod:`nonlocal_.mixture`).
- :func:`closed_set_errors`: Per_ε of a set at random positions against its
  exact value (:func:`validation.references.ball_perimeter_eps`,
  :func:`validation.references.tube_perimeter_eps`).
"""

from __future__ import annotations

import numpy as np

from nonlocal_.functional import vertex_perimeter

__all__ = ["straight_interface_errors", "closed_set_errors", "tangent_basis"]


def tangent_basis(normal: np.ndarray) -> np.ndarray:
    """``(d - 1, d)`` orthonormal vectors orthogonal to the unit ``normal`` (2D: its rotation by +90°)."""
    n = np.asarray(normal, float)
    if n.size == 2:
        return np.array([[-n[1], n[0]]])
    helper = np.eye(3)[int(np.argmin(np.abs(n)))]
    t1 = np.cross(n, helper)
    t1 /= np.linalg.norm(t1)
    return np.array([t1, np.cross(n, t1)])


def _window(tau: np.ndarray, a: float) -> np.ndarray:
    """ω(τ): 1 for |τ| ≤ a, cos²(π(|τ| − a)/a) for a < |τ| < 3a/2, 0 beyond (∫ω = 5a/2)."""
    u = np.clip((np.abs(tau) - a) / (a / 2), 0.0, 1.0)
    return np.cos(np.pi / 2 * u) ** 2


def straight_interface_errors(x, m, mixture, normal, offsets, centre, half_width) -> np.ndarray:
    r"""Relative errors of Per_ε per unit size of the interfaces :math:`\{n\cdot(x - c) = s\}`.

    Args:
        x: ``(num_vertices, d)`` coordinates; m: ``(num_vertices,)`` masses.
        mixture: the :class:`~nonlocal_.mixture.BallMixture`.
        normal: ``(d,)`` unit normal n; offsets: the values s.
        centre: ``(d,)`` point c on the window's axis; half_width: a.  The
            window (tangential extent 3a/2 from c) plus twice the reach of
            the mixture must stay inside Ω.

    Returns:
        ``(len(offsets),)`` values :math:`\mathrm{Per}_\varepsilon^{window}/|window| - 1`.
    """
    x = np.asarray(x, float)
    n = np.asarray(normal, float)
    y = x - np.asarray(centre, float)
    omega = np.prod(_window(y @ tangent_basis(n).T, half_width), axis=1)
    size = (2.5 * half_width) ** (x.shape[1] - 1)
    out = []
    for s in offsets:
        coef = np.where(np.abs(y @ n - s) <= 2 * mixture.reach, 0.5 * m * omega / mixture.eps, 0.0)
        out.append(vertex_perimeter(x, y @ n < s, coef, coef, mixture) / size - 1.0)
    return np.array(out)


def closed_set_errors(x, m, mixture, rho0, rho1, inside_at, exact_at, centres) -> np.ndarray:
    r"""Relative errors of Per_ε of a set placed at several centres.

    Args:
        x, m: vertex coordinates ``(num_vertices, d)`` and masses.
        mixture: the :class:`~nonlocal_.mixture.BallMixture`.
        rho0, rho1: ``(num_vertices,)`` density values at the vertices.
        inside_at: ``inside_at(c)`` → ``(num_vertices,)`` bool, the set centred at c.
        exact_at: ``exact_at(c)`` → its exact Per_ε.
        centres: ``(num_centres, d)``.
    """
    eps = mixture.eps
    return np.array([vertex_perimeter(x, inside_at(c), m * rho0 / eps, m * rho1 / eps, mixture) / exact_at(c) - 1
                     for c in np.atleast_2d(centres)])
