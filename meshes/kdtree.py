r"""A k-d tree with its boxes, for searches that scipy's cKDTree does not answer.

Hand-written in numba: scipy's cKDTree returns points, but the ball covers of
the fast min-cut (:mod:`advmcf.nonlocal_._cover`) need the tree's *boxes*, and the
distance to a set of simplices (:func:`advmcf.meshes._simplices.distance_to_simplices`)
needs boxes that bound whole simplices, not their centres.  Median splits
along the widest axis, one point per leaf; node 0 is the root, and every
child has a larger id than its parent (so a reverse sweep visits children
first).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["KDTree", "STACK", "num_threads"]

# A depth-first walk of a median-split tree (depth ceil(log2 n) <= 31 for int32 ids) holds at
# most depth + 2 nodes.
STACK = 128


def num_threads() -> int:
    """The threads of advmcf's parallel geometry: numba's (``NUMBA_NUM_THREADS``, default the
    cores), also passed as ``workers`` to scipy's k-d tree queries, so that one setting rules both."""
    return numba.get_num_threads()


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


class KDTree:
    """A k-d tree over ``points`` ``(n, gdim)`` with one point per leaf.

    Attributes: ``left``, ``right`` (children, −1 at leaves), ``point`` (the
    point index at a leaf, −1 inside), ``lo``, ``hi`` (boxes), all indexed by
    tree node (the boxes of the points below the node); node 0 is the root.
    """

    def __init__(self, points: np.ndarray):
        points = np.ascontiguousarray(points, dtype=np.float64)
        if points.shape[0] == 0:
            raise ValueError("KDTree: no points")
        self.left, self.right, self.point, self.lo, self.hi = _build(points)
