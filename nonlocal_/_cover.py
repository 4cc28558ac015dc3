r"""Ball covers by k-d tree boxes: the graph reduction of the fast min-cut.

Hand-written in numba: scipy's cKDTree answers ball queries with the points
themselves, but the reduction needs the *tree boxes* that cover a ball, which
no library returns.

A k-d tree over the free points (median splits along the widest axis, one
point per leaf) gives every tree node k a box and a point set S_k.  The
closed ball B_i ∩ free is the disjoint union of the maximal tree nodes whose
box lies inside the ball (a leaf is inside iff its point is).  In the graph,
an "or" node o_k ≥ o_child (≥ u_j at the leaves) and an "and" node
n_k ≤ n_child let one edge a_i ← o_k replace |S_k| edges a_i ← u_j, and one
edge b_i → n_k replace |S_k| edges b_i → u_j.  Since o_k, n_k carry no cost,
min-cuts give o_k = max_{S_k} u and n_k = min_{S_k} u, so the cut function on
the points is unchanged (and so are the minimal and maximal minimizers).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["KDTree", "ball_cover"]


@numba.njit(cache=True)
def _build(x):
    n, d = x.shape
    cap = max(2 * n - 1, 1)
    left = -np.ones(cap, np.int64)
    right = -np.ones(cap, np.int64)
    point = -np.ones(cap, np.int64)
    lo = np.empty((cap, d))
    hi = np.empty((cap, d))
    perm = np.arange(n)
    st_node = np.empty(cap, np.int64)
    st_s = np.empty(cap, np.int64)
    st_e = np.empty(cap, np.int64)
    top = 0
    st_node[0], st_s[0], st_e[0] = 0, 0, n
    top = 1
    count = 1
    while top > 0:
        top -= 1
        k, s, e = st_node[top], st_s[top], st_e[top]
        for a in range(d):
            mn, mx = np.inf, -np.inf
            for q in range(s, e):
                v = x[perm[q], a]
                mn = min(mn, v)
                mx = max(mx, v)
            lo[k, a], hi[k, a] = mn, mx
        if e - s == 1:
            point[k] = perm[s]
            continue
        axis = 0
        for a in range(1, d):
            if hi[k, a] - lo[k, a] > hi[k, axis] - lo[k, axis]:
                axis = a
        sub = perm[s:e].copy()
        order = np.argsort(x[sub, axis], kind="mergesort")
        perm[s:e] = sub[order]
        mid = (s + e) // 2
        left[k], right[k] = count, count + 1
        st_node[top], st_s[top], st_e[top] = count, s, mid
        st_node[top + 1], st_s[top + 1], st_e[top + 1] = count + 1, mid, e
        top += 2
        count += 2
    return left[:count], right[:count], point[:count], lo[:count], hi[:count]


@numba.njit(cache=True)
def _cover(centres, r2, left, right, point, lo, hi, owner, node, fill):
    d = centres.shape[1]
    stack = np.empty(256, np.int64)
    total = 0
    for t in range(centres.shape[0]):
        top = 1
        stack[0] = 0
        while top > 0:
            top -= 1
            k = stack[top]
            near, far = 0.0, 0.0
            for a in range(d):
                c = centres[t, a]
                gap = max(lo[k, a] - c, 0.0, c - hi[k, a])
                near += gap * gap
                span = max(c - lo[k, a], hi[k, a] - c)
                far += span * span
            if near > r2:
                continue
            if far <= r2:
                if fill:
                    owner[total] = t
                    node[total] = k
                total += 1
                continue
            if point[k] >= 0:
                continue
            if top + 2 > stack.size:
                bigger = np.empty(2 * stack.size, np.int64)
                bigger[:top] = stack[:top]
                stack = bigger
            stack[top] = left[k]
            stack[top + 1] = right[k]
            top += 2
    return total


class KDTree:
    """A k-d tree over ``points`` ``(n, gdim)`` with one point per leaf.

    Attributes: ``left``, ``right`` (children, −1 at leaves), ``point`` (the
    point index at a leaf, −1 inside), ``lo``, ``hi`` (boxes), all indexed by
    tree node; node 0 is the root.
    """

    def __init__(self, points: np.ndarray):
        points = np.ascontiguousarray(points, dtype=np.float64)
        if points.shape[0] == 0:
            raise ValueError("KDTree: no points")
        self.left, self.right, self.point, self.lo, self.hi = _build(points)

    @property
    def num_nodes(self) -> int:
        return self.left.size


def ball_cover(tree: KDTree, centres: np.ndarray, radius: float):
    """The maximal tree nodes inside each closed ball (centre, radius).

    Returns ``(owner, node)``: int64 arrays, ball ``owner[q]`` contains the box
    of tree node ``node[q]``; the boxes of one ball are disjoint and their
    points are exactly the tree points in the ball.
    """
    centres = np.ascontiguousarray(centres, dtype=np.float64)
    r2 = float(radius) ** 2
    dummy = np.empty(0, np.int64)
    total = _cover(centres, r2, tree.left, tree.right, tree.point, tree.lo, tree.hi, dummy, dummy, False)
    owner = np.empty(total, np.int64)
    node = np.empty(total, np.int64)
    _cover(centres, r2, tree.left, tree.right, tree.point, tree.lo, tree.hi, owner, node, True)
    return owner, node
