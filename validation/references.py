r"""Exact references for the weighted mean curvature flow and for the scheme.

Closed forms (:ref:`theory-exact`), for a sphere of radius R(t) in d dimensions under
:math:`V = -\kappa - \partial_\nu\log\rho`, κ = (d-1)/R:

- ρ constant: :math:`R^2 = R_0^2 - 2(d-1)t`.
- :math:`\rho = e^{-|x|^2/(2\sigma^2)}`: :math:`R^2 = (d-1)\sigma^2 + (R_0^2 - (d-1)\sigma^2)e^{2t/\sigma^2}`.
- :math:`\rho = |x|^\alpha`: :math:`R^2 = R_0^2 - 2(d-1+\alpha)t`.
- ρ = exp(a·x), half space {x·e < s}: :math:`s(t) = s_0 - (a\cdot e)\,t`.
- any radial ρ: the ODE :math:`R' = -(d-1)/R - \rho'(R)/\rho(R)`
  (:func:`radial_ode`).

and the discrete disc recursion of one minimizing-movement step with constant
densities in 2D (:func:`disc_recursion`); the exact nonlocal perimeter of a
ball (:func:`ball_perimeter_eps`) and of a smooth convex curve with any
densities (:func:`tube_perimeter_eps`).  A radius of 0 means the set is
empty (extinct).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar

from advmcf.meshes.densities import normal_velocity

__all__ = ["sphere_radius", "gaussian_radius", "power_radius", "half_space_offset",
           "RadialSolution", "radial_velocity", "radial_ode", "ball_perimeter_eps", "disc_step_energy",
           "disc_recursion", "sphere_volume_constant", "tube_perimeter_eps"]


def sphere_volume_constant(d: int) -> float:
    r""":math:`\omega_d`, the volume of the unit ball in :math:`\mathbb R^d`."""
    return math.pi ** (d / 2) / math.gamma(d / 2 + 1)


def _sqrt_or_zero(r2):
    return np.sqrt(np.maximum(r2, 0.0))


def sphere_radius(R0: float, t, d: int):
    r""":math:`R(t) = \sqrt{R_0^2 - 2(d-1)t}` (ρ constant); 0 after extinction at :math:`R_0^2/(2(d-1))`."""
    return _sqrt_or_zero(R0**2 - 2 * (d - 1) * np.asarray(t, dtype=float))


def gaussian_radius(R0: float, t, d: int, sigma: float):
    r""":math:`R^2 = (d-1)\sigma^2 + (R_0^2 - (d-1)\sigma^2) e^{2t/\sigma^2}` for :math:`\rho = e^{-|x-c|^2/(2\sigma^2)}`.

    The sphere :math:`R_* = \sigma\sqrt{d-1}` is an unstable equilibrium:
    smaller spheres shrink to a point, larger ones grow.
    """
    s2 = sigma * sigma
    return _sqrt_or_zero((d - 1) * s2 + (R0**2 - (d - 1) * s2) * np.exp(2 * np.asarray(t, dtype=float) / s2))


def power_radius(R0: float, t, d: int, alpha: float):
    r""":math:`R^2 = R_0^2 - 2(d-1+\alpha)t` for :math:`\rho = |x-c|^\alpha`."""
    return _sqrt_or_zero(R0**2 - 2 * (d - 1 + alpha) * np.asarray(t, dtype=float))


def half_space_offset(s0: float, t, a, normal):
    r""":math:`s(t) = s_0 - (a\cdot e)t` for ρ = exp(a·x) and the half space {x·e < s}, :math:`e = n/|n|` with n = ``normal``."""
    e = np.asarray(normal, dtype=float)
    e = e / np.linalg.norm(e)
    return s0 - float(np.dot(np.asarray(a, dtype=float), e)) * np.asarray(t, dtype=float)


@dataclass(frozen=True)
class RadialSolution:
    """The solution of the radial ODE: ``radius(t)`` (0 after extinction) and the extinction time (or None)."""

    sol: object
    extinction_time: float | None
    T: float

    def radius(self, t):
        t = np.asarray(t, dtype=float)
        if np.any(t > self.T * (1 + 1e-12)):
            raise ValueError(f"radial ODE: asked for t = {t.max()} beyond the integrated final time {self.T}")
        end = self.sol.t[-1]
        r = self.sol.sol(np.minimum(t, end))[0]
        return np.where(t < end, r, 0.0 if self.extinction_time is not None else r)


def radial_velocity(R: float, d: int, dlogrho_dr) -> float:
    r"""The flow law (:func:`advmcf.meshes.densities.normal_velocity`) on a sphere of radius R about
    the centre of a radial ρ: :math:`V = -(d-1)/R - \partial_r\log\rho(R)` (κ = (d-1)/R, ν radial)."""
    return float(normal_velocity((d - 1) / R, dlogrho_dr(R)))


def radial_ode(R0: float, T: float, d: int, dlogrho_dr, rtol: float = 1e-10) -> RadialSolution:
    r"""Integrate :math:`R' = -(d-1)/R - \partial_r\log\rho(R)` on [0, T].

    Args:
        R0: the initial radius (> 0).
        T: the final time.
        d: the dimension.
        dlogrho_dr: callable ``r -> (log ρ)'(r)`` of the radial profile.
        rtol: relative tolerance of ``solve_ivp`` (DOP853); atol is rtol·R0.

    Extinction is the terminal event R = 1e-5 R0; near a point the curvature
    term dominates and :math:`R^2 \approx 2(d-1)(t_* - t)`, so the reported
    extinction time adds :math:`R^2/(2(d-1))` (an error of O(R^3), 1e-15 R0^3).
    """
    if not R0 > 0 or not T > 0:
        raise ValueError(f"radial ODE: need R0 > 0 and T > 0, got R0 = {R0}, T = {T}")
    r_stop = 1e-5 * R0

    def rhs(_t, y):
        return [radial_velocity(y[0], d, dlogrho_dr)]

    def event(_t, y):
        return y[0] - r_stop

    event.terminal, event.direction = True, -1
    sol = solve_ivp(rhs, (0.0, T), [R0], method="DOP853", rtol=rtol, atol=rtol * R0,
                    dense_output=True, events=event)
    if sol.status == -1:
        raise RuntimeError(f"radial ODE: solve_ivp failed: {sol.message}")
    t_ext = None
    if sol.status == 1:
        t_ext = float(sol.t_events[0][0] + r_stop**2 / (2 * (d - 1)))
    return RadialSolution(sol, t_ext, T)


def ball_perimeter_eps(R: float, eps: float, rho0: float, rho1: float, d: int = 2) -> float:
    r""":math:`\mathrm{Per}_\varepsilon(B_R) = (\omega_d/\varepsilon)[\rho_0((R+\varepsilon)^d - R^d) + \rho_1(R^d - (R-\varepsilon)_+^d)]` (constant densities)."""
    if R <= 0:
        return 0.0
    w = sphere_volume_constant(d)
    return w / eps * (rho0 * ((R + eps) ** d - R**d) + rho1 * (R**d - max(R - eps, 0.0) ** d))


def tube_perimeter_eps(curve, rho0, rho1, eps: float, *, num_t: int = 4096, num_r: int = 24) -> float:
    r"""Exact :math:`\mathrm{Per}_\varepsilon(A)` of a convex set A bounded by a smooth closed plane curve.

    With γ the counter-clockwise boundary, ν the outward normal and κ the
    curvature, the outer and inner ε-bands are the images of
    :math:`(s, r) \mapsto \gamma(s) \pm r\nu(s)`, :math:`0 < r < \varepsilon`,
    with Jacobians :math:`1 \pm \kappa r` (one-to-one: outside for a convex
    A, inside while ε is below the smallest radius of curvature, which is
    checked), so

    .. math:: \mathrm{Per}_\varepsilon(A) = \frac1\varepsilon \oint \int_0^\varepsilon
        \big[\rho_0(\gamma + r\nu)(1 + \kappa r) + \rho_1(\gamma - r\nu)(1 - \kappa r)\big]\,dr\,ds,

    by the trapezoidal rule in the curve parameter (spectral for a smooth
    periodic integrand) and Gauss–Legendre in r.

    Args:
        curve: a :class:`advmcf.validation.boundaries.Curve`.
        rho0, rho1: density callables (``x`` of shape ``(3, n)``).
        eps: the budget ε.
    """
    t = np.linspace(0, 2 * np.pi, num_t, endpoint=False)
    g, g1, g2 = curve.gamma(t), curve.d1(t), curve.d2(t)
    speed = np.linalg.norm(g1, axis=1)
    nu = np.stack([g1[:, 1], -g1[:, 0]], axis=1) / speed[:, None]
    kappa = (g1[:, 0] * g2[:, 1] - g1[:, 1] * g2[:, 0]) / speed**3
    if kappa.min() < 0 or eps * kappa.max() >= 1:
        raise ValueError(f"tube_perimeter_eps needs a convex curve and eps below its smallest radius of "
                         f"curvature {1 / kappa.max():g}, got eps = {eps:g}")
    nodes, weights = np.polynomial.legendre.leggauss(num_r)
    r, wr = eps * (nodes + 1) / 2, eps * weights / 2
    total = 0.0
    for rk, wk in zip(r, wr):
        for rho, sign in ((rho0, 1.0), (rho1, -1.0)):
            y = g + sign * rk * nu
            vals = rho(np.vstack([y.T, np.zeros(num_t)]))
            total += wk * np.sum(vals * (1 + sign * kappa * rk) * speed)
    return total * (2 * np.pi / num_t) / eps


def disc_step_energy(s: float, r: float, eps: float, tau: float, rho0: float, rho1: float) -> float:
    r"""Energy of the disc :math:`B_s` in the step from :math:`A_k = B_r` (2D, constant densities).

    .. math:: E(s) = \frac{2\pi\rho}{\tau}\Big[\frac{r(r^2-s^2)}{2} - \frac{r^3-s^3}{3}\Big]
              + \mathrm{Per}_\varepsilon(B_s), \qquad s \le r,

    the fidelity :math:`\frac1\tau\int_{B_r\setminus B_s}(r-|x|)\rho\,dx` plus
    the nonlocal perimeter; s = 0 is the empty set (Per_ε(∅) = 0).
    """
    rho = rho0 + rho1
    fid = 2 * np.pi * rho / tau * (r * (r * r - s * s) / 2 - (r**3 - s**3) / 3)
    return fid + ball_perimeter_eps(s, eps, rho0, rho1, 2)


def disc_recursion(r0: float, eps: float, tau: float, steps: int, rho0: float = 0.5, rho1: float = 0.5):
    r"""Radii :math:`r_0, r_1, \dots` of the scheme among discs (2D, constant densities).

    For :math:`s \ge \varepsilon`, :math:`E'(s) = 0` gives :math:`s^2 - rs + \tau = 0`, whose
    larger root :math:`r_+ = (r + \sqrt{r^2 - 4\tau})/2` is the local minimum.
    Each step takes the disc of least energy among :math:`r_+` (if real and
    ≥ ε), the minimizer over :math:`s \in [0, \varepsilon]` (bounded scalar
    search, where the inner band covers the disc) and the empty set.  Returns
    a list of ``steps + 1`` radii; after extinction every radius is 0.
    """
    radii = [float(r0)]
    for _ in range(steps):
        r = radii[-1]
        if r == 0.0:
            radii.append(0.0)
            continue
        cands = [0.0]
        disc = r * r - 4 * tau
        if disc >= 0 and (r + math.sqrt(disc)) / 2 >= eps:
            cands.append((r + math.sqrt(disc)) / 2)
        lo_hi = (0.0, min(eps, r))
        if lo_hi[1] > 0:
            res = minimize_scalar(disc_step_energy, bounds=lo_hi, method="bounded",
                                  args=(r, eps, tau, rho0, rho1), options={"xatol": 1e-13})
            cands.append(float(res.x))
        energies = [disc_step_energy(s, r, eps, tau, rho0, rho1) for s in cands]
        radii.append(cands[int(np.argmin(energies))])
    return radii
