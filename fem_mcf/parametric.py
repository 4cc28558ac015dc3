r"""Weighted curve shortening flow of closed plane curves, parametric (BGN) scheme.

Each closed curve is a polygon :math:`X^m` (vertices counter-clockwise, so
that the outward normal of the enclosed set is the tangent turned clockwise,
conventions: :mod:`advmcf.meshes`).  The flow is
:math:`V = -\kappa - \partial_\nu\log\rho`, V positive outward.

Scheme (Barrett, Garcke and Nürnberg, J. Comput. Phys. 222 (2007), with the
weight as an explicit force): find :math:`X^{m+1}` and
:math:`\varkappa^{m+1}` (P1 on the polygon; :math:`\varkappa = -\kappa`, the
curvature with :math:`\varkappa\nu = X_{ss}`) with

.. math::
    \Big\langle \frac{X^{m+1}-X^m}{\tau}\cdot\nu^m, \chi\Big\rangle^h_m
      - \langle \varkappa^{m+1}, \chi\rangle^h_m
      &= -\langle \nabla\log\rho(X^m)\cdot\nu^m, \chi\rangle^h_m, \\
    \langle \varkappa^{m+1}\nu^m, \eta\rangle^h_m
      + \langle \partial_s X^{m+1}, \partial_s\eta\rangle_m &= 0,

for all P1 χ and η, where :math:`\langle\cdot,\cdot\rangle^h_m` is the mass-lumped
inner product on the polygon :math:`X^m` and :math:`\nu^m` its piecewise
constant outward normal.  The second equation is what moves vertices
tangentially: it drives the polygon towards equal edge lengths (BGN's
tangential redistribution), so no remeshing is needed.  One sparse linear
system of size 3n per curve and step (scipy ``spsolve``).

The gradient of log ρ is taken by central differences of the callable
(step :math:`10^{-5}` times the curve's size; error :math:`O(10^{-10})`),
hand-written because ρ is a plain callable without derivatives.

The position error is :math:`O(h^2 + \tau)`: refine τ ∝ h² to see order 2 in h.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from mpi4py import MPI

from advmcf.meshes.densities import density_values
from advmcf.meshes.evolution import check_times, time_steps
from advmcf.meshes.mpi import on_root
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import polygons


__all__ = ["ParametricEvolution", "parametric_flow", "curves_to_level_set", "enclosed_area"]

_log = logging.getLogger(__name__)


@dataclass
class ParametricEvolution:
    r"""Closed curves evolving by :math:`V = -\kappa - \partial_\nu\log\rho`.

    Attributes:
        times: the output times.
        curves: per output time, the list of the curves still alive, each an
            ``(n_i, 2)`` array of vertices, counter-clockwise.
        collapse_times: per input curve (in input order), the time at which it
            collapsed (its enclosed area, extrapolated linearly at the rate of
            the last step, reaches 0 within one step; the time is that zero),
            or ``None``.
        extinction_time: the time at which the last curve collapsed, or ``None``.
    """

    times: list[float]
    curves: list[list[np.ndarray]]
    collapse_times: list[float | None]
    extinction_time: float | None


def enclosed_area(curve: np.ndarray) -> float:
    """Signed area of the polygon ``curve`` (shape ``(n, 2)``), positive if counter-clockwise."""
    x, y = curve[:, 0], curve[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _grad_log_rho(rho: Callable, X: np.ndarray, step: float) -> np.ndarray:
    """Central-difference gradient of log ρ at the points ``X`` (n, 2) → (n, 2)."""
    n = X.shape[0]
    pts = np.zeros((3, 4 * n))
    for k, (axis, sign) in enumerate([(0, 1), (0, -1), (1, 1), (1, -1)]):
        pts[:2, k * n:(k + 1) * n] = X.T
        pts[axis, k * n:(k + 1) * n] += sign * step
    values = density_values("rho", rho, pts, where="the curve vertices")
    logv = np.log(values).reshape(4, n)
    return np.stack([logv[0] - logv[1], logv[2] - logv[3]], axis=1) / (2 * step)


def _bgn_step(X: np.ndarray, tau: float, rho: Callable, fd_step: float) -> np.ndarray:
    """One step of the scheme in :mod:`advmcf.fem_mcf.parametric` for one CCW polygon (n, 2)."""
    n = X.shape[0]
    edge = np.roll(X, -1, axis=0) - X  # edge j joins vertex j to j+1
    length = np.linalg.norm(edge, axis=1)
    if np.any(length <= 0):
        raise ValueError("parametric_flow: two consecutive curve vertices coincide")
    normal_e = np.stack([edge[:, 1], -edge[:, 0]], axis=1)  # |edge| * outward normal
    # w_j = <nu, chi_j>^h = (1/2) sum of |sigma| nu_sigma over the two edges at j
    w = 0.5 * (normal_e + np.roll(normal_e, 1, axis=0))
    mass = 0.5 * (length + np.roll(length, 1))
    idx = np.arange(n)
    nxt = np.roll(idx, -1)
    inv = 1.0 / length
    # stiffness <d_s X, d_s eta>: A_jj = 1/|e_j| + 1/|e_{j-1}|, A_{j,j+1} = -1/|e_j|
    stiff = sp.coo_matrix(
        (np.concatenate([inv + np.roll(inv, 1), -inv, -inv]),
         (np.concatenate([idx, idx, nxt]), np.concatenate([idx, nxt, idx]))), shape=(n, n)).tocsr()
    W0 = sp.diags(w[:, 0])
    W1 = sp.diags(w[:, 1])
    # unknowns (X_x, X_y, kappa); rows: normal velocity, then the two components of eq. 2
    system = sp.bmat([[W0, W1, -tau * sp.diags(mass)],
                      [stiff, None, W0],
                      [None, stiff, W1]], format="csc")
    grad = _grad_log_rho(rho, X, fd_step)
    rhs = np.concatenate([np.einsum("ij,ij->i", w, X) - tau * np.einsum("ij,ij->i", w, grad),
                          np.zeros(2 * n)])
    sol = spla.spsolve(system, rhs)
    if not np.all(np.isfinite(sol)):
        raise RuntimeError("parametric_flow: the step system is singular (degenerate curve)")
    return np.stack([sol[:n], sol[n:2 * n]], axis=1)


def _validate(curves, tau, T, output_times):
    tau, T, times = check_times(tau, T, output_times)
    if len(curves) == 0:
        raise ValueError("curves: need at least one closed curve, got none")
    out = []
    for i, c in enumerate(curves):
        c = np.array(c, dtype=float)
        if c.ndim != 2 or c.shape[1] != 2 or c.shape[0] < 3 or not np.all(np.isfinite(c)):
            raise ValueError(f"curves[{i}]: must be a finite (n >= 3, 2) array of vertices, got shape {c.shape}")
        area = enclosed_area(c)
        if area == 0:
            raise ValueError(f"curves[{i}]: encloses zero area; need a simple closed curve")
        out.append(c if area > 0 else c[::-1].copy())
    return out, times


def _flow(curves, rho, tau, T, output_times) -> ParametricEvolution:
    curves, times = _validate(curves, tau, T, output_times)
    alive = dict(enumerate(curves))
    collapse: list[float | None] = [None] * len(curves)
    out_curves, t = [], 0.0
    for t_out in times:
        dt, n = time_steps(t, t_out, tau) if t_out > t else (0.0, 0)
        t_start = t
        for k in range(1, n + 1):
            if not alive:
                break
            for i, X in list(alive.items()):
                size = np.ptp(X, axis=0).max()
                a0 = enclosed_area(X)
                Xn = _bgn_step(X, dt, rho, 1e-5 * size)
                a1 = enclosed_area(Xn)
                # The semi-implicit step shrinks a small circle geometrically and never
                # to zero area: a curve has collapsed when its area, extrapolated
                # linearly at the rate of this step, vanishes within the next step.
                if a1 <= a0 - a1:
                    collapse[i] = t + dt + dt * a1 / (a0 - a1)
                    _log.info("parametric_flow: curve %d collapsed at t = %.6g", i, collapse[i])
                    del alive[i]
                else:
                    alive[i] = Xn
            t = t_out if k == n else t_start + k * dt
        out_curves.append([X.copy() for _, X in sorted(alive.items())])
    done = [c for c in collapse if c is not None]
    extinction = max(done) if len(done) == len(curves) else None
    return ParametricEvolution(times=times, curves=out_curves, collapse_times=collapse,
                               extinction_time=extinction)


def parametric_flow(curves: Sequence[np.ndarray], rho: Callable, tau: float, T: float, *,
                    output_times: Sequence[float] | None = None,
                    comm: MPI.Comm | None = None) -> ParametricEvolution:
    r"""Evolve closed plane curves by :math:`V = -\kappa - \partial_\nu\log\rho`.

    Scheme: :mod:`advmcf.fem_mcf.parametric` (BGN, one linear system per curve and step).

    Args:
        curves: list of ``(n_i, 2)`` vertex arrays, each a simple closed
            polygon (either orientation; returned counter-clockwise).  Curves
            evolve independently (no merging).
        rho: density callable ``rho(x)``, ``x`` of shape ``(3, n)`` → ``(n,)``,
            positive at the curve vertices (checked every step).
        tau: time step > 0 (the last step before an output time is shortened).
        T: final time > 0.
        output_times: increasing times in [0, T]; ``None`` means ``[0, T]``.
        comm: if given, rank 0 computes and the result (or the error) is
            broadcast to every rank of ``comm``; if ``None``, the calling
            process computes alone.

    Returns:
        :class:`ParametricEvolution`; a curve that collapses (see
        :attr:`ParametricEvolution.collapse_times`) is dropped and its collapse
        time recorded.
    """
    if comm is None:
        return _flow(curves, rho, tau, T, output_times)
    return on_root(comm, _flow, curves, rho, tau, T, output_times)


def curves_to_level_set(curves: Sequence[np.ndarray], V):
    r"""The P1 signed distance to the union of closed ``curves`` (negative inside) on ``V``.

    ``V`` is a P1 function space or a mesh (2D).  The distance is the exact
    distance to the polygons (:func:`advmcf.meshes.shapes.polygons`), interpolated at
    the vertices.  An empty list of curves (all collapsed) gives the empty
    set: the function is the constant 1.
    """
    if len(curves) == 0:
        return level_set(V, lambda x: np.ones(np.asarray(x).shape[1]))
    return level_set(V, polygons(curves))
