r"""The discrete set problem of one step, solved exactly by one min-cut.

On points :math:`x_i` (a band of mesh vertices and its collar) with
coefficients :math:`c_{0,i} = m_i\rho_{0,i}/\varepsilon`,
:math:`c_{1,i} = m_i\rho_{1,i}/\varepsilon`, an ε-neighbourhood given by a
:class:`~advmcf.nonlocal_.mixture.BallMixture` (nested closed balls
:math:`B_k(i)` of radii :math:`r_1 < \dots < r_K`, weights
:math:`w_k > 0`), a previous set :math:`\chi` and fidelity weights
:math:`w^f_i = m_i \rho_i d_i^p / \tau`, minimise over :math:`u \in \{0,1\}`
with :math:`u_i` fixed on the points that are not free

.. math::
    E(u) = \sum_{i\ \mathrm{free}} w^f_i |u_i - \chi_i|
         + \sum_{i \in T} \sum_k w_k \big[c_{0,i} (\max_{B_k(i)} u - u_i)
                              + c_{1,i} (u_i - \min_{B_k(i)} u)\big]

(T the "term" points; callers make T hold every point whose largest ball
meets a free point, so that the other terms are constants; the second sum
is :func:`advmcf.nonlocal_.functional.vertex_perimeter` restricted to T).
A term may also be centred elsewhere (``centres``): term t then has its own
point :math:`o_t` and centre :math:`y_t`, and reads
:math:`w_k[c_{0,t}(\max_{B_k(y_t)} u - u_{o_t}) + c_{1,t}(u_{o_t} - \min_{B_k(y_t)} u)]`
with :math:`B_k(y_t)` the points within :math:`r_k` of :math:`y_t`; the own
point must lie in the smallest ball (the terms of the empirical class
measures of :mod:`advmcf.samples`, centred at the samples).  E is
submodular and is the cut function of a graph with one node per free point,
auxiliary nodes :math:`a_{ik} \ge u_j\ (j \in B_k(i))` per max term and
:math:`b_{ik} \le u_j` per min term (infinite edges), edges
:math:`a_{ik} \to i` (capacity :math:`w_k c_{0,i}`), :math:`i \to b_{ik}`
(capacity :math:`w_k c_{1,i}`) and terminal edges.  Nested balls share
their edges: :math:`a_{ik} \ge a_{i,k-1}` and :math:`b_{ik} \le b_{i,k-1}`
(one infinite edge each), so :math:`a_{ik}` needs edges only from the
points of :math:`B_k(i) \setminus B_{k-1}(i)`.  Reductions: fixed points
are not nodes; a ball that holds a fixed point of class 1 (0) makes its max
(min) term unary (no auxiliary node), and so do all larger balls; a ball
without free points gives a constant.

Two constructions of the infinite edges give the same cut function on the
points:

- ``method="plain"``: one edge per (ball level, free point in its annulus),
  from the CSR balls of :mod:`advmcf.nonlocal_.neighbours` — the reference;
- ``method="tree"`` (default): one edge per (ball level, maximal k-d tree
  box inside the ball and not inside the next smaller one) through
  "or"/"and" nodes of the tree (:mod:`advmcf.nonlocal_._cover`), made in blocks
  of terms (the covers of all terms never exist at once).  The tree is
  either one over the free points, or (``covers=``) a tree over all vertices
  whose covers a :class:`~advmcf.nonlocal_._cover.CoverCache` keeps from one
  problem to the next: then the boxes without a free point make no edges,
  an "or" node is made for a box without a fixed 1 and an "and" node for a
  box without a fixed 0, and the first levels (below) are read off the
  covers.

Max-flow solvers (``solver=``):

- ``"pseudoflow"`` (default): :mod:`advmcf.nonlocal_.pseudoflow` on the closure
  form of the graph.  Every finite inner edge joins a node to one that the
  infinite edges keep on its side (:math:`a_{ik} \ge u_i` and
  :math:`b_{ik} \le u_i`: a point is in its own balls), so its cost
  :math:`c\,a(1 - u_i) = c\,a - c\,u_i` is unary: the graph becomes a
  minimum-weight closure problem (every inner arc infinite), solved on
  capacities scaled to integers as below.  The smallest and largest
  minimum cuts are read off the flow (residual reachability from the
  excesses), and the flow's bound :math:`L` is checked by
  :func:`advmcf.nonlocal_.pseudoflow.certify` independently of the solver.
- ``"push-relabel"``: OR-tools' push–relabel ``SimpleMaxFlow``, on
  capacities scaled to integers by a power of two (the finite ones sum to at
  most :math:`2^{58}`, the infinite ones are :math:`2^{62}`: no int64
  overflow; dyadic capacities scale exactly).
  With u = 1 ↔ source, one solve gives both selections: the source side of
  the residual graph (``get_source_side_min_cut``) is the smallest minimum
  cut, the minimal minimizer; the complement of the nodes that reach the
  sink (``get_sink_side_min_cut``) is the largest, the maximal minimizer.
- ``"bk"``: PyMaxflow's Boykov–Kolmogorov solver in floating point, the
  reference.  It labels "sink" exactly the nodes that reach the sink in the
  residual graph, so its source side is the largest minimum cut: with u = 1 ↔
  source the maximal minimizer; with u = 1 ↔ sink its complement is the
  minimal one.

(Auxiliary nodes do not change the selection: every minimizer on the points
extends to a minimum cut.)

Certificate: the energy :math:`E(u)` of the returned set is recomputed from
the formula (nearest-neighbour queries, not the graph) and compared with a
lower bound L on every cut: L = F + K for BK (F the flow value, K the
constant of the reduction); for push–relabel and pseudoflow,
:math:`L = F_{int}/s + K - \sum_a |c_a s - [c_a s]|/s` (s the scale, [·]
the rounding: the integer problem's flow bounds its cuts exactly, and a cut
moves by at most the total rounding).  The result is certified when
:math:`|E(u) - L| \le 10^{-9} \max(1, |E(u)|)`.  The selection is exact for
the integer problem: a tie of the real problem that the rounding breaks
(relative :math:`10^{-16}` of the total capacity) can change it.
"""

