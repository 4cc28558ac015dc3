r"""Labelled points: the data a classifier is trained on.

A data set is n points :math:`x_s \in \mathbb{R}^d` with labels
:math:`y_s \in \{0, 1\}` and weights :math:`w_s > 0`; its empirical class
measures are

.. math::
    \hat\rho_0 = \sum_{y_s = 0} w_s \delta_{x_s}, \qquad
    \hat\rho_1 = \sum_{y_s = 1} w_s \delta_{x_s},

class 0 the outside of a decision region A and class 1 its inside, as for the
densities :math:`\rho_0, \rho_1` of :mod:`advmcf.meshes`.  Unit weights make
:math:`\hat\rho_0 + \hat\rho_1` the counting measure; risks are divided by
the total weight :math:`\sum_s w_s`.  Points may repeat, with the same or
with different labels (a point with both labels is a conflict at every
budget, ε = 0 included).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LabelledPoints", "labelled_points", "principal_components"]


@dataclass(frozen=True)
class LabelledPoints:
    """Points, labels and weights, checked (build with :func:`labelled_points`).

    Attributes:
        x: ``(n, d)`` float coordinates.
        label: ``(n,)`` int8, 0 or 1.
        weight: ``(n,)`` float, positive.
        source: where the points come from, for messages and tables.
    """

    x: np.ndarray
    label: np.ndarray
    weight: np.ndarray
    source: str = "points"

    @property
    def n(self) -> int:
        """The number of points."""
        return int(self.label.size)

    @property
    def dim(self) -> int:
        """The dimension d."""
        return int(self.x.shape[1])

    @property
    def counts(self) -> tuple[int, int]:
        """``(n0, n1)``: the points of class 0 and class 1."""
        n1 = int(np.count_nonzero(self.label))
        return self.n - n1, n1

    @property
    def total_weight(self) -> float:
        r""":math:`\sum_s w_s`."""
        return float(self.weight.sum())

    def of_class(self, c: int) -> np.ndarray:
        """``(n_c,)`` int64 indices of the points of class ``c`` (increasing)."""
        return np.flatnonzero(self.label == c)


def labelled_points(x, label, weight=None, *, source: str = "points") -> LabelledPoints:
    """Check arrays and make :class:`LabelledPoints` (one-line ValueErrors naming the field).

    Args:
        x: ``(n, d)`` finite coordinates (a ``(n,)`` array is one-dimensional data).
        label: ``(n,)`` labels, each 0 or 1; both classes must occur.
        weight: ``(n,)`` finite positive weights (default 1).
        source: a name for messages (a file name).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{source}: x must be an (n, d) array of coordinates with n, d >= 1, got shape {x.shape}")
    n = x.shape[0]
    bad = np.argwhere(~np.isfinite(x))
    if bad.size:
        s, k = bad[0]
        raise ValueError(f"{source}: point {s} has x{k + 1} = {x[s, k]}: every coordinate must be a finite number")
    label = np.asarray(label)
    if label.shape != (n,):
        raise ValueError(f"{source}: label must have one entry per point ({n}), got shape {label.shape}")
    try:
        as_int = label.astype(np.int64)
        wrong = np.flatnonzero((as_int != label) | ((as_int != 0) & (as_int != 1)))
    except (TypeError, ValueError):
        wrong = np.arange(n)
    if wrong.size:
        raise ValueError(f"{source}: point {wrong[0]} has label {label[wrong[0]].item()!r}: labels must be 0 or 1")
    label = as_int.astype(np.int8)
    if weight is None:
        weight = np.ones(n)
    weight = np.asarray(weight, dtype=float)
    if weight.shape != (n,):
        raise ValueError(f"{source}: weight must have one entry per point ({n}), got shape {weight.shape}")
    wrong = np.flatnonzero(~(np.isfinite(weight) & (weight > 0)))
    if wrong.size:
        raise ValueError(f"{source}: point {wrong[0]} has weight {weight[wrong[0]]}: weights must be positive numbers")
    n1 = int(np.count_nonzero(label))
    if n1 == 0 or n1 == n:
        raise ValueError(f"{source}: every point has label {int(label[0])}: the data need both classes, 0 and 1")
    return LabelledPoints(np.ascontiguousarray(x), label, weight, source)


def principal_components(points: LabelledPoints, k: int = 2) -> tuple[LabelledPoints, np.ndarray]:
    r"""The points projected on their first ``k`` principal components: ``(points, explained)``.

    :math:`z_s = V_k^T (x_s - \bar x)`, :math:`\bar x` the weighted mean, :math:`V_k` the leading
    right singular vectors of the weighted centred data (``np.linalg.svd``); ``explained`` is
    ``(k,)``, the share of the total variance of each component.  Labels and weights are kept.
    """
    if not 1 <= k <= points.dim:
        raise ValueError(f"principal_components: k = {k} must be between 1 and the dimension {points.dim}")
    w = points.weight / points.total_weight
    centred = points.x - w @ points.x
    _, sing, vt = np.linalg.svd(centred * np.sqrt(w)[:, None], full_matrices=False)
    explained = sing[:k] ** 2 / np.sum(sing**2)
    return (labelled_points(centred @ vt[:k].T, points.label, points.weight,
                            source=f"{points.source}, first {k} principal components"), explained)
