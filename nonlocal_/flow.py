r"""The adversarial scheme as a time loop: :math:`A_{k+1} = \mathrm{step}(A_k)`,
:math:`t_k = k\tau` (:ref:`theory-scheme`; the paper's scheme is τ = ε)."""

from __future__ import annotations

import logging

from dolfinx import fem

from advmcf.meshes.evolution import Evolution, check_times, time_steps

from .step import AdversarialScheme

__all__ = ["adversarial_flow"]

log = logging.getLogger(__name__)


def adversarial_flow(phi0: fem.Function, rho0, rho1, eps: float, T: float, *, tau: float | None = None,
                     p: int = 1, selection: str = "minimal", discretization="isotropic",
                     output_times=None, progress=None) -> Evolution:
    r"""Run the scheme from :math:`A_0 = \{\varphi_0 < 0\}` to time T.

    Between output times the steps are equal and no longer than τ
    (:func:`advmcf.meshes.evolution.time_steps`, the rule every scheme shares), so
    every output time is hit exactly; with τ dividing T they are the paper's
    :math:`t_k = k\tau`.

    Args:
        phi0: P1 level set of the initial set.
        rho0, rho1: density callables (class 0 outside, class 1 inside).
        eps: the adversarial budget ε > 0.
        T: final time > 0.
        tau: time step (``None``: τ = ε, the paper's scheme).
        p: weight dist^p of the fidelity, 1 (default) or 0.
        selection: "minimal" or "maximal" minimizer at every step.
        discretization: the ε-neighbourhood, "isotropic" (default), "plain"
            or a :class:`~advmcf.nonlocal_.mixture.BallMixture` (:mod:`advmcf.nonlocal_.perimeter`).
        output_times: increasing times in [0, T] at which to keep the set
            (:func:`advmcf.meshes.evolution.check_times`); default every step.
        progress: optional callable ``progress(step, t)`` after each step.

    Returns:
        an :class:`~advmcf.meshes.evolution.Evolution` with the kept sets, one
        diagnostics dict per step (those of :meth:`AdversarialScheme.step`
        plus ``t`` and ``tau``), and ``extinction_time`` the first step time
        at which the vertex set is empty (the loop stops there).
    """
    tau_, T, marks = check_times(eps if tau is None else tau, T, output_times)
    scheme = AdversarialScheme(phi0.function_space, rho0, rho1, eps, p=p, selection=selection,
                               discretization=discretization)
    if output_times is None:  # every step is an output
        dt, n = time_steps(0.0, T, tau_)
        marks = [0.0] + [T * (k + 1) / n for k in range(n)]
    phi = phi0.copy()
    times, sets, diagnostics = [0.0], [phi0.copy()], []
    extinction, hint, k = None, None, 0  # the first step estimates its band
    for t0, t1 in zip(marks, marks[1:]):
        dt, n = time_steps(t0, t1, tau_)
        for j in range(1, n + 1):
            phi, info = scheme.step(phi, dt, displacement_hint=hint)
            hint, k = info["displacement"], k + 1
            t = t1 if j == n else t0 + j * dt
            info.update(t=t, tau=dt)
            diagnostics.append(info)
            log.info("step %d t=%g Per_eps=%g band=%d certified=%s", k, t, info["perimeter_eps"],
                     info["band_vertices"], info["certified"])
            if progress is not None:
                progress(k, t)
            if info["empty"]:
                extinction = t
                break
        times.append(t)
        sets.append(phi.copy())
        if extinction is not None:
            break
    label = f"nonlocal(eps={scheme.eps:g}, tau={tau_:g}, p={p}, {selection}, {scheme.mixture.name})"
    return Evolution(times, sets, diagnostics, extinction, label)