from __future__ import annotations

import time

import logging

import maxflow
import numba
import numpy as np
from ortools.graph.python import max_flow
from scipy.spatial import cKDTree

from advmcf.meshes.kdtree import KDTree, num_threads

from ._cover import ball_cover
from ._timing import Timings
from .functional import centred_perimeter, vertex_perimeter
from .mixture import BallMixture
from .neighbours import balls
from .parametric import breakpoints
from .pseudoflow import ClosureNetwork, integer_capacities, min_closure

__all__ = ["CutProblem", "SOLVERS", "METHODS", "set_energy"]

log = logging.getLogger(__name__)

_RTOL = 1e-9
_COVER_BLOCK = 1 << 15  # term points whose ball covers are listed at once
SOLVERS = ("pseudoflow", "push-relabel", "bk")
METHODS = ("tree", "plain")


def set_energy(u, chi, w, c0, c1, terms, x, mixture: BallMixture, centres=None) -> float:
    r"""E(u) of the module docstring, from the formula (no graph).

    Args:
        u, chi: ``(num_points,)`` bool, the candidate and the previous set.
        w: ``(num_points,)`` fidelity weights (0 where the point is fixed).
        c0, c1: ``(num_points,)`` :math:`m\rho_0/\varepsilon`, :math:`m\rho_1/\varepsilon`.
        terms: ``(num_points,)`` bool, the points whose terms count.
        x: ``(num_points, gdim)`` coordinates; mixture: the ε-neighbourhood.
        centres: None, or ``(num_terms, gdim)`` term centres; then ``terms`` holds the own point of
            each term and ``c0``, ``c1`` are per term (:func:`~advmcf.nonlocal_.functional.centred_perimeter`).
    """
    if centres is not None:
        return float(np.sum(w[u != chi])) + centred_perimeter(x, u, centres, terms, c0, c1, mixture)
    return float(np.sum(w[u != chi])) + vertex_perimeter(x, u, np.where(terms, c0, 0.0),
                                                         np.where(terms, c1, 0.0), mixture)


def _first_level(x_from, x_to, mixture):
    """``(len(x_from),)`` the first ball of ``mixture`` holding a point of ``x_to`` (K if none)."""
    if x_to.shape[0] == 0 or x_from.shape[0] == 0:
        return np.full(x_from.shape[0], mixture.radii.size, np.int64)
    d, _ = cKDTree(x_to).query(x_from, k=1, distance_upper_bound=mixture.closed_radii[-1], workers=num_threads())
    return mixture.level(d)


@numba.njit(cache=True)
def _box_flags(left, right, point, state):
    """Per node of a k-d tree over all vertices: whether its box holds a free vertex, a fixed 1, a fixed 0,
    a vertex that is not a point of the problem (``state`` per vertex: 1 free, 2 fixed 1, 3 fixed 0,
    0 not a point).  A reverse sweep: children have larger ids than their parents."""
    n = point.size
    flags = np.zeros((n, 4), np.bool_)  # free, fixed 1, fixed 0, outside
    for k in range(n - 1, -1, -1):
        if point[k] >= 0:
            st = state[point[k]]
            flags[k, 0], flags[k, 1], flags[k, 2], flags[k, 3] = st == 1, st == 2, st == 3, st == 0
        else:
            for a in range(4):
                flags[k, a] = flags[left[k], a] or flags[right[k], a]
    return flags


