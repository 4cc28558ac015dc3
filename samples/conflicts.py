r"""The nested conflict graphs of labelled points, for a sweep of budgets.

Two points of different classes *conflict* at budget ε when their closed
ε-balls meet, :math:`\|x_i - x_j\| \le 2\varepsilon` (any norm: two balls
of radius ε meet iff their centres are at most 2ε apart; a tie at exactly
2ε counts whatever the rounding, :func:`advmcf.nonlocal_.mixture.closed_radius`).
The conflict graph is bipartite, class 0 against class 1, and grows with ε.

**Graph.**  The minimum weighted vertex cover of the conflict graph is a
minimum closure (:mod:`advmcf.samples.risk`) whose constraints are
:math:`u_j \le v_i` for every conflict (j of class 1, i of class 0).  Listing
the conflicts pair by pair is hopeless for dense graphs (two Gaussian classes
of 5·10^4 points each in 2D have about 10^8 conflicts at ε = 0.25 and 10^9 at
ε = 1), so the constraints go through a k-d tree over the class-0 points
(:class:`advmcf.meshes.kdtree.KDTree`): an "and" node :math:`n_k \le n_{child}`
per tree node (its leaves are the points' :math:`v_i`), and one arc
:math:`u_j \to n_k` per box k that lies inside the 2ε-ball of :math:`x_j`
(:func:`advmcf.nonlocal_.ball_cover`: the maximal such boxes, each listed at
the smallest budget of the sweep whose ball holds it).  One cover, made once
for the largest budget, serves every budget of the sweep: the arcs of
budget :math:`\varepsilon_k` are the cover entries of level ≤ k.  Since the
and-nodes carry no cost, a minimum closure puts :math:`n_k` = min of its
leaves, and the closures on the points are those of the pairwise graph.
Points without a conflict at the largest budget are left out (they are
robust at every budget of the sweep).

Nothing here knows about meshes or MPI.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from advmcf.meshes.kdtree import KDTree, num_threads
from advmcf.nonlocal_ import ball_cover
from advmcf.nonlocal_.mixture import closed_radius

from .points import LabelledPoints

__all__ = ["NORMS", "ConflictGraphs", "norm_order"]

#: the budget norms by name: scipy's Minkowski p
NORMS = {"l2": 2.0, "linf": np.inf}


def norm_order(norm: str) -> float:
    """scipy's Minkowski ``p`` of a norm name (``"l2"`` or ``"linf"``); one-line ValueError otherwise."""
    if norm not in NORMS:
        raise ValueError(f"norm = {norm!r}: must be one of {', '.join(NORMS)}")
    return NORMS[norm]


def _nearest(x_from, x_to, radius, p):
    """``(n_from,)`` the distance from each point of ``x_from`` to the nearest of ``x_to``, ``inf``
    beyond ``radius`` (closed)."""
    d, _ = cKDTree(x_to).query(x_from, k=1, p=p, distance_upper_bound=closed_radius(radius),
                               workers=num_threads())
    return d


class ConflictGraphs:
    r"""The closure graphs of the conflict graphs of ``points`` at budgets ``eps`` (module docstring).

    Args:
        points: the data.
        eps: ``(K,)`` budgets ε ≥ 0, strictly increasing.
        norm: ``"l2"`` or ``"linf"``.

    Attributes:
        eps: the budgets.
        p: scipy's Minkowski p of the norm.
        centres: ``(m1,)`` indices (into the points) of the class-1 points with a conflict at the
            largest budget; graph node ``num_tree + q`` is ``centres[q]``.
        tree: the k-d tree over the class-0 points with a conflict (``tree_points`` their indices
            into the points); graph node k < ``num_tree`` is tree node k, a leaf stands for
            ``tree_points[tree.point[k]]``.
        num_nodes: ``num_tree + m1``.
        nearest: ``(n,)`` the distance from each point to the nearest point of the other class
            (``inf`` beyond twice the largest budget): found by k-d tree queries, independently
            of the cover, it tells which points conflict at any budget of the sweep.
        cover_entries: ``(K,)`` the cover arcs of each budget (entries of level ≤ k).
    """

    def __init__(self, points: LabelledPoints, eps, norm: str = "l2"):
        self.p = norm_order(norm)
        self.norm = norm
        self.eps = np.asarray(eps, dtype=float)
        if self.eps.ndim != 1 or self.eps.size == 0 or not np.all(np.isfinite(self.eps)) or np.any(self.eps < 0):
            raise ValueError(f"eps must be one or more finite budgets >= 0, got {eps!r}")
        if np.any(np.diff(self.eps) <= 0):
            raise ValueError(f"eps must be strictly increasing, got {list(self.eps)}")
        self.points = points
        x, i0, i1 = points.x, points.of_class(0), points.of_class(1)
        reach = 2.0 * self.eps[-1]
        self.nearest = np.full(points.n, np.inf)
        self.nearest[i0] = _nearest(x[i0], x[i1], reach, self.p)
        self.nearest[i1] = _nearest(x[i1], x[i0], reach, self.p)
        near = np.isfinite(self.nearest)
        self.tree_points, self.centres = i0[near[i0]], i1[near[i1]]
        self.tree = KDTree(x[self.tree_points]) if self.tree_points.size else None
        self.num_tree = 0 if self.tree is None else int(self.tree.point.size)
        self.num_nodes = self.num_tree + int(self.centres.size)
        if self.tree is None:
            self._owner = self._node = self._level = np.zeros(0, np.int32)
        else:
            radii = np.array([closed_radius(2.0 * e) for e in self.eps])
            owner, node, level = ball_cover(self.tree, x[self.centres], radii, p=self.p)
            order = np.argsort(level, kind="stable")  # budget k's arcs are a prefix
            self._owner, self._node, self._level = owner[order], node[order], level[order]
        self.cover_entries = np.searchsorted(self._level, np.arange(self.eps.size), side="right")

    def conflicting(self, k: int) -> np.ndarray:
        """``(n,)`` bool, the points with a conflict at budget ``eps[k]`` (from :attr:`nearest`)."""
        return self.nearest <= closed_radius(2.0 * self.eps[k])

    def leaves(self) -> tuple[np.ndarray, np.ndarray]:
        """``(tree nodes, point indices)`` of the tree's leaves (one per class-0 point with a conflict)."""
        if self.tree is None:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        k = np.flatnonzero(self.tree.point >= 0)
        return k, self.tree_points[self.tree.point[k]]

    def arcs(self, k: int) -> tuple[list, list]:
        r"""The closure arcs ``tail -> head`` (:math:`u_{tail} \le u_{head}`) of budget ``eps[k]``, as
        lists of int32 blocks: the tree's parent → child arcs, then centre → covering box."""
        if self.tree is None:
            return [], []
        t = self.tree
        inner = np.flatnonzero(t.point < 0)
        parent = np.concatenate([inner, inner]).astype(np.int32)
        child = np.concatenate([t.left[inner], t.right[inner]]).astype(np.int32)
        m = int(self.cover_entries[k])
        return ([parent, (self._owner[:m] + self.num_tree).astype(np.int32)],
                [child, self._node[:m].astype(np.int32)])
