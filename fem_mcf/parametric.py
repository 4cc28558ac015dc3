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

The gradient of log ρ is the closed form when one is given (``grad_log_rho``,
e.g. :meth:`advmcf.meshes.densities.ClassDensities.grad_log_rho`), else central
differences of the callable (step :math:`10^{-5}` times the curve's size;
error :math:`O(10^{-10})`), hand-written because a plain callable has no derivatives.

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
from advmcf.meshes.evolution import check_times, run_flow
from advmcf.meshes.mpi import on_root
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import polygons


__all__ = ["ParametricEvolution", "CurveStepper", "parametric_flow", "parametric_mesh_flow", "curves_to_level_set",
           "enclosed_area"]

_log = logging.getLogger(__name__)


@dataclass
class ParametricEvolution:
    r"""Closed curves evolving by :math:`V = -\kappa - \partial_\nu\log\rho`.

    Attributes:
        times: the output times.
        curves: per output time, the list of the curves still alive, each an
            ``(n_i, 2)`` array of vertices, counter-clockwise.
        collapse_times: per input curve (in input order), the end of the step
            after which it is gone (its enclosed area, at the rate of the step
            before, reaches 0 within that step: the extinction rule of every
            scheme, :mod:`advmcf.meshes.evolution`), or ``None``.
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


def _bgn_step(X: np.ndarray, tau: float, rho: Callable, grad_log_rho: Callable | None, fd_step: float) -> np.ndarray:
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
    if grad_log_rho is None:
        grad = _grad_log_rho(rho, X, fd_step)
    else:
        pts = np.zeros((3, n))
        pts[:2] = X.T
        density_values("rho", rho, pts, where="the curve vertices")
        grad = np.asarray(grad_log_rho(pts), dtype=float)[:2].T
    rhs = np.concatenate([np.einsum("ij,ij->i", w, X) - tau * np.einsum("ij,ij->i", w, grad),
                          np.zeros(2 * n)])
    sol = spla.spsolve(system, rhs)
    if not np.all(np.isfinite(sol)):
        raise RuntimeError("parametric_flow: the step system is singular (degenerate curve)")
    return np.stack([sol[:n], sol[n:2 * n]], axis=1)


def _checked_curves(curves) -> list[np.ndarray]:
    """The curves as ``(n_i, 2)`` float arrays, counter-clockwise; one-line ValueErrors."""
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
    return out


class CurveStepper:
    r"""BGN steps of closed curves (:mod:`advmcf.fem_mcf.parametric`), a stepper of
    :func:`advmcf.meshes.evolution.run_flow`.

    The step of a curve whose area, at the rate of its last step, would reach 0 within the next
    step is not solved (the semi-implicit step shrinks a small circle geometrically and never to
    zero): the curve is gone after that step, which is where its collapse time is put (the
    extinction rule of every scheme, :mod:`advmcf.meshes.evolution`).

    Args:
        curves: ``(n_i, 2)`` vertex arrays, counter-clockwise (:func:`_checked_curves`).
        rho: the density callable; ``grad_log_rho``: :math:`\nabla\log\rho` at ``(3, n)``
            points → ``(2, n)``, or None for central differences of log ρ.
        V: a P1 space on a 2D mesh, or None.  With it the sets are P1 level sets on its mesh
            (:func:`curves_to_level_set`, made at output times only) and the boundary margin is
            the distance of the curves' vertices to the mesh's ∂Ω; without it the sets are the
            curves themselves.
    """

    def __init__(self, curves, rho: Callable, grad_log_rho: Callable | None = None, V=None):
        self.alive = dict(enumerate(_checked_curves(curves)))
        self.rho, self.grad_log_rho, self.space = rho, grad_log_rho, V
        #: per curve, the step after which it is gone (1-based, as the diagnostics count), or None
        self.collapse_steps: list[int | None] = [None] * len(self.alive)
        self._k, self._doomed = 0, set()
        self.label = "parametric (BGN)"
        # the curves do not see ∂Ω; their level set on the mesh loses what lies within a cell of it
        self.boundary_reach = 0.0 if V is None else _h_max(V)

    def start(self, dt: float) -> dict:
        return {"curves": len(self.alive)}

    def step(self, dt: float) -> dict:
        self._k += 1
        for i, X in list(self.alive.items()):
            if i in self._doomed:
                self.collapse_steps[i] = self._k
                _log.info("parametric_flow: curve %d collapsed in step %d", i, self._k)
                del self.alive[i]
                continue
            a0 = enclosed_area(X)
            Xn = _bgn_step(X, dt, self.rho, self.grad_log_rho, 1e-5 * np.ptp(X, axis=0).max())
            a1 = enclosed_area(Xn)
            if a1 <= a0 - a1:  # at this rate the area reaches 0 within the next step
                self._doomed.add(i)
            self.alive[i] = Xn
        return {"curves": len(self.alive)}

    def curves(self) -> list[np.ndarray]:
        """Copies of the curves alive, in input order."""
        return [X.copy() for _, X in sorted(self.alive.items())]

    def current_set(self):
        """The curves (without a mesh), or their P1 level set on ``V``."""
        return self.curves() if self.space is None else curves_to_level_set(self.curves(), self.space)

    def measure(self, boundary) -> dict:
        r"""Enclosed area, :math:`\int\rho\,ds` and the distance of the vertices to ∂Ω (inf without a mesh)."""
        from advmcf.meshes._simplices import integrate

        curves = self.curves()
        segments = [np.stack([X, np.roll(X, -1, axis=0)], axis=1) for X in curves]
        margin = np.inf
        if boundary is not None and curves:
            margin = float(boundary.distance(np.concatenate(curves)).min())
        return {"area": float(sum(enclosed_area(X) for X in curves)),
                "perimeter": integrate(np.concatenate(segments), self.rho, 4) if segments else 0.0,
                "boundary_margin": margin}

    def close(self) -> None:
        pass


def _h_max(V) -> float:
    from advmcf.meshes.stats import mesh_stats

    return mesh_stats(V.mesh).h_max


def _flow(curves, rho, tau, T, output_times, grad_log_rho) -> ParametricEvolution:
    tau, T, times = check_times(tau, T, output_times)
    stepper = CurveStepper(curves, rho, grad_log_rho)
    ev = run_flow(stepper, times, tau)
    collapse = [None if k is None else ev.diagnostics[k]["t"] for k in stepper.collapse_steps]
    return ParametricEvolution(times=ev.times, curves=ev.sets, collapse_times=collapse,
                               extinction_time=ev.extinction_time)


def parametric_flow(curves: Sequence[np.ndarray], rho: Callable, tau: float, T: float, *,
                    output_times: Sequence[float] | None = None, grad_log_rho: Callable | None = None,
                    comm: MPI.Comm | None = None) -> ParametricEvolution:
    r"""Evolve closed plane curves by :math:`V = -\kappa - \partial_\nu\log\rho`.

    Scheme: :mod:`advmcf.fem_mcf.parametric` (BGN, one linear system per curve and step), run by
    the time loop of every scheme (:func:`advmcf.meshes.evolution.run_flow`: equal steps of at most
    τ that land on every output time, the one extinction rule).

    Args:
        curves: list of ``(n_i, 2)`` vertex arrays, each a simple closed
            polygon (either orientation; returned counter-clockwise).  Curves
            evolve independently (no merging).
        rho: density callable ``rho(x)``, ``x`` of shape ``(3, n)`` → ``(n,)``,
            positive at the curve vertices (checked every step).
        tau: time step > 0 (equal steps no longer than τ between output times).
        T: final time > 0.
        output_times: increasing times in [0, T]; ``None`` means ``[0, T]``.
        grad_log_rho: :math:`\nabla\log\rho` at ``(3, n)`` points → ``(2, n)`` in closed form
            (:class:`advmcf.meshes.densities.ClassDensities` has it); None: central differences.
        comm: if given, rank 0 computes and the result (or the error) is
            broadcast to every rank of ``comm``; if ``None``, the calling
            process computes alone.

    Returns:
        :class:`ParametricEvolution`; a curve that collapses (see
        :attr:`ParametricEvolution.collapse_times`) is dropped and its collapse
        time recorded.
    """
    if comm is None:
        return _flow(curves, rho, tau, T, output_times, grad_log_rho)
    return on_root(comm, _flow, curves, rho, tau, T, output_times, grad_log_rho)


def parametric_mesh_flow(V, curves: Sequence[np.ndarray], rho: Callable, tau: float, T: float, *,
                         output_times: Sequence[float] | None = None, grad_log_rho: Callable | None = None,
                         vtx_path=None, progress: Callable[[int, float], None] | None = None):
    r""":func:`parametric_flow` with its sets on a mesh: the adapter that lets the curves be compared
    with the mesh schemes.

    The same steps (:class:`CurveStepper`, run by :func:`advmcf.meshes.evolution.run_flow`), with the
    curves turned into P1 level sets on ``V`` (a P1 space on a 2D mesh, :func:`curves_to_level_set`)
    at the output times only; the diagnostics (area, ∫ρ ds, distance of the vertices to ∂Ω) are
    measured on the curves themselves.  Every rank computes the same curves (serial, deterministic).

    Returns:
        :class:`advmcf.meshes.evolution.Evolution` (the contract of every scheme) with the key
        ``curves`` (the number alive) in its diagnostics.
    """
    times = check_times(tau, T, output_times)[2]
    return run_flow(CurveStepper(curves, rho, grad_log_rho, V), times, tau, rho=rho, vtx_path=vtx_path,
                    progress=progress)


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
