"""The result every scheme returns: a set evolving on one mesh, and the time grid of a run.

Both ``fem_mcf`` and ``nonlocal_`` return an :class:`Evolution`, so that
``validation`` compares them without knowing which scheme made them.  They
share the checks of τ, T and the output times (:func:`check_times`) and the
rule that puts steps between output times (:func:`time_steps`): equal steps
no longer than τ that land on every output time exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import dolfinx

from advmcf.meshes import checks

__all__ = ["Evolution", "check_times", "time_steps"]


def check_times(tau, T, output_times=None) -> tuple[float, float, list[float]]:
    """``(tau, T, times)`` checked: τ > 0 and T > 0 finite numbers (Python or numpy), the output times
    finite and strictly increasing within [0, T] (default ``[0, T]``); one-line ValueErrors naming
    the argument."""
    tau, T = checks.positive("tau", tau), checks.positive("T", T)
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
    r"""Sets :math:`A(t) = \{\varphi(\cdot, t) < 0\}` at output times.

    Attributes:
        times: the output times, increasing (the first is usually 0).
        sets: one P1 level-set function per output time, on the mesh of the
            initial set; the set is ``{phi < 0}``.
        diagnostics: one dict per time step (the same keys for every step of a
            scheme, e.g. ``t``, ``area``, ``perimeter``); values are global
            (identical on every rank).
        extinction_time: the time at which the set became empty, or ``None``
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
