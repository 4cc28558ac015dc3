r"""Ball covers by k-d tree boxes: the graph reduction of the fast min-cut.

Hand-written in numba: scipy's cKDTree answers ball queries with the points
themselves, but the reduction needs the *tree boxes* that cover a ball, which
no library returns.

A k-d tree over the free points (:class:`advmcf.meshes.kdtree.KDTree`: median splits
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

The balls are Euclidean by default; ``p=np.inf`` covers the balls of the
maximum norm (cubes) instead (the conflict graphs of labelled data under an
ℓ∞ budget).
"""

from __future__ import annotations

import numba
import numpy as np

from advmcf.meshes.kdtree import STACK, KDTree, num_threads

__all__ = ["ball_cover", "CoverCache"]


@numba.njit(cache=True)
def _cover(centres, start, end, cr2, linf, left, right, point, lo, hi, owner, node, level):
    """Write the covers of centres ``start``, ..., ``end - 1`` into ``owner``, ``node``, ``level``
    while they fit; returns (the first centre not written, the number of entries).  The output
    arrays are never reallocated here: growing them inside the loop made the kernel 4x slower.
    ``near``/``far`` are the squared distances from the centre to the nearest/farthest point of a
    box, Euclidean or (``linf``) in the maximum norm."""
    d = centres.shape[1]
    nk = cr2.size
    stack = np.empty(STACK, np.int64)
    limit = np.empty(STACK, np.int64)
    total = 0
    for t in range(start, end):
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
                span = max(c - lo[k, a], hi[k, a] - c)
                if linf:
                    near = max(near, gap * gap)
                    far = max(far, span * span)
                else:
                    near += gap * gap
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
    return end, total


def ball_cover(tree: KDTree, centres: np.ndarray, radii, *, p: float = 2):
    """The tree nodes that cover the nested closed balls (centre, r_1 < ... < r_K), level by level.

    Returns ``(owner, node, level)``: int32 arrays; the box of tree node
    ``node[q]`` lies inside the ball of radius ``radii[level[q]]`` around
    centre ``owner[q]`` and, for level > 0, not inside the next smaller one.
    The boxes of one centre and level k, together with those of the levels
    below k, cover exactly the tree points in the ball of radius r_k; no
    box is listed twice for one centre.  ``radii`` are the closed radii
    (:func:`advmcf.nonlocal_.mixture.closed_radius`), increasing; ``p`` is the norm of
    the balls, 2 (Euclidean) or ``np.inf`` (maximum norm).  Blocks of centres
    are walked in parallel on numba's threads (``NUMBA_NUM_THREADS``); the
    result does not depend on their number.
    """
    centres = np.ascontiguousarray(centres, dtype=np.float64)
    if p not in (2, np.inf):
        raise ValueError(f"ball_cover: p = {p!r}, must be 2 or inf")
    cr2 = np.ascontiguousarray(np.asarray(radii, dtype=np.float64) ** 2)
    if tree.point.size >= 2**31:
        raise ValueError("ball_cover: more than 2^30 tree points (int32 node ids)")
    args = (cr2, bool(p == np.inf), tree.left, tree.right, tree.point, tree.lo, tree.hi)
    num = centres.shape[0]
    # Output sized from the covers of a sample of centres (a quarter more than their mean): growing
    # or concatenating arrays of tens of millions of entries costs as much as the walk.
    sample = np.ascontiguousarray(centres[:: max(1, num // 256)])
    size = 1 << 16
    while True:
        owner, node, level = (np.empty(size, np.int32) for _ in range(3))
        stop, total = _cover(sample, 0, sample.shape[0], *args, owner, node, level)
        if stop == sample.shape[0]:
            break
        size *= 4
    per_centre = 1.25 * total / max(sample.shape[0], 1)
    # blocks of centres walked in parallel (numba threads), each into its own part of the output
    bounds = np.linspace(0, num, min(num, 8 * num_threads()) + 1).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(np.ceil(per_centre * np.diff(bounds)).astype(np.int64) + 64)])
    owner, node, level = (np.empty(int(offsets[-1]), np.int32) for _ in range(3))
    reached, counts = _cover_blocks(centres, bounds, offsets, *args, owner, node, level)
    if np.array_equal(reached, bounds[1:]):  # the usual case: close the gaps between the blocks
        total = _compact(offsets, counts, owner, node, level)
        return owner[:total], node[:total], level[:total]
    parts = []
    for b in range(bounds.size - 1):
        parts.append(tuple(a[offsets[b]: offsets[b] + counts[b]] for a in (owner, node, level)))
        start = int(reached[b])
        while start < bounds[b + 1]:  # a block whose covers outgrew its part (the sample's mean was low)
            size = max(1 << 12, int(per_centre * (bounds[b + 1] - start)) + 64)
            out = tuple(np.empty(size, np.int32) for _ in range(3))
            stop, total = _cover(centres, start, int(bounds[b + 1]), *args, *out)
            if stop == start:  # one centre's cover is larger than the buffer
                per_centre *= 2
                continue
            parts.append(tuple(a[:total] for a in out))
            start = stop
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))


