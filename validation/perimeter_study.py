r"""How accurate is the discrete Per_ε?  Straight interfaces by direction, discs, balls, an ellipse.

The measurements behind the ``perimeter`` suite kind, on vertex data gathered
once (:class:`advmcf.nonlocal_.Vertices`) and the array kernel
:func:`advmcf.nonlocal_.functional.vertex_perimeter`:

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
  (:mod:`advmcf.nonlocal_.mixture`).
- :func:`closed_set_errors`: Per_ε of a set at random positions against its
  exact value (:func:`advmcf.validation.references.ball_perimeter_eps`,
  :func:`advmcf.validation.references.tube_perimeter_eps`).

:func:`perimeter_run` is one run of a ``perimeter`` study (:mod:`advmcf.validation.suites`):
on the box [−1, 1]^d meshed by ``mesh`` ("crossed": the structured mesh;
"gmsh": gmsh's frontal mesher, a nearly hexagonal lattice; "gmsh_delaunay":
irregular) at h = ε/(ε/h), the relative errors of Per_ε with one
discretization:

- ``straight``: interfaces at ``angles`` directions in [0°, 90°) (2D) or 7
  normals (3D), ρ0 = ρ1 = 1/2, ``offsets`` offsets in [0, 4h);
  ``straight_max`` is the largest absolute mean error over the directions,
  ``straight_scatter`` the largest offset-to-offset standard deviation;
- ``disc`` / ``ball``: radius 0.5, ρ0 = 1, ρ1 = 2 (the closed form),
  ``positions`` random centres in [−0.1, 0.1]^d: ``disc_max`` / ``ball_max``
  the largest absolute error;
- ``ellipse`` (2D): semi-axes (0.5, 0.3), ρ0 = 1 + x/2, ρ1 = 2 + y² against
  the exact tube integral (ε < 0.18), ``ellipse_max``.

The per-direction means and scatters are kept for the error-against-angle
figure (:mod:`advmcf.validation.plots`).
"""

from __future__ import annotations

import numpy as np

from advmcf.nonlocal_.functional import vertex_perimeter

from advmcf.meshes.generate import MESH_TYPES

__all__ = ["straight_interface_errors", "closed_set_errors", "tangent_basis", "perimeter_run", "MESHES",
           "SHAPES"]

