r"""The result every scheme returns, and the one time loop every scheme runs in.

Every scheme (``fem_mcf``'s level set, thresholding, Allen–Cahn and, through
an adapter, the parametric curves; ``nonlocal_``'s adversarial scheme) is a
*stepper* run by :func:`run_flow`, so that ``validation`` compares their
:class:`Evolution` without knowing which scheme made them.  They share the
checks of τ, T and the output times (:func:`check_times`) and the rule that
puts steps between output times (:func:`time_steps`): equal steps no longer
than τ that land on every output time exactly.

The contract of an :class:`Evolution` (whatever the scheme):

- ``times`` are the output times asked for (default ``[0, T]``), one set each;
- ``diagnostics[0]`` describes the initial set (t = 0, ``tau`` = 0) and
  ``diagnostics[k]`` the set after step k, with ``t``, ``tau`` (the step
  actually taken), ``area`` (exact volume of the set), ``perimeter``
  (:math:`\int_{\partial A}\rho\,dH`), ``boundary_margin`` and
  ``near_boundary`` (:mod:`advmcf.meshes.boundary`), plus the scheme's own
  keys; so ``steps`` = ``len(diagnostics) - 1`` is the number of steps taken;
- **extinction**: the set is empty when its area is 0 (no vertex inside it,
  no curve left); ``extinction_time`` is the end t_k of the first step after
  which it is empty (the scheme's set was not empty at t_k − τ_k, so its own
  extinction lies in (t_k − τ_k, t_k]); the loop stops there and every later
  output set is the empty set.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dolfinx
from dolfinx import fem

from advmcf.meshes import checks

__all__ = ["Evolution", "Stepper", "check_times", "time_steps", "run_flow", "MAX_STEPS"]

_log = logging.getLogger(__name__)

#: The most time steps a run may take (T/τ), and the most output times it may keep: a bound on the
#: time of a run and on the sets it holds (a million steps of the cheapest scheme on the smallest
#: mesh already take hours).
MAX_STEPS = 10**6


def check_times(tau, T, output_times=None) -> tuple[float, float, list[float]]:
    """``(tau, T, times)`` checked: τ > 0 and T > 0 finite numbers (Python or numpy), T/τ at most
    :data:`MAX_STEPS`, the output times finite and strictly increasing within [0, T] (default
    ``[0, T]``, at most MAX_STEPS + 1 of them); one-line ValueErrors naming the argument."""
    tau, T = checks.positive("tau", tau), checks.positive("T", T)
    if T / tau > MAX_STEPS * (1 + 1e-9):
        raise ValueError(f"T/tau = {T:g}/{tau:g} = {T / tau:.3g} steps: at most {MAX_STEPS:.0e} are allowed; "
                         "take a larger tau or a smaller T")
    if output_times is not None and hasattr(output_times, "__len__") and len(output_times) > MAX_STEPS + 1:
        raise ValueError(f"output_times: {len(output_times)} times, at most {MAX_STEPS + 1} are allowed")
    if output_times is None:
        return tau, T, [0.0, T]
    try:
        times = [checks.real("output_times", t) for t in output_times]
    except TypeError:
        raise ValueError(f"output_times must be a list of times in [0, T], got {output_times!r}") from None
    if not times or any(not 0 <= t <= T * (1 + 1e-12) for t in times) or any(b <= a for a, b in zip(times, times[1:])):
        raise ValueError(f"output_times must be strictly increasing within [0, T = {T:g}], got {output_times!r}")
    return tau, T, [min(t, T) for t in times]


def time_steps(t0: float, t1: float, tau: float) -> tuple[float, int]:
    """Equal steps from ``t0`` to ``t1`` no longer than ``tau``: ``(dt, n)`` with n = ceil((t1 - t0)/τ).

    A remainder below 1e-9 τ is absorbed, so τ dividing the interval gives n steps of exactly τ.
    """
    n = max(1, math.ceil((t1 - t0) / tau - 1e-9))
    return (t1 - t0) / n, n


@dataclass
class Evolution:
    r"""Sets :math:`A(t) = \{\varphi(\cdot, t) < 0\}` at output times (the contract: module docstring).

    Attributes:
        times: the output times, increasing (``[0, T]`` unless asked otherwise).
        sets: one P1 level-set function per output time, on the mesh of the
            initial set; the set is ``{phi < 0}``.  (A stepper without a mesh keeps its own
            sets: the parametric curves.)
        diagnostics: one dict for the initial set and one per step taken (keys ``t``, ``tau``,
            ``area``, ``perimeter``, ``boundary_margin``, ``near_boundary`` and the scheme's own);
            values are global (identical on every rank).
        extinction_time: the end of the first step after which the set is empty, or ``None``
            if it survived to the final time.
        scheme: a short name of the scheme and its parameters, for tables.
    """

    times: list[float]
    sets: list[dolfinx.fem.Function]
    diagnostics: list[dict] = field(default_factory=list)
    extinction_time: float | None = None
    scheme: str = ""

    def __post_init__(self):
        if len(self.times) != len(self.sets):
            raise ValueError(
                f"Evolution: {len(self.times)} output times but {len(self.sets)} sets"
            )

    @property
    def steps(self) -> int:
        """The number of steps taken (the diagnostics after the initial entry)."""
        return max(0, len(self.diagnostics) - 1)

    @property
    def taus(self) -> list[float]:
        """The step sizes taken, one per step."""
        return [d["tau"] for d in self.diagnostics[1:]]


class Stepper:
    r"""What :func:`run_flow` needs of a scheme (a protocol; the schemes' steppers implement it).

    Attributes:
        label: a short name of the scheme and its parameters.
        space: the scalar P1 space of the sets (on the mesh of the initial set); ``None`` for a
            stepper without a mesh (the parametric curves alone), whose :meth:`current_set` returns
            its own copies and whose :meth:`measure` gives every measurement.
        boundary_reach: the distance from ∂Ω within which the window acts on the scheme's set
            (``near_boundary`` is ``boundary_margin < boundary_reach`` unless the scheme reports it).

    Methods:
        start(dt) -> dict: the scheme's own diagnostics of the initial set (``dt``: the first step).
        step(dt) -> dict: advance by one step of size ``dt``; the scheme's diagnostics of the new set.
        current_set() -> fem.Function: the P1 level set of the current set on ``space`` (the loop
            copies it; collective).
        close(): free what the scheme holds (PETSc objects).
        measure(boundary) -> dict (optional): ``area``, ``perimeter`` and ``boundary_margin`` of the
            current set, for a scheme whose set is not a mesh function between outputs (the
            parametric curves); otherwise the loop measures :meth:`current_set`.
    """

    label: str
    space: fem.FunctionSpace
    boundary_reach: float

    def start(self, dt: float) -> dict:  # pragma: no cover - protocol
        raise NotImplementedError

    def step(self, dt: float) -> dict:  # pragma: no cover - protocol
        raise NotImplementedError

    def current_set(self) -> fem.Function:  # pragma: no cover - protocol
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - protocol
        raise NotImplementedError


def run_flow(stepper, times: Sequence[float], tau: float, *, rho: Callable | None = None, vtx_path=None,
             progress: Callable[[int, float], None] | None = None) -> Evolution:
    r"""Step ``stepper`` (a :class:`Stepper`) through the output ``times`` with steps of at most ``tau``.

    Between two output times the steps are equal (:func:`time_steps`), so every output time is hit
    exactly.  Every diagnostics entry gets ``t``, ``tau``, ``step``, and, measured on the set
    (:class:`advmcf.meshes.measures.SetMeasures`, :class:`advmcf.meshes.boundary.DomainBoundary`),
    ``area``, ``perimeter`` (:math:`\int_{\partial A}\rho\,dH`, ρ = ``rho`` or 1) and
    ``boundary_margin``; the scheme's own keys win.  The flow stops when the set is empty (its area
    is 0; the extinction rule of the module docstring), and the output times after it hold that one
    empty set (the same object, not a copy each).  ``progress(step, t)`` is called after every
    step; ``vtx_path``: the output sets are also written to this VTX (.bp) file.  The stepper is
    closed on return.  Collective.
    """
    V = stepper.space
    if V is not None:
        from advmcf.meshes.boundary import DomainBoundary
        from advmcf.meshes.measures import SetMeasures

        measures, boundary = SetMeasures(V, rho), DomainBoundary(V)
        out = fem.Function(V, name="phi")
    else:
        measures = boundary = None
    writer = None if vtx_path is None else dolfinx.io.VTXWriter(V.mesh.comm, vtx_path, [out], engine="BP4")

    def entry(t, dt, k, extra):
        if hasattr(stepper, "measure"):
            measured = stepper.measure(boundary)
        else:
            phi = stepper.current_set()
            measured = {"area": measures.volume(phi), "perimeter": measures.perimeter(phi),
                        "boundary_margin": boundary.margin(phi)}
        d = {"t": t, "tau": dt, "step": k, **measured, **extra}
        d.setdefault("near_boundary", bool(d["boundary_margin"] < stepper.boundary_reach))
        return d

    sets, extinction_time, empty = [], None, None
    t, k = 0.0, 0
    try:
        first = next((b for b in times if b > 0), None)
        diags = [entry(0.0, 0.0, 0, stepper.start(time_steps(0.0, first, tau)[0] if first else tau))]
        for t_out in times:
            if extinction_time is None and t_out > t:
                t_start = t
                dt, n = time_steps(t_start, t_out, tau)
                for j in range(1, n + 1):
                    extra = stepper.step(dt)
                    t, k = (t_out if j == n else t_start + j * dt), k + 1
                    diags.append(entry(t, dt, k, extra))
                    if diags[-1]["area"] == 0.0:
                        extinction_time = t
                        _log.info("%s: the set is empty after the step to t = %.6g", stepper.label, t)
                    if progress is not None:
                        progress(k, t)
                    if extinction_time is not None:
                        break
            if V is None:  # a stepper without a mesh keeps its own sets (the parametric curves)
                sets.append(stepper.current_set())
                continue
            if empty is None:
                out.x.array[:] = stepper.current_set().x.array
                kept = out.copy()
                empty = kept if extinction_time is not None else None
            sets.append(kept if empty is None else empty)  # once the set vanished, one empty set, no copies
            if writer is not None:
                writer.write(t_out)
    finally:
        if writer is not None:
            writer.close()
        stepper.close()
    return Evolution(times=list(times), sets=sets, diagnostics=diags, extinction_time=extinction_time,
                     scheme=stepper.label)