@numba.njit(cache=True)
def _levels_from_covers(ptr, node, level, flags, num_levels):
    """``(lvl1, lvl0, lvlf, outside)`` per term from its cover entries: the first level whose boxes hold a
    fixed 1, a fixed 0, a free point (``num_levels`` if none), and whether a box holds a vertex that is
    not a point of the problem.  Every point of a ball lies in a box of the smallest level that holds it,
    so these are the first balls that hold such a point."""
    nt = ptr.size - 1
    lvl1 = np.full(nt, num_levels, np.int64)
    lvl0 = np.full(nt, num_levels, np.int64)
    lvlf = np.full(nt, num_levels, np.int64)
    outside = False
    for j in range(nt):
        for q in range(ptr[j], ptr[j + 1]):
            k, lv = node[q], level[q]
            if flags[k, 1] and lv < lvl1[j]:
                lvl1[j] = lv
            if flags[k, 2] and lv < lvl0[j]:
                lvl0[j] = lv
            if flags[k, 0] and lv < lvlf[j]:
                lvlf[j] = lv
            outside = outside or flags[k, 3]
    return lvl1, lvl0, lvlf, outside


@numba.njit(cache=True)
def _cover_arcs(owner, level, member, max_id, min_id, lvlf, lvl1, lvl0, off_a, off_b):
    """The infinite edges ``(src, dst)`` (int32) of a block of cover entries.  For a cover entry q
    of term point o = owner[q] at ball level l with lvlf[o] <= l: the edge max_id[member[q]] -> a_ol
    if l < lvl1[o] (the max term is not unary there) and b_ol -> min_id[member[q]] if l < lvl0[o]."""
    count = 0
    for q in range(owner.size):
        o, lv = owner[q], level[q]
        if lv >= lvlf[o]:
            count += (lv < lvl1[o]) + (lv < lvl0[o])
    src = np.empty(count, np.int32)
    dst = np.empty(count, np.int32)
    pos = 0
    for q in range(owner.size):
        o, lv = owner[q], level[q]
        if lv >= lvlf[o]:
            if lv < lvl1[o]:
                src[pos] = max_id[member[q]]
                dst[pos] = off_a[o] + lv - lvlf[o]
                pos += 1
            if lv < lvl0[o]:
                src[pos] = off_b[o] + lv - lvlf[o]
                dst[pos] = min_id[member[q]]
                pos += 1
    return src, dst


@numba.njit(cache=True)
def _cached_cover_adjacency(n, ptr, node, level, rows, max_id, min_id, lvlf, lvl1, lvl0, off_a, off_b, extra_src,
                            extra_dst):
    """The out-adjacency (CSR ``(aptr, out)`` over ``n`` nodes) of the infinite arcs: those of
    :func:`_cover_arcs` for the cached covers (CSR ``ptr``, ``node``, ``level`` over the terms) of the
    terms ``rows`` (term ``rows[j]`` is owner j), then ``extra_src -> extra_dst``.  Made in place by a
    counting sort over the entries (two passes), so that no list of arcs ever exists: the adjacency
    (4 bytes an arc) is the only copy."""
    aptr = np.zeros(n + 1, np.int64)
    for sweep in range(2):
        if sweep == 1:
            for v in range(n):
                aptr[v + 1] += aptr[v]
            fill = aptr[:-1].copy()
            out = np.empty(aptr[n], np.int32)
        for j in range(rows.size):
            for q in range(ptr[rows[j]], ptr[rows[j] + 1]):
                lv, m = level[q], node[q]
                if lv < lvlf[j]:
                    continue
                if lv < lvl1[j] and max_id[m] >= 0:  # u_m <= a_{j,lv}
                    if sweep == 0:
                        aptr[max_id[m] + 1] += 1
                    else:
                        out[fill[max_id[m]]] = off_a[j] + lv - lvlf[j]
                        fill[max_id[m]] += 1
                if lv < lvl0[j] and min_id[m] >= 0:  # b_{j,lv} <= u_m
                    b = off_b[j] + lv - lvlf[j]
                    if sweep == 0:
                        aptr[b + 1] += 1
                    else:
                        out[fill[b]] = min_id[m]
                        fill[b] += 1
        for e in range(extra_src.size):
            if sweep == 0:
                aptr[extra_src[e] + 1] += 1
            else:
                out[fill[extra_src[e]]] = extra_dst[e]
                fill[extra_src[e]] += 1
    return aptr, out


def _slots(first, stop):
    """Auxiliary node numbering for levels ``first[i] <= k < stop[i]`` of each term point i:
    returns (count, offsets) so that node (i, k) is ``offsets[i] + k - first[i]``."""
    count = np.maximum(stop - first, 0)
    return int(count.sum()), np.cumsum(count) - count