@numba.njit(cache=True)
def _compact(offsets, counts, owner, node, level):
    """Move block b's ``counts[b]`` entries from ``offsets[b]`` to follow block b − 1's (in place:
    every move is to the left); returns the total."""
    total = 0
    for b in range(counts.size):
        for q in range(counts[b]):
            owner[total + q] = owner[offsets[b] + q]
            node[total + q] = node[offsets[b] + q]
            level[total + q] = level[offsets[b] + q]
        total += counts[b]
    return total


@numba.njit(cache=True, parallel=True)
def _cover_blocks(centres, bounds, offsets, cr2, linf, left, right, point, lo, hi, owner, node, level):
    """:func:`_cover` of the blocks ``bounds[b] <= t < bounds[b + 1]`` in parallel, block b into
    ``[offsets[b], offsets[b + 1])`` of the outputs; returns per block the first centre not written
    and the number of entries."""
    nb = bounds.size - 1
    reached = np.empty(nb, np.int64)
    counts = np.empty(nb, np.int64)
    for b in numba.prange(nb):
        lo_, hi_ = offsets[b], offsets[b + 1]
        reached[b], counts[b] = _cover(centres, bounds[b], bounds[b + 1], cr2, linf, left, right, point, lo, hi,
                                       owner[lo_:hi_], node[lo_:hi_], level[lo_:hi_])
    return reached, counts


@numba.njit(cache=True)
def _place_entries(dst_ptr, rows, src_start, src_node, src_level, node, level):
    """Copy the entries ``src_start[j]:src_start[j] + n`` of ``src_node``, ``src_level`` to row ``rows[j]``
    of the CSR ``(dst_ptr, node, level)`` (n its length there), for every j."""
    for j in range(rows.size):
        d = dst_ptr[rows[j]]
        for q in range(src_start[j], src_start[j] + dst_ptr[rows[j] + 1] - dst_ptr[rows[j]]):
            node[d] = src_node[q]
            level[d] = src_level[q]
            d += 1


_BLOCK = 1 << 15  # vertices whose covers are walked at once


class CoverCache:
    """The ball covers of vertices in one k-d tree over all of them, kept between requests.

    ``CoverCache(x, radii)``: the tree over ``x`` ``(num_vertices, gdim)``
    (built once) and the closed radii of the nested balls.  ``get(ids)``
    returns the covers (:func:`ball_cover`, in this tree) of the vertices
    ``ids`` (sorted, unique) as a CSR ``(ptr, node, level)``: vertex
    ``ids[j]``'s entries are ``ptr[j]:ptr[j + 1]``.  The covers of the last
    request are kept, and only the vertices new to a request are walked: the
    band of a step moves by less than its width, so most of a step's covers
    are its predecessor's.  The tree and the covers depend on the vertices
    only, so the result is the same whatever was requested before.
    """

    def __init__(self, x: np.ndarray, radii):
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.radii = np.asarray(radii, dtype=np.float64)
        if self.radii.size > 127:
            raise ValueError("CoverCache: more than 127 ball levels")
        self.tree = KDTree(self.x)
        self._ids = np.zeros(0, np.int64)
        self._ptr = np.zeros(1, np.int64)
        self._node = np.zeros(0, np.int32)
        self._level = np.zeros(0, np.int8)

    def get(self, ids, keep: bool = True):
        """The covers of the vertices ``ids`` (sorted, unique): ``(ptr, node, level)``; ``keep``: kept for
        the next request (else the previous request's covers stay)."""
        ids = np.asarray(ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._ids, ids), max(self._ids.size - 1, 0))
        kept = self._ids[pos] == ids if self._ids.size else np.zeros(ids.size, bool)
        new_rows = np.flatnonzero(~kept)
        # the new vertices' covers walked in blocks, each kept as (ptr, node, level) with int8 levels: the
        # walk's own buffers (three int32 an entry, a quarter to spare) never hold all of them at once
        parts = []
        for start in range(0, new_rows.size, _BLOCK):
            rows = new_rows[start:start + _BLOCK]
            owner, node, level = ball_cover(self.tree, self.x[ids[rows]], self.radii)
            counts = np.bincount(owner, minlength=rows.size)
            parts.append((rows, np.concatenate([[0], np.cumsum(counts)]), node.copy(), level.astype(np.int8)))
            del owner, node, level
        counts = np.zeros(ids.size, np.int64)
        counts[kept] = np.diff(self._ptr)[pos[kept]]
        for rows, part_ptr, _, _ in parts:
            counts[rows] = np.diff(part_ptr)
        ptr = np.concatenate([[0], np.cumsum(counts)])
        node = np.empty(int(ptr[-1]), np.int32)
        level = np.empty(int(ptr[-1]), np.int8)
        kept_rows = np.flatnonzero(kept)
        _place_entries(ptr, kept_rows, self._ptr[pos[kept_rows]], self._node, self._level, node, level)
        while parts:  # each block's memory goes once it is placed
            rows, part_ptr, part_node, part_level = parts.pop(0)
            _place_entries(ptr, rows, part_ptr[:-1], part_node, part_level, node, level)
        if keep:
            self._ids, self._ptr, self._node, self._level = ids.copy(), ptr, node, level
        return ptr, node, level