#: The meshes of a perimeter study, and the shapes it measures by dimension.
MESHES = MESH_TYPES
SHAPES = {2: ("straight", "disc", "ellipse"), 3: ("straight", "ball")}
_NORMALS_3D = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 1], [2, 1, 0], [3, 2, 1], [1, 2, 3], [0.2, -0.5, 1.0]])
_R, _RHO0, _RHO1 = 0.5, 1.0, 2.0


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
        mixture: the :class:`~advmcf.nonlocal_.mixture.BallMixture`.
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
        mixture: the :class:`~advmcf.nonlocal_.mixture.BallMixture`.
        rho0, rho1: ``(num_vertices,)`` density values at the vertices.
        inside_at: ``inside_at(c)`` → ``(num_vertices,)`` bool, the set centred at c.
        exact_at: ``exact_at(c)`` → its exact Per_ε.
        centres: ``(num_centres, d)``.
    """
    eps = mixture.eps
    return np.array([vertex_perimeter(x, inside_at(c), m * rho0 / eps, m * rho1 / eps, mixture) / exact_at(c) - 1
                     for c in np.atleast_2d(centres)])


def _rho0_ellipse(x):
    return 1.0 + 0.5 * x[0]


def _rho1_ellipse(x):
    return 2.0 + x[1] ** 2


def _mesh(comm, mesh: str, dim: int, h: float):
    from advmcf.meshes.generate import box_mesh

    return box_mesh(comm, [-1.0] * dim, [1.0] * dim, h, mesh)


def _measure(verts, mixture, shapes, angles, offsets, positions, h):
    """Rank 0: the metrics and the per-direction profile of one run."""
    d = verts.x.shape[1]
    x, m = verts.x, verts.m
    metrics, profile = {}, {}
    if "straight" in shapes:
        if d == 2:
            theta = np.linspace(0.0, np.pi / 2, angles, endpoint=False)
            normals = np.c_[np.cos(theta), np.sin(theta)]
            profile["angle_deg"] = np.degrees(theta)
        else:
            normals = _NORMALS_3D / np.linalg.norm(_NORMALS_3D, axis=1)[:, None]
            profile["normal"] = normals
        shifts = np.linspace(0.0, 4 * h, offsets, endpoint=False)
        errs = np.array([straight_interface_errors(x, m, mixture, n, shifts, np.zeros(d), 0.25 if d == 2 else 0.2)
                         for n in normals])
        profile["mean"], profile["sd"] = errs.mean(axis=1), errs.std(axis=1)
        metrics["straight_max"] = float(np.max(np.abs(profile["mean"])))
        metrics["straight_scatter"] = float(np.max(profile["sd"]))
    centres = np.random.default_rng(7).uniform(-0.1, 0.1, (positions, d))
    const0, const1 = np.full(len(m), _RHO0), np.full(len(m), _RHO1)
    if {"disc", "ball"} & set(shapes):
        from advmcf.validation.references import ball_perimeter_eps

        errs = closed_set_errors(x, m, mixture, const0, const1, lambda c: np.linalg.norm(x - c, axis=1) < _R,
                                 lambda c: ball_perimeter_eps(_R, mixture.eps, _RHO0, _RHO1, d), centres)
        metrics["disc_max" if d == 2 else "ball_max"] = float(np.max(np.abs(errs)))
    if "ellipse" in shapes:
        from advmcf.validation.boundaries import ellipse_curve
        from advmcf.validation.references import tube_perimeter_eps

        x3 = verts.points3()
        errs = closed_set_errors(
            x, m, mixture, _rho0_ellipse(x3), _rho1_ellipse(x3),
            lambda c: ((x[:, 0] - c[0]) / 0.5) ** 2 + ((x[:, 1] - c[1]) / 0.3) ** 2 < 1,
            lambda c: tube_perimeter_eps(ellipse_curve(c, [0.5, 0.3]), _rho0_ellipse, _rho1_ellipse, mixture.eps),
            centres)
        metrics["ellipse_max"] = float(np.max(np.abs(errs)))
    profile["radii_over_eps"] = mixture.radii / mixture.eps
    profile["weights"] = mixture.weights
    return metrics, profile


def perimeter_run(spec, comm):
    """One run of a ``perimeter`` study (module docstring); the runner's result tuple (collective)."""
    import time

    from advmcf.meshes.mpi import on_root
    from advmcf.meshes.sets import p1_space
    from advmcf.meshes.stats import mesh_stats
    from advmcf.nonlocal_ import Vertices
    from advmcf.nonlocal_.perimeter import resolve_mixture

    extra = dict(spec.extra)
    t0 = time.perf_counter()
    msh = _mesh(comm, extra["mesh"], extra["dim"], spec.h)
    stats = mesh_stats(msh)
    verts = Vertices(p1_space(msh))
    t1 = time.perf_counter()

    def work():
        mixture = resolve_mixture(verts, spec.eps, spec.scheme)
        metrics, profile = _measure(verts, mixture, extra["shapes"], extra["angles"], extra["offsets"],
                                    extra["positions"], spec.h)
        metrics["support_error"] = mixture.support_error if mixture.name != "plain" else float("nan")
        return metrics, profile, mixture.radii.size

    metrics, profile, num_radii = on_root(comm, work)
    t2 = time.perf_counter()
    mesh = {"h_min": stats.h_min, "h_max": stats.h_max, "num_vertices": int(stats.num_vertices),
            "num_cells": int(stats.num_cells)}
    ratios = {"h_over_eps": stats.h_max / spec.eps, "h_over_tau_V": float("nan"), "num_radii": float(num_radii)}
    label = "exact Per_eps (straight: 1 per unit size; ball: closed form; ellipse: tube integral)"
    timings = {"setup": t1 - t0, "solve": t2 - t1, "metrics": 0.0}
    return metrics, ratios, label, mesh, timings, 0, profile if comm.rank == 0 else None, {}, []
