r"""The optimal adversarial risk :math:`R^*(\varepsilon)` of labelled points, exactly, by one max-flow per budget.

For a classifier A ⊂ R^d (class 1 inside) and budget ε, the empirical
adversarial 0-1 risk of the points :math:`(x_s, y_s, w_s)` is

.. math::
    R_\varepsilon(A) = \frac{1}{W}\Big[\sum_{y_s = 0} w_s\,[\bar B_\varepsilon(x_s) \cap A \ne \emptyset]
                     + \sum_{y_s = 1} w_s\,[\bar B_\varepsilon(x_s) \not\subset A]\Big],
    \qquad W = \sum_s w_s,

closed balls of the ℓ2 or ℓ∞ norm.  :math:`R^*(\varepsilon) = \min_A
R_\varepsilon(A)` over all sets.  The points that A gets right under every
perturbation (the *robust* points) are pairwise free of conflicts
(:mod:`advmcf.samples.conflicts`), so the points it loses form a vertex
cover of the conflict graph; conversely, for any vertex cover C the set
:math:`A = \bigcup_{y_j = 1,\, j \notin C} \bar B_\varepsilon(x_j)` loses at
most C.  Hence :math:`R^*(\varepsilon)` is the minimum weighted vertex cover
of the bipartite conflict graph divided by W (Bhagoji, Cullina and Mittal
2019; Pydi and Jog 2020), and for unit weights and balanced classes, by
König's theorem, the maximum matching of the conflict graph over W.

**Max-flow.**  With :math:`u_j = 1` for a robust class-1 point and
:math:`v_i = 1` for a lost class-0 point, the cover is the closure problem
:math:`\min \sum_{y_j=1} w_j (1 - u_j) + \sum_{y_i = 0} w_i v_i` subject to
:math:`u_j \le v_i` on every conflict, solved by the certified pseudoflow
(:func:`advmcf.nonlocal_.pseudoflow.min_closure`) on the graphs of
:class:`~advmcf.samples.conflicts.ConflictGraphs`, with the weights scaled
to integers by a power of two (exact for integer weights).  Its certificate
gives a lower bound L on every cover; the cover read off the flow is then
checked without the graph — the robust points of the two classes must be
more than 2ε apart (a k-d tree query) — so its weight is the risk of an
actual classifier, and it must equal L (to 1e-9 relative: exactly for
integer weights), else the result is refused.

**Selection.**  Optimal covers need not be unique.  ``"minimal"`` takes the
smallest source set of the cut (the fewest robust class-1 and lost class-0
points), whose classifier :math:`A^* = \bigcup_{j\ \mathrm{robust},\ y_j = 1}
\bar B_\varepsilon(x_j)` is the smallest; ``"maximal"`` the largest, with
:math:`A^* = \mathbb{R}^d \setminus \bigcup_{i\ \mathrm{robust},\ y_i = 0}
\bar B_\varepsilon(x_i)`.  The *robust labels* are
:math:`1_{A^*}(x_s)`: a robust point keeps its label; a lost point gets
the label :math:`A^*` gives it.

Serial and MPI-free: under MPI call it on one rank (the ``advmcf risk``
command runs it on rank 0 and broadcasts the outcome).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from advmcf.meshes.kdtree import num_threads
from advmcf.nonlocal_.mixture import closed_radius
from advmcf.nonlocal_.pseudoflow import ClosureNetwork, min_closure

from .conflicts import ConflictGraphs
from .points import LabelledPoints

__all__ = ["RiskCurve", "optimal_risk", "SELECTIONS"]

log = logging.getLogger(__name__)

SELECTIONS = ("minimal", "maximal")
_RTOL = 1e-9


@dataclass(frozen=True)
class RiskCurve:
    r""":math:`R^*(\varepsilon)` of a data set over a sweep of K budgets; n points.

    Attributes:
        eps: ``(K,)`` the budgets, increasing.
        risk: ``(K,)`` :math:`R^*(\varepsilon)`, the weight of the lost points over W.
        lower_bound: ``(K,)`` the max-flow's bound on the risk (equal to ``risk`` for integer weights).
        certified: ``(K,)`` bool, \|risk − lower_bound\| ≤ 1e-9 · max(1, risk) (always true: the
            function raises otherwise).
        robust: ``(K, n)`` bool, the points the optimal classifier gets right under every perturbation.
        prediction: ``(K, n)`` int8, the robust labels :math:`1_{A^*}(x_s)` (module docstring).
        lost: ``(K, 2)`` the lost points of class 0 and class 1.
        conflicts: ``(K,)`` the points with a conflict (nodes of the vertex cover problem).
        arcs: ``(K,)`` the arcs of the max-flow graph.
        seconds: ``(K,)`` wall time of each budget's graph, max-flow and checks.
        setup_seconds: wall time of the neighbour search and the cover, shared by all budgets.
        norm, selection: as given.
        n0, n1: the points of class 0 and class 1.
    """

    eps: np.ndarray
    risk: np.ndarray
    lower_bound: np.ndarray
    certified: np.ndarray
    robust: np.ndarray
    prediction: np.ndarray
    lost: np.ndarray
    conflicts: np.ndarray
    arcs: np.ndarray
    seconds: np.ndarray
    setup_seconds: float
    norm: str
    selection: str
    n0: int
    n1: int


def _separated(x, a, b, radius, p) -> bool:
    """Whether every point of ``x[a]`` is farther than ``radius`` (closed) from every point of ``x[b]``."""
    if a.size == 0 or b.size == 0:
        return True
    d, _ = cKDTree(x[b]).query(x[a], k=1, p=p, distance_upper_bound=closed_radius(radius), workers=num_threads())
    return not bool(np.isfinite(d).any())


def _within(x, queries, centres, radius, p) -> np.ndarray:
    """``(len(queries),)`` bool: whether ``x[q]`` lies within ``radius`` (closed) of a point of ``x[centres]``."""
    if queries.size == 0 or centres.size == 0:
        return np.zeros(queries.size, bool)
    d, _ = cKDTree(x[centres]).query(x[queries], k=1, p=p, distance_upper_bound=closed_radius(radius),
                                     workers=num_threads())
    return np.isfinite(d)


def optimal_risk(points: LabelledPoints, eps, *, norm: str = "l2", selection: str = "minimal",
                 progress=None) -> RiskCurve:
    r""":math:`R^*(\varepsilon)` for every budget in ``eps`` (module docstring).

    Args:
        points: the data.
        eps: budgets ε ≥ 0 (any order, repeats allowed; the curve holds them sorted and unique).
        norm: ``"l2"`` or ``"linf"``.
        selection: ``"minimal"`` or ``"maximal"`` optimal classifier.
        progress: called as ``progress(k, K, eps_k, seconds)`` after each budget (a progress bar).

    Raises:
        ValueError: bad budgets, norm or selection (one line).
        RuntimeError: a cover whose weight is not the max-flow's bound, or that is not a cover (a
            fault of the solver or the graph, never of the data).
    """
    if selection not in SELECTIONS:
        raise ValueError(f"selection = {selection!r}: must be one of {', '.join(SELECTIONS)}")
    eps = np.unique(np.asarray(eps, dtype=float).reshape(-1))
    t0 = time.perf_counter()
    graphs = ConflictGraphs(points, eps, norm)
    setup = time.perf_counter() - t0
    x, n, W = points.x, points.n, points.total_weight
    leaf_nodes, leaf_points = graphs.leaves()
    cost = np.zeros(graphs.num_nodes)
    cost[graphs.num_tree:] = -points.weight[graphs.centres]  # a robust class-1 point (u_j = 1) saves w_j
    cost[leaf_nodes] = points.weight[leaf_points]  # a lost class-0 point (v_i = 1) costs w_i
    offset = float(points.weight[graphs.centres].sum())  # cover weight = offset + closure cost
    K = eps.size
    rows = {key: np.zeros(K) for key in ("risk", "lower", "seconds", "conflicts", "arcs")}
    certified = np.zeros(K, bool)
    robust = np.ones((K, n), bool)
    prediction = np.zeros((K, n), np.int8)
    lost = np.zeros((K, 2), np.int64)
    for k, e in enumerate(eps):
        t1 = time.perf_counter()
        tails, heads = graphs.arcs(k)
        narcs = sum(a.size for a in tails)
        lower = 0.0
        if graphs.num_nodes:
            cuts = min_closure(ClosureNetwork(graphs.num_nodes, tails, heads), cost)
            source = cuts.smallest if selection == "minimal" else cuts.largest
            robust[k, graphs.centres] = source[graphs.num_tree:]
            robust[k, leaf_points] = ~source[leaf_nodes]
            lower = offset + cuts.lower
        lost_idx = np.flatnonzero(~robust[k])
        # the check without the graph: robust points of different classes are more than 2 eps apart
        # (points without a conflict at eps are, by the nearest-point distances)
        live = graphs.conflicting(k) & robust[k]
        r0, r1 = np.flatnonzero(live & (points.label == 0)), np.flatnonzero(live & (points.label == 1))
        if not _separated(x, r0, r1, 2.0 * e, graphs.p):
            raise RuntimeError(f"optimal_risk: at eps = {e:g} two robust points of different classes conflict "
                               "(a fault of the conflict graph)")
        # robust labels: a robust point keeps its label; a lost one gets A*'s
        prediction[k] = points.label
        if selection == "minimal":  # A* = the eps-balls of the robust class-1 points
            prediction[k, lost_idx] = _within(x, lost_idx, np.flatnonzero(robust[k] & (points.label == 1)), e,
                                              graphs.p)
        else:  # A* = the complement of the eps-balls of the robust class-0 points
            prediction[k, lost_idx] = ~_within(x, lost_idx, np.flatnonzero(robust[k] & (points.label == 0)), e,
                                               graphs.p)
        risk = float(points.weight[lost_idx].sum()) / W
        rows["risk"][k], rows["lower"][k] = risk, lower / W
        certified[k] = abs(risk - lower / W) <= _RTOL * max(1.0, risk)
        if not certified[k]:
            raise RuntimeError(f"optimal_risk: at eps = {e:g} the cover weighs {risk:.12g}, the max-flow's bound is "
                               f"{lower / W:.12g} (a solver fault)")
        lost[k] = np.bincount(points.label[lost_idx], minlength=2)
        rows["conflicts"][k] = np.count_nonzero(graphs.conflicting(k))
        rows["arcs"][k] = narcs
        rows["seconds"][k] = time.perf_counter() - t1
        log.info("R*(%g) = %.6g (%d lost of %d, %d arcs, %.2f s)", e, risk, lost_idx.size, n, narcs,
                 rows["seconds"][k])
        if progress is not None:
            progress(k, K, e, rows["seconds"][k])
    n0, n1 = points.counts
    return RiskCurve(eps, rows["risk"], rows["lower"], certified, robust, prediction, lost,
                     rows["conflicts"].astype(np.int64), rows["arcs"].astype(np.int64), rows["seconds"], setup,
                     norm, selection, n0, n1)
