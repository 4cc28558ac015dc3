r"""The adversarial scheme as a time loop: :math:`A_{k+1} = \mathrm{step}(A_k)`,
:math:`t_k = k\tau` (:ref:`theory-scheme`; the paper's scheme is τ = ε)."""

from __future__ import annotations

import logging
import math

from dolfinx import fem

from meshes.evolution import Evolution

from ._checks import check_positive
from .step import AdversarialScheme

__all__ = ["adversarial_flow"]

log = logging.getLogger(__name__)


def adversarial_flow(phi0: fem.Function, rho0, rho1, eps: float, T: float, *, tau: float | None = None,
                     p: int = 1, selection: str = "minimal", discretization="isotropic",
                     output_times=None, progress=None) -> Evolution:
    r"""Run the scheme from :math:`A_0 = \{\varphi_0 < 0\}` to time T.

    Args:
        phi0: P1 level set of the initial set.
        rho0, rho1: density callables (class 0 outside, class 1 inside).
        eps: the adversarial budget ε > 0.
        T: final time > 0; the loop makes ``ceil(T/tau - 1e-9)`` steps.
        tau: time step (``None``: τ = ε, the paper's scheme).
        p: weight dist^p of the fidelity, 1 (default) or 0.
        selection: "minimal" or "maximal" minimizer at every step.
        discretization: the ε-neighbourhood, "isotropic" (default), "plain"
            or a :class:`~nonlocal_.mixture.BallMixture` (:mod:`nonlocal_.perimeter`).
        output_times: times at which to keep the set (each is rounded to the
            nearest step time k τ); default every step.  Time 0 is always kept.
        progress: optional callable ``progress(step, t)`` after each step.

    Returns:
        an :class:`~meshes.evolution.Evolution` with the kept sets, one
        diagnostics dict per step (those of :func:`nonlocal_.step` plus
        ``t``), and ``extinction_time`` the first step time at which the
        vertex set is empty (the loop stops there).
    """
    tau_ = check_positive("tau", eps if tau is None else tau)
    T = check_positive("T", T)
    scheme = AdversarialScheme(phi0.function_space, rho0, rho1, eps, p=p, selection=selection,
                               discretization=discretization)
    num_steps = max(1, math.ceil(T / tau_ - 1e-9))
    if output_times is None:
        keep = set(range(num_steps + 1))
    else:
        keep = {0} | {min(num_steps, max(0, round(float(t) / tau_))) for t in output_times}
    phi = phi0.copy()
    times, sets, diagnostics = [0.0], [phi0.copy()], []
    extinction, hint = None, 0.0
    for k in range(1, num_steps + 1):
        phi, info = scheme.step(phi, tau_, displacement_hint=hint)
        hint = info["displacement"]
        t = k * tau_
        info["t"] = t
        diagnostics.append(info)
        log.info("step %d t=%g Per_eps=%g band=%d certified=%s", k, t, info["perimeter_eps"],
                 info["band_vertices"], info["certified"])
        if progress is not None:
            progress(k, t)
        if k in keep or info["empty"]:
            times.append(t)
            sets.append(phi.copy())
        if info["empty"]:
            extinction = t
            break
    label = f"nonlocal(eps={scheme.eps:g}, tau={tau_:g}, p={p}, {selection}, {scheme.mixture.name})"
    return Evolution(times, sets, diagnostics, extinction, label)