class CutProblem:
    r"""The reduced graph of E (module docstring), built once, solved by max-flow.

    Args:
        x: ``(num_points, gdim)`` coordinates; mixture: the ε-neighbourhood.
        free: ``(num_points,)`` bool, the free points.
        chi: ``(num_points,)`` bool, the previous set (fidelity).
        w: ``(num_points,)`` fidelity weights (used on free points).
        c0, c1: ``(num_points,)`` :math:`m\rho_0/\varepsilon`, :math:`m\rho_1/\varepsilon`.
        terms: ``(num_points,)`` bool, points whose terms are in the graph.
        fixed: ``(num_points,)`` bool values of the non-free points (default chi).
        centres: None (terms centred at their points), or ``(num_terms, gdim)`` term centres; then
            ``terms`` is ``(num_terms,)`` int, the own point of each term (within the smallest
            ball of its centre), and ``c0``, ``c1`` are ``(num_terms,)`` (module docstring).
        method: "tree" (default) or "plain" (module docstring).
        solver: "pseudoflow" (default), "push-relabel" or "bk" (module docstring).
        covers: optional ``(cache, ids)``: a :class:`~advmcf.nonlocal_._cover.CoverCache`
            over all vertices and the vertex ids of the points (sorted; ``x`` is
            ``cache.x[ids]``).  The "or"/"and" nodes are then those of the
            cache's tree over all vertices (boxes with a free point and no fixed
            1, resp. 0), the first levels and the edges come from its covers,
            and the covers of term points it has seen in its last request are not
            walked again.  Every term's ball must lie within the points.  The
            graph differs from the one of a tree over the free points, its cut
            function does not.
        keep_covers: whether the cache keeps this request's covers (for the
            next step) or the previous ones (a problem on a subset).
    """

    def __init__(self, x, mixture: BallMixture, free, chi, w, c0, c1, terms, *, fixed=None,
                 method="tree", solver="pseudoflow", centres=None, covers=None, keep_covers=True):
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
        if covers is not None and (method != "tree" or centres is not None):
            raise ValueError("CutProblem: covers are for method='tree' with the terms at their points")
        self._cache, self._ids = (None, None) if covers is None else (covers[0], np.asarray(covers[1], np.int64))
        self._keep_covers = keep_covers
        self.x, self.mixture = np.asarray(x, float), mixture
        self.method, self.solver = method, solver
        self.free, self.chi = np.asarray(free, bool), np.asarray(chi, bool)
        self.fixed = self.chi if fixed is None else np.asarray(fixed, bool)
        self.w = np.where(self.free, w, 0.0)
        self.c0, self.c1 = np.asarray(c0, float), np.asarray(c1, float)
        self.centres = None if centres is None else np.asarray(centres, float)
        self.terms = np.asarray(terms, bool if centres is None else np.int64)
        if centres is not None:
            off = np.linalg.norm(self.centres - self.x[self.terms], axis=1) if self.terms.size else np.zeros(0)
            if np.any(off > mixture.closed_radii[0]):
                raise ValueError(f"CutProblem: a term's own point is {off.max():g} from its centre, outside its "
                                 f"smallest ball (radius {mixture.radii[0]:g})")
        self.fallbacks = 0  # pseudoflow solves that failed their check and were redone by push-relabel
        self.times = Timings()  # cover, graph (the rest of the build), flow, certificate
        t0 = time.perf_counter()
        self._build()
        self.build_time = time.perf_counter() - t0
        self.times["graph"] = self.build_time - self.times.get("cover", 0.0)

    @property
    def covers(self):
        """The ``(cache, ids)`` the problem was given, or None."""
        return None if self._cache is None else (self._cache, self._ids)

    def _first_levels(self, t, xt, tfree):
        """``(lvl1, lvl0, lvlf)`` of the term points ``t``: the first ball that holds a fixed 1, a fixed 0,
        a free point (K if none), by nearest-neighbour queries or from the cached covers."""
        x, free, fix, mixture = self.x, self.free, self.fixed, self.mixture
        if self._cache is None:
            return (_first_level(xt, x[~free & fix], mixture), _first_level(xt, x[~free & ~fix], mixture),
                    np.where(tfree, 0, _first_level(xt, x[free], mixture)))
        cache = self._cache
        state = np.zeros(cache.x.shape[0], np.int8)
        state[self._ids] = np.where(free, 1, np.where(fix, 2, 3))
        self._flags = _box_flags(cache.tree.left, cache.tree.right, cache.tree.point, state)
        self._entries = cache.get(self._ids[t], keep=self._keep_covers)
        lvl1, lvl0, lvlf, outside = _levels_from_covers(*self._entries, self._flags, mixture.radii.size)
        if outside:
            raise ValueError("CutProblem: a term's ball holds a vertex that is not one of the points")
        return lvl1, lvl0, lvlf

    def _member_ids(self):
        """``(max_id, min_id, tree_src, tree_dst, num_tree_nodes, tree)``: the node ids of the max
        and min sides of a cover member (a free point, or an or/and node of the k-d tree of the
        free points for ``method="tree"``) and the infinite edges inside the tree."""
        nv = self.nodes.size
        empty = np.zeros(0, np.int64)
        if self._cache is not None and nv > 0:
            return self._cached_member_ids()
        if self.method == "plain" or nv == 0:
            node = np.full(self.free.size, -1, np.int64)
            node[self.free] = np.arange(nv)
            return node, node, empty, empty, 0, None
        tree = KDTree(self.x[self.free])
        internal = tree.point < 0
        ni = int(np.count_nonzero(internal))
        or_id = np.where(internal, nv + np.cumsum(internal) - 1, tree.point)
        and_id = np.where(internal, nv + ni + np.cumsum(internal) - 1, tree.point)
        parents = np.flatnonzero(internal)
        kids = np.concatenate([tree.left[parents], tree.right[parents]])
        par2 = np.concatenate([parents, parents])
        # or: child -> parent (u_child <= o_parent); and: parent -> child (n_parent <= u_child)
        return (or_id, and_id, np.concatenate([or_id[kids], and_id[par2]]),
                np.concatenate([or_id[par2], and_id[kids]]), 2 * ni, tree)

    def _cached_member_ids(self):
        """:meth:`_member_ids` in the cache's tree over all vertices: an "or" node for every inner box
        with a free point and no fixed 1 (nor a vertex that is not a point), an "and" node for every
        inner box with a free point and no fixed 0; a leaf is its point's node if it is free; -1 for the
        other boxes (they make no edges: the max of a box of fixed 0s is 0, its min is never needed)."""
        tree, flags, nv = self._cache.tree, self._flags, self.nodes.size
        internal = tree.point < 0
        local = np.full(self._cache.x.shape[0], -1, np.int64)
        local[self._ids[self.free]] = np.arange(nv)  # the free points' nodes are 0..nv-1 in point order
        leaf = np.where(internal, -1, local[np.where(internal, 0, tree.point)])
        with_or = internal & flags[:, 0] & ~flags[:, 1] & ~flags[:, 3]
        with_and = internal & flags[:, 0] & ~flags[:, 2] & ~flags[:, 3]
        num_or, num_and = int(np.count_nonzero(with_or)), int(np.count_nonzero(with_and))
        or_id = np.where(with_or, nv + np.cumsum(with_or) - 1, leaf)
        and_id = np.where(with_and, nv + num_or + np.cumsum(with_and) - 1, leaf)
        # or: child -> parent (u_child <= o_parent); and: parent -> child (n_parent <= u_child)
        po, pa = np.flatnonzero(with_or), np.flatnonzero(with_and)
        kids_o, par_o = np.concatenate([tree.left[po], tree.right[po]]), np.concatenate([po, po])
        kids_a, par_a = np.concatenate([tree.left[pa], tree.right[pa]]), np.concatenate([pa, pa])
        ko, ka = or_id[kids_o] >= 0, and_id[kids_a] >= 0
        return (or_id, and_id, np.concatenate([or_id[kids_o][ko], and_id[par_a][ka]]),
                np.concatenate([or_id[par_o][ko], and_id[kids_a][ka]]), num_or + num_and, tree)

    def _covers(self, t, xt, tree):
        """Blocks ``(start, stop, owner, level, member)`` of the cover entries of the term points
        ``t[start:stop]`` (centres ``xt``): entry q holds ``member[q]`` (a free point for
        ``method="plain"``, a tree node for ``"tree"``) in the ball of level ``level[q]`` of term
        ``t[start + owner[q]]``.  In
        blocks of terms, so that the entries of all terms (as many as the arcs) never exist at once."""
        if self.nodes.size == 0 or t.size == 0:
            return
        cr = self.mixture.closed_radii
        if self.method == "plain" and self.centres is not None:  # balls about the centres
            pairs = cKDTree(xt).sparse_distance_matrix(cKDTree(self.x), cr[-1], output_type="ndarray")
            keep = self.free[pairs["j"]]
            yield 0, t.size, pairs["i"][keep], self.mixture.level(pairs["v"][keep]), pairs["j"][keep]
            return
        if self.method == "plain":
            b = balls(self.x, self.mixture.reach)
            sizes = b.indptr[t + 1] - b.indptr[t]
            owner = np.repeat(np.arange(t.size), sizes)
            entry = np.arange(owner.size) + np.repeat(b.indptr[t] - np.concatenate([[0], np.cumsum(sizes)[:-1]]),
                                                      sizes)
            members, level = b.indices[entry], self.mixture.level(b.dist[entry])
            keep = self.free[members]
            yield 0, t.size, owner[keep], level[keep], members[keep]
            return
        for start in range(0, t.size, _COVER_BLOCK):
            stop = min(start + _COVER_BLOCK, t.size)
            with self.times("cover"):
                owner, node, level = ball_cover(tree, xt[start:stop], cr)
            yield start, stop, owner, level, node

    def _build(self):
        free, chi, fix, x = self.free, self.chi, self.fixed, self.x
        weights, tail, cr = self.mixture.weights, self.mixture.tail, self.mixture.closed_radii
        self.nodes = np.flatnonzero(free)
        nv = self.nodes.size
        node = np.full(free.size, -1, np.int64)
        node[free] = np.arange(nv)
        q = self.w * (1.0 - 2.0 * chi)  # fidelity w|u - chi| = q u + w chi
        const = float(np.sum(self.w[free] * chi[free]))
        if self.centres is None:
            t = np.flatnonzero(self.terms)
            c0, c1, xt = self.c0[t], self.c1[t], x[t]
        else:  # t: the own point of each term
            t, c0, c1, xt = self.terms, self.c0, self.c1, self.centres
        tfree, tfix = free[t], fix[t]
        # the first level whose ball holds a fixed 1 (max terms from there on are unary),
        # a fixed 0 (min terms unary), a free point (below it the terms are constants)
        with self.times("cover"):
            lvl1, lvl0, lvlf = self._first_levels(t, xt, tfree)
        # unary parts: w c0 (1 - u_i) for k >= lvl1, w c1 u_i for k >= lvl0
        un = np.zeros(free.size)
        np.add.at(un, t[tfree], c1[tfree] * tail[lvl0[tfree]] - c0[tfree] * tail[lvl1[tfree]])
        const += float(np.sum(c0[tfree] * tail[lvl1[tfree]]))
        const += float(np.sum(c0[~tfree] * tail[lvl1[~tfree]] * ~tfix[~tfree]
                              + c1[~tfree] * tail[lvl0[~tfree]] * tfix[~tfree]))
        q = q + un
        # term points whose largest ball holds no free point add constants only: no graph for them
        live = lvlf < weights.size
        t, tfree, c0, c1, lvl1, lvl0, lvlf = t[live], tfree[live], c0[live], c1[live], lvl1[live], lvl0[live], lvlf[live]
        xt = xt[live]
        max_id, min_id, tsrc_e, tdst_e, ntree, tree = self._member_ids()
        # auxiliary nodes: a_ik for lvlf <= k < lvl1, b_ik for lvlf <= k < lvl0
        na, off_a = _slots(lvlf, lvl1)
        nb, off_b = _slots(lvlf, lvl0)
        base = nv + ntree
        off_a, off_b = off_a + base, off_b + base + na
        self.num_nodes = base + na + nb
        if self.num_nodes >= 2**31:
            raise ValueError(f"CutProblem: {self.num_nodes} graph nodes, more than int32 node ids hold")
        # every auxiliary node (i, k) as flat arrays
        ia = np.repeat(np.arange(t.size), np.maximum(lvl1 - lvlf, 0))
        ka = lvlf[ia] + np.arange(ia.size) - np.repeat(off_a - base, np.maximum(lvl1 - lvlf, 0))
        ib = np.repeat(np.arange(t.size), np.maximum(lvl0 - lvlf, 0))
        kb = lvlf[ib] + np.arange(ib.size) - np.repeat(off_b - base - na, np.maximum(lvl0 - lvlf, 0))
        a_id, b_id = base + np.arange(na), base + na + np.arange(nb)
        chain_a, chain_b = ka > lvlf[ia], kb > lvlf[ib]  # a_{i,k-1} <= a_ik, b_ik <= b_{i,k-1}
        extra_src = np.concatenate([tsrc_e, a_id[chain_a] - 1, b_id[chain_b]]).astype(np.int32)
        extra_dst = np.concatenate([tdst_e, a_id[chain_a], b_id[chain_b] - 1]).astype(np.int32)
        ids = (max_id, min_id, lvlf, lvl1, lvl0, off_a, off_b)
        # the infinite arcs: the pseudoflow's network holds them (out-adjacency), the other solvers' arc lists
        if self._cache is not None and nv:  # the arcs of the cached covers straight into the adjacency
            ptr, nodes, levels = self._entries
            self._closure = ClosureNetwork.from_adjacency(*_cached_cover_adjacency(
                self.num_nodes, ptr, nodes, levels, np.flatnonzero(live), *ids, extra_src, extra_dst))
            self._infinite = None if self.solver == "pseudoflow" else self._closure.arcs()
        elif self.solver == "pseudoflow":  # the blocks of arcs are let go as the network fills
            self._closure = ClosureNetwork(self.num_nodes, *self._infinite_arcs(t, xt, tree, ids, extra_src,
                                                                                extra_dst))
            self._infinite = None
        else:
            self._closure = None
            self._infinite = tuple(np.concatenate(a) for a in self._infinite_arcs(t, xt, tree, ids, extra_src,
                                                                                   extra_dst))
        fa, fb = tfree[ia], tfree[ib]
        fin_src = np.concatenate([a_id[fa], node[t[ib[fb]]]])
        fin_dst = np.concatenate([node[t[ia[fa]]], b_id[fb]])
        fin_cap = np.concatenate([weights[ka[fa]] * c0[ia[fa]], weights[kb[fb]] * c1[ib[fb]]])
        # a fixed i (then u_i = 0) in a max term costs w c0 a_ik (a -> sink); a fixed i (u_i = 1)
        # in a min term costs w c1 (1 - b_ik) (source -> b)
        tsrc = np.zeros(self.num_nodes)
        tsnk = np.zeros(self.num_nodes)
        tsnk[a_id[~fa]] += weights[ka[~fa]] * c0[ia[~fa]]
        tsrc[b_id[~fb]] += weights[kb[~fb]] * c1[ib[~fb]]
        qf = q[self.nodes]
        tsnk[:nv] += np.maximum(qf, 0.0)
        tsrc[:nv] += np.maximum(-qf, 0.0)
        const += float(np.sum(np.minimum(qf, 0.0)))
        self.const = const
        self._finite = (fin_src, fin_dst, fin_cap)
        self._tedges = (tsrc, tsnk)
        self.num_edges = fin_src.size + (self._closure.out.size if self._closure is not None
                                         else self._infinite[0].size)

    def _infinite_arcs(self, t, xt, tree, ids, extra_src, extra_dst):
        """The infinite edges as lists of int32 blocks ``(src, dst)``: those of the ball covers,
        block by block, then ``extra_src -> extra_dst`` (never joined for the pseudoflow: at
        hundreds of millions of arcs, a second copy would not fit)."""
        max_id, min_id, lvlf, lvl1, lvl0, off_a, off_b = ids
        src, dst = [], []
        for start, stop, owner, level, member in self._covers(t, xt, tree):
            sl = slice(start, stop)
            s, d = _cover_arcs(owner, level, member, max_id, min_id, lvlf[sl], lvl1[sl], lvl0[sl], off_a[sl],
                               off_b[sl])
            src.append(s)
            dst.append(d)
        return src + [extra_src], dst + [extra_dst]

    def _cuts_bk(self, tsrc, tsnk, selection):
        """(u on the nodes, flow lower bound) by BK, u = 1 <-> source for "maximal"."""
        src, dst, cap = self._finite
        isrc, idst = self._infinite
        if selection == "minimal":  # u = 1 <-> sink: the complement of BK's largest source side
            src, dst, isrc, idst, tsrc, tsnk = dst, src, idst, isrc, tsnk, tsrc
        inf = 2.0 * (tsrc.sum() + tsnk.sum() + cap.sum()) + 1.0
        g = maxflow.Graph[float](self.num_nodes, src.size + isrc.size)
        ids = g.add_nodes(self.num_nodes)
        g.add_edges(np.concatenate([src, isrc]), np.concatenate([dst, idst]),
                    np.concatenate([cap, np.full(isrc.size, inf)]), np.zeros(src.size + isrc.size))
        g.add_grid_tedges(ids, tsrc, tsnk)
        flow = g.maxflow()
        sink = g.get_grid_segments(ids[: self.nodes.size])
        return (sink if selection == "minimal" else ~sink), float(flow)

    def _closure_costs(self, tsrc, tsnk):
        """``(num_nodes,)`` the cost of each node on the source side (u = 1) in the closure form: a finite
        edge a -> b costs c u_a (1 - u_b) = c u_a - c u_b, since the infinite edges force u_a >= u_b; the
        energy is sum(tsrc) + sum of the costs of the source side."""
        src, dst, cap = self._finite
        n = self.num_nodes
        return tsnk - tsrc + np.bincount(src, cap, minlength=n) - np.bincount(dst, cap, minlength=n)

    def _closure_network(self) -> ClosureNetwork:
        """The infinite arcs as a :class:`ClosureNetwork` (the pseudoflow's own; built for the others)."""
        if self._closure is None:
            self._closure = ClosureNetwork(self.num_nodes, *self._infinite)
        return self._closure

    def _cuts_pseudoflow(self, tsrc, tsnk, selection):
        """(u on the nodes, flow lower bound) by the pseudoflow on the closure form, u = 1 <-> source."""
        cuts = min_closure(self._closure, self._closure_costs(tsrc, tsnk), self.times, selection == "maximal")
        if not cuts.optimal:
            log.warning("pseudoflow: the flow is not maximal (a solver fault); solved by push-relabel")
            self.fallbacks += 1
        u = cuts.smallest if selection == "minimal" else cuts.largest
        return u[: self.nodes.size], cuts.lower + float(tsrc.sum())

    def _cuts_push_relabel(self, tsrc, tsnk, selection):
        """(u on the nodes, flow lower bound) by OR-tools push-relabel on scaled integers, u = 1 <-> source."""
        src, dst, cap = self._finite
        isrc, idst = self._infinite if self._infinite is not None else self._closure.arcs()
        n = self.num_nodes
        nodes = np.arange(n)
        s_, t_ = n, n + 1
        tails = np.concatenate([src, np.full(n, s_), nodes])
        heads = np.concatenate([dst, nodes, np.full(n, t_)])
        caps = np.concatenate([cap, tsrc, tsnk])
        scale, icap, rounding = integer_capacities(caps, caps.sum())
        keep = icap > 0
        g = max_flow.SimpleMaxFlow()
        g.add_arcs_with_capacity(np.concatenate([tails[keep], isrc]), np.concatenate([heads[keep], idst]),
                                 np.concatenate([icap[keep], np.full(isrc.size, 2**62, np.int64)]))
        status = g.solve(s_, t_)
        if status != g.OPTIMAL:
            raise RuntimeError(f"OR-tools max-flow returned status {status}")
        if selection == "minimal":
            side = g.get_source_side_min_cut()
            u = np.zeros(n + 2, bool)
            u[side] = True
        else:
            u = np.ones(n + 2, bool)
            u[g.get_sink_side_min_cut()] = False
        return u[: self.nodes.size], g.optimal_flow() / scale - rounding

    def _cut(self, selection, extra=None):
        """The selected minimizer on all points and the lower bound of its energy (no constant),
        with ``extra`` (per free point) added to the cost of u = 1."""
        u = self.fixed.copy()
        if self.num_nodes == 0:
            return u, 0.0
        tsrc, tsnk = self._tedges
        if extra is not None:
            nv = self.nodes.size
            tsrc, tsnk = tsrc.copy(), tsnk.copy()
            net = tsnk[:nv] - tsrc[:nv] + extra[self.nodes]
            tsnk[:nv], tsrc[:nv] = np.maximum(net, 0.0), np.maximum(-net, 0.0)
        if self.solver == "pseudoflow":  # min_closure times its flow and certificate
            u[self.nodes], bound = self._cuts_pseudoflow(tsrc, tsnk, selection)
        else:
            with self.times("flow"):
                solve = self._cuts_push_relabel if self.solver == "push-relabel" else self._cuts_bk
                u[self.nodes], bound = solve(tsrc, tsnk, selection)
        return u, bound

    def solve(self, selection: str = "minimal"):
        r"""Minimise E; return ``(u, info)``.

        ``u`` is the ``(num_points,)`` bool minimizer (the minimal or maximal
        one).  ``info`` holds ``lower_bound`` (L of the module docstring),
        ``energy``, ``certified``, ``gap`` (:math:`|E(u) - L| / \max(1,
        |E(u)|)`), ``solve_time`` (graph build + max-flow), ``graph_nodes``,
        ``graph_edges``, ``solver``, ``fallbacks`` (pseudoflow solves redone
        by push–relabel because their flow failed the check; 0 normally).
        """
        t0 = time.perf_counter()
        u, bound = self._cut(selection)
        solve_time = time.perf_counter() - t0 + self.build_time
        lower = bound + self.const
        with self.times("certificate"):
            energy = set_energy(u, self.chi, self.w, self.c0, self.c1, self.terms, self.x, self.mixture, self.centres)
        gap = abs(energy - lower) / max(1.0, abs(energy))
        return u, {"lower_bound": lower, "energy": energy, "gap": gap, "certified": bool(gap <= _RTOL),
                   "solve_time": solve_time, "graph_nodes": self.num_nodes, "graph_edges": self.num_edges,
                   "solver": self.solver, "fallbacks": self.fallbacks}

    def levels(self, selection: str, thresholds, r) -> dict:
        r"""``{s: u_s}``: for each s in ``thresholds``, the selected minimizer of
        :math:`E(u) + s \sum_i r_i u_i` (``r`` per point; the sets decrease as s grows), one
        max-flow each on the same graph."""
        return {s: self._cut(selection, s * np.asarray(r, float))[0] for s in thresholds}

    def breakpoints(self, r, bound: float):
        r"""Every threshold problem at once: the breakpoint of each point in the family
        :math:`\min_u E(u) + s \sum_i r_i u_i` (:mod:`advmcf.nonlocal_.parametric`).

        Args:
            r: ``(num_points,)`` slopes, positive on the free points.
            bound: S > 0, the clipping range.

        Returns ``(beta, info)``: ``beta`` ``(num_points,)`` with
        :math:`\{\beta > s\}` the minimal and :math:`\{\beta \ge s\}` the
        maximal minimizer for every :math:`|s| < S` (the same sets as :meth:`levels`);
        on the free points β is the exact breakpoint clipped to [−S, S] (for
        the step's problem, the exact w of the convex form), on the others
        ±S by their fixed value.  ``info``: ``certified``, ``rounds``,
        ``fallbacks`` (:class:`~advmcf.nonlocal_.parametric.Breakpoints`).
        """
        r = np.asarray(r, float)
        if np.any(r[self.free] <= 0):
            raise ValueError("CutProblem.breakpoints: r must be positive on the free points")
        beta = np.where(self.fixed, float(bound), -float(bound))
        info = {"certified": True, "rounds": 0, "fallbacks": 0}
        if self.num_nodes:
            slope = np.zeros(self.num_nodes)
            slope[: self.nodes.size] = r[self.nodes]
            res = breakpoints(self._closure_network(), self._closure_costs(*self._tedges), slope, bound, self.times)
            beta[self.nodes] = res.beta[: self.nodes.size]
            info = {"certified": res.certified, "rounds": res.rounds, "fallbacks": res.fallbacks}
        return beta, info
