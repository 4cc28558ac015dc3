r"""The adversarial scheme as a time loop: :math:`A_{k+1} = \mathrm{step}(A_k)`,
:math:`t_k = k\tau` (:ref:`theory-scheme`; the paper's scheme is τ = ε), run by the time loop of
every scheme (:func:`advmcf.meshes.evolution.run_flow`)."""

from __future__ import annotations

import logging

import numpy as np
from dolfinx import fem
from mpi4py import MPI

from advmcf.meshes.evolution import Evolution, check_times, run_flow
from advmcf.meshes.mpi import agreed

from .step import AdversarialScheme

__all__ = ["adversarial_flow", "AdversarialStepper"]

log = logging.getLogger(__name__)


class AdversarialStepper:
    r"""The steps of an :class:`AdversarialScheme` from :math:`A_0 = \{\varphi_0 < 0\}`, a stepper of
    :func:`advmcf.meshes.evolution.run_flow`.

    Each step passes the previous step's displacement as the band hint
    (:meth:`AdversarialScheme.step`, which reports ``boundary_margin`` and ``near_boundary`` itself);
    ∂Ω acts on the set within the reach of its ε-balls (``boundary_reach``).
    """

    def __init__(self, scheme: AdversarialScheme, phi0: fem.Function, label: str):
        self.scheme, self.phi, self.space, self.label = scheme, phi0.copy(), phi0.function_space, label
        self.boundary_reach = scheme.mixture.reach
        self._hint, self._k = None, 0  # the first step estimates its band

    def start(self, dt: float) -> dict:
        return {}

    def step(self, dt: float) -> dict:
        self.phi, info = self.scheme.step(self.phi, dt, displacement_hint=self._hint)
        self._hint, self._k = info["displacement"], self._k + 1
        log.info("step %d Per_eps=%g band=%d certified=%s", self._k, info["perimeter_eps"],
                 info["band_vertices"], info["certified"])
        return info

    def current_set(self) -> fem.Function:
        return self.phi

    def close(self) -> None:
        pass


def adversarial_flow(phi0: fem.Function, rho0, rho1, eps: float, T: float, *, tau: float | None = None,
                     p: int = 1, selection: str = "minimal", discretization="isotropic",
                     boundary: str = "window", output_times=None, vtx_path=None, progress=None) -> Evolution:
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
        boundary: "window" (default: R^d outside Ω is outside every set, sets
            are held off ∂Ω by the reach of the ε-balls) or "neumann" (balls
            cut off by Ω); see :mod:`advmcf.nonlocal_.step`.
        output_times: increasing times in [0, T] at which to keep the set
            (:func:`advmcf.meshes.evolution.check_times`); ``None`` means ``[0, T]``.
        vtx_path: if given, write φ at the output times to this VTX (.bp) file.
        progress: optional callable ``progress(step, t)`` after each step.

    Returns:
        an :class:`~advmcf.meshes.evolution.Evolution` with the contract of every scheme
        (:mod:`advmcf.meshes.evolution`: a t = 0 entry, one diagnostics dict per step with the
        loop's keys and those of :meth:`AdversarialScheme.step`, the one extinction rule).
    """
    comm = phi0.function_space.mesh.comm if isinstance(phi0, fem.Function) else MPI.COMM_SELF
    tau_, T, times = agreed(comm, "tau, T and output_times", (tau, T, output_times),
                            check_times, eps if tau is None else tau, T, output_times)
    scheme = AdversarialScheme(phi0.function_space, rho0, rho1, eps, p=p, selection=selection,
                               discretization=discretization, boundary=boundary)
    label = f"nonlocal(eps={scheme.eps:g}, tau={tau_:g}, p={p}, {selection}, {scheme.mixture.name})"

    def rho(x):
        return rho0(np.array(x)) + rho1(np.array(x))  # each on its own copy (a density may write into it)

    return run_flow(AdversarialStepper(scheme, phi0, label), times, tau_, rho=rho, vtx_path=vtx_path,
                    progress=progress)
