r"""Observed orders of convergence.

For errors :math:`e_i` at refinement parameters :math:`h_i` (ε, τ or the mesh
size), the pairwise order is

.. math:: p_i = \frac{\log(e_{i}/e_{i+1})}{\log(h_{i}/h_{i+1})},

and the least-squares order is the slope of the straight-line fit of
:math:`\log e` against :math:`\log h`.  Pairs with a zero, negative or
non-finite error give NaN (printed as "—" in tables).
"""

from __future__ import annotations

import numpy as np

__all__ = ["pairwise_orders", "least_squares_order"]


def _logs(h, e):
    h = np.asarray(h, dtype=float)
    e = np.asarray(e, dtype=float)
    if h.shape != e.shape or h.ndim != 1:
        raise ValueError(f"orders: h and e must be 1D arrays of equal length, got shapes {h.shape}, {e.shape}")
    if np.any(~(h > 0)):
        raise ValueError(f"orders: refinement parameters must be positive, got {h.tolist()}")
    with np.errstate(divide="ignore", invalid="ignore"):
        le = np.where((e > 0) & np.isfinite(e), np.log(np.where(e > 0, e, 1.0)), np.nan)
    return np.log(h), le


def pairwise_orders(h, e) -> np.ndarray:
    """Orders between consecutive levels, shape ``(len(h) - 1,)``; NaN where undefined."""
    lh, le = _logs(h, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.diff(le) / np.diff(lh)


def least_squares_order(h, e) -> float:
    """Slope of the least-squares line through (log h, log e) over the finite errors; NaN if < 2 points."""
    lh, le = _logs(h, e)
    ok = np.isfinite(le)
    if ok.sum() < 2 or np.ptp(lh[ok]) == 0:
        return float("nan")
    return float(np.polyfit(lh[ok], le[ok], 1)[0])
