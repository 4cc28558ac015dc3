"""The result every scheme returns: a set evolving on one mesh.

Both ``fem_mcf`` and ``nonlocal_`` return an :class:`Evolution`, so that
``validation`` compares them without knowing which scheme made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dolfinx

__all__ = ["Evolution"]


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
