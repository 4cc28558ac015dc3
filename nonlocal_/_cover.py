r"""Ball covers by k-d tree boxes: the graph reduction of the fast min-cut.

Hand-written in numba: scipy's cKDTree answers ball queries with the points
themselves, but the reduction needs the *tree boxes* that cover a ball, which
no library returns.

A k-d tree over the free points (:class:`meshes.kdtree.KDTree`: median splits
along the widest axis, one point per leaf) gives every tree node k a box and a point set S_k.  The
closed ball B_i ∩ free is the disjoint union of the maximal tree nodes whose
box lies inside the ball (a leaf is inside iff its point is).  For nested
balls B_{r_1} ⊂ … ⊂ B_{r_K} of one centre, each box is listed once, at the
smallest ball that contains it; the aux node of ball k is chained above that
of ball k − 1, so it sees the boxes of every level ≤ k.  In the graph,
an "or" node o_k ≥ o_child (≥ u_j at the leaves) and an "and" node
n_k ≤ n_child let one edge a_i ← o_k replace |S_k| edges a_i ← u_j, and one
edge b_i → n_k replace |S_k| edges b_i → u_j.  Since o_k, n_k carry no cost,
min-cuts give o_k = max_{S_k} u and n_k = min_{S_k} u, so the cut function on
the points is unchanged (and so are the minimal and maximal minimizers).
"""

from __future__ import annotations

import numba
import numpy as np

from meshes.kdtree import STACK, KDTree

__all__ = ["ball_cover"]


@numba.njit(cache=True)
def _cover(centres, start, cr2, left, right, point, lo, hi, owner, node, level):
    """Write the covers of centres ``start``, ``start + 1``, ... into ``owner``, ``node``, ``level``
    while they fit; returns (the first centre not written, the number of entries).  The output
    arrays are never reallocated here: growing them inside the loop made the kernel 4x slower."""
    d = centres.shape[1]
    nk = cr2.size
    stack = np.empty(STACK, np.int64)
    limit = np.empty(STACK, np.int64)
    total = 0
    for t in range(start, centres.shape[0]):
        done = total  # the entries of the centres before t
        top = 1
        stack[0] = 0
        limit[0] = nk
        while top > 0:
            top -= 1
            k, lim = stack[top], limit[top]
            near, far = 0.0, 0.0
            for a in range(d):
                c = centres[t, a]
                gap = max(lo[k, a] - c, 0.0, c - hi[k, a])
                near += gap * gap
                span = max(c - lo[k, a], hi[k, a] - c)
                far += span * span
            if near > cr2[lim - 1]:
                continue
            inner = lim  # the smallest ball (below the limit) that contains the whole box
            while inner > 0 and far <= cr2[inner - 1]:
                inner -= 1
            if inner < lim:
                if total == owner.size:  # centre t does not fit: the caller continues from it
                    return t, done
                owner[total] = t
                node[total] = k
                level[total] = inner
                total += 1
            if point[k] >= 0 or inner == 0 or near > cr2[inner - 1]:
                continue
            # the box meets a smaller ball it is not inside: its children cover the levels below
            stack[top] = left[k]
            stack[top + 1] = right[k]
            limit[top] = inner
            limit[top + 1] = inner
            top += 2
    return centres.shape[0], total


def ball_cover(tree: KDTree, centres: np.ndarray, radii):
    """The tree nodes that cover the nested closed balls (centre, r_1 < ... < r_K), level by level.

    Returns ``(owner, node, level)``: int32 arrays; the box of tree node
    ``node[q]`` lies inside the ball of radius ``radii[level[q]]`` around
    centre ``owner[q]`` and, for level > 0, not inside the next smaller one.
    The boxes of one centre and level k, together with those of the levels
    below k, cover exactly the tree points in the ball of radius r_k; no
    box is listed twice for one centre.  ``radii`` are the closed radii
    (:func:`nonlocal_.mixture.closed_radius`), increasing.
    """
    centres = np.ascontiguousarray(centres, dtype=np.float64)
    cr2 = np.ascontiguousarray(np.asarray(radii, dtype=np.float64) ** 2)
    if tree.point.size >= 2**31:
        raise ValueError("ball_cover: more than 2^30 tree points (int32 node ids)")
    args = (cr2, tree.left, tree.right, tree.point, tree.lo, tree.hi)
    # One chunk sized from the covers of a sample of centres (a quarter more than their mean): later
    # chunks, and concatenating them, cost as much as the kernel at tens of millions of entries.
    sample = np.ascontiguousarray(centres[:: max(1, centres.shape[0] // 256)])
    size = 1 << 16
    while True:
        owner, node, level = (np.empty(size, np.int32) for _ in range(3))
        stop, total = _cover(sample, 0, *args, owner, node, level)
        if stop == sample.shape[0]:
            break
        size *= 4
    size = max(1 << 12, int(1.25 * total / max(sample.shape[0], 1) * centres.shape[0]))
    parts, start = [], 0
    while start < centres.shape[0]:
        owner, node, level = (np.empty(size, np.int32) for _ in range(3))
        stop, total = _cover(centres, start, *args, owner, node, level)
        if stop == start:  # one centre's cover is larger than a chunk
            size *= 2
            continue
        parts.append((owner[:total], node[:total], level[:total]))
        start = stop
        size = max(1 << 12, size // 4)  # the rest, if the sample's mean was low
    if len(parts) == 1:
        return parts[0]
    return tuple(np.concatenate([part[i] for part in parts] + [np.zeros(0, np.int32)]) for i in range(3))
