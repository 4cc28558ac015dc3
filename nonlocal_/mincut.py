r"""The discrete set problem of one step, solved exactly by one min-cut.

On points :math:`x_i` (a band of mesh vertices and its collar) with lumped
masses :math:`m_i`, densities :math:`\rho_{0,i}, \rho_{1,i}`, closed ε-balls
:math:`B_i`, a previous set :math:`\chi` and fidelity weights
:math:`w_i = m_i \rho_i d_i^p / \tau`, minimise over :math:`u \in \{0,1\}`
with :math:`u_i` fixed on the points that are not free

.. math::
    E(u) = \sum_{i\ \mathrm{free}} w_i |u_i - \chi_i|
         + \sum_{i \in T} \big[c_{0,i} (\max_{B_i} u - u_i)
                              + c_{1,i} (u_i - \min_{B_i} u)\big],
    \qquad c_{0,i} = \frac{m_i \rho_{0,i}}{\varepsilon},\
           c_{1,i} = \frac{m_i \rho_{1,i}}{\varepsilon},

(T the "term" points; callers make T hold every point whose ball meets a free
point, so that the other terms are constants).  E is submodular and is the
cut function of a graph with one node per free point, an auxiliary node
:math:`a_i \ge u_j\ (j \in B_i)` per max term and :math:`b_i \le u_j` per min
term (infinite edges), edges :math:`a_i \to i` (capacity :math:`c_{0,i}`),
:math:`i \to b_i` (capacity :math:`c_{1,i}`) and terminal edges.  Reductions:
fixed points are not nodes; a ball that holds a fixed point of class 1 (0)
makes its max (min) term unary (no auxiliary node); a ball without free
points gives a constant.

Two constructions of the infinite edges give the same cut function on the
points:

- ``method="plain"``: one edge per (ball, free point in the ball), from the
  CSR balls of :mod:`nonlocal_.neighbours` — the reference;
- ``method="tree"`` (default): one edge per (ball, maximal k-d tree box inside
  the ball) through "or"/"and" nodes of the tree (:mod:`nonlocal_._cover`):
  about 3×, 5×, 9× fewer edges at ε/h = 4, 8, 16.

Max-flow solvers (``solver=``):

- ``"push-relabel"`` (default): OR-tools' push–relabel ``SimpleMaxFlow``, on
  capacities scaled to integers (the finite ones sum to :math:`2^{58}`, the
  infinite ones are :math:`2^{62}`: no int64 overflow).  With the tree
  graph it cuts 10–20× faster than the plain graph with BK
  (``benchmarks/nonlocal_step.py``).
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
constant of the reduction); for push–relabel,
:math:`L = F_{int}/s + K - \sum_a |c_a s - [c_a s]|/s` (s the scale, [·]
the rounding: the integer problem's flow bounds its cuts exactly, and a cut
moves by at most the total rounding).  The result is certified when
:math:`|E(u) - L| \le 10^{-9} \max(1, |E(u)|)`.  The selection is exact for
the integer problem: a tie of the real problem that the rounding breaks
(relative :math:`10^{-16}` of the total capacity) can change it.
"""

from __future__ import annotations

import logging
import time

import maxflow
import numpy as np
from ortools.graph.python import max_flow
from scipy.spatial import cKDTree

from ._cover import KDTree, ball_cover
from .neighbours import balls, closed_radius, nearest_other_phase_within

__all__ = ["CutProblem", "SOLVERS", "set_energy"]

log = logging.getLogger(__name__)

_RTOL = 1e-9
SOLVERS = ("push-relabel", "bk")


def set_energy(u, chi, w, c0, c1, terms, x, eps) -> float:
    r"""E(u) of the module docstring, from the formula (no graph).

    For a binary u, :math:`\max_{B_i} u - u_i = 1` iff :math:`u_i = 0` and a
    point of u lies within ε, and :math:`u_i - \min_{B_i} u = 1` iff
    :math:`u_i = 1` and a point outside u lies within ε.

    Args:
        u, chi: ``(num_points,)`` bool, the candidate and the previous set.
        w: ``(num_points,)`` fidelity weights (0 where the point is fixed).
        c0, c1: ``(num_points,)`` :math:`m\rho_0/\varepsilon`, :math:`m\rho_1/\varepsilon`.
        terms: ``(num_points,)`` bool, the points whose terms count.
        x: ``(num_points, gdim)`` coordinates; eps: the radius ε.
    """
    near = nearest_other_phase_within(x, u, eps) & terms
    return float(np.sum(w[u != chi]) + np.sum(c0[near & ~u]) + np.sum(c1[near & u]))


def _within(x_from, x_to, eps):
    """``(len(x_from),)`` bool: some point of ``x_to`` within the closed ε-ball."""
    if x_to.shape[0] == 0 or x_from.shape[0] == 0:
        return np.zeros(x_from.shape[0], bool)
    d, _ = cKDTree(x_to).query(x_from, k=1, distance_upper_bound=closed_radius(eps))
    return np.isfinite(d)


class CutProblem:
    r"""The reduced graph of E (module docstring), built once, solved by max-flow.

    Args:
        x: ``(num_points, gdim)`` coordinates; eps: the radius ε.
        free: ``(num_points,)`` bool, the free points.
        chi: ``(num_points,)`` bool, the previous set (fidelity).
        w: ``(num_points,)`` fidelity weights (used on free points).
        c0, c1: ``(num_points,)`` :math:`m\rho_0/\varepsilon`, :math:`m\rho_1/\varepsilon`.
        terms: ``(num_points,)`` bool, points whose terms are in the graph.
        fixed: ``(num_points,)`` bool values of the non-free points (default chi).
        method: "tree" (default) or "plain" (module docstring).
        solver: "push-relabel" (default) or "bk" (module docstring).
    """

    def __init__(self, x, eps, free, chi, w, c0, c1, terms, *, fixed=None, method="tree",
                 solver="push-relabel"):
        if method not in ("tree", "plain"):
            raise ValueError(f"method must be 'tree' or 'plain', got {method!r}")
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
        self.x, self.eps, self.method, self.solver = np.asarray(x, float), float(eps), method, solver
        self.free, self.chi = np.asarray(free, bool), np.asarray(chi, bool)
        self.fixed = self.chi if fixed is None else np.asarray(fixed, bool)
        self.w = np.where(self.free, w, 0.0)
        self.c0, self.c1, self.terms = np.asarray(c0, float), np.asarray(c1, float), np.asarray(terms, bool)
        t0 = time.perf_counter()
        self._build()
        self.build_time = time.perf_counter() - t0

    def _members(self, t):
        """(owner, max-side node, min-side node) for the free part of the balls of the points ``t``,
        plus the tree edges (src, dst) of the or/and nodes; node ids >= num_free are auxiliary."""
        nv = self.nodes.size
        if nv == 0:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, empty, empty, 0
        if self.method == "plain":
            b = balls(self.x, self.eps)
            node = np.full(self.free.size, -1, np.int64)
            node[self.free] = np.arange(nv)
            sizes = b.indptr[t + 1] - b.indptr[t]
            owner = np.repeat(np.arange(t.size), sizes)
            starts = np.repeat(b.indptr[t] - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
            members = b.indices[np.arange(owner.size) + starts]
            keep = self.free[members]
            gn = node[members[keep]]
            return owner[keep], gn, gn, np.zeros(0, np.int64), np.zeros(0, np.int64), 0
        tree = KDTree(self.x[self.free])
        owner, k = ball_cover(tree, self.x[t], closed_radius(self.eps))
        internal = tree.point < 0
        ni = int(np.count_nonzero(internal))
        or_id = np.where(internal, nv + np.cumsum(internal) - 1, tree.point)
        and_id = np.where(internal, nv + ni + np.cumsum(internal) - 1, tree.point)
        parents = np.flatnonzero(internal)
        kids = np.concatenate([tree.left[parents], tree.right[parents]])
        par2 = np.concatenate([parents, parents])
        # or: child -> parent (u_child <= o_parent); and: parent -> child (n_parent <= u_child)
        src = np.concatenate([or_id[kids], and_id[par2]])
        dst = np.concatenate([or_id[par2], and_id[kids]])
        return owner, or_id[k], and_id[k], src, dst, 2 * ni

    def _build(self):
        free, chi, fix, x = self.free, self.chi, self.fixed, self.x
        self.nodes = np.flatnonzero(free)
        nv = self.nodes.size
        q = self.w * (1.0 - 2.0 * chi)  # fidelity w|u - chi| = q u + w chi
        const = float(np.sum(self.w[free] * chi[free]))
        t = np.flatnonzero(self.terms)
        tfree = free[t]
        c0, c1 = self.c0[t], self.c1[t]
        has1 = _within(x[t], x[~free & fix], self.eps)
        has0 = _within(x[t], x[~free & ~fix], self.eps)
        un = np.zeros(free.size)
        # max term: a fixed 1 in the ball makes it c0 (1 - u_i)
        np.add.at(un, t[has1 & tfree], -c0[has1 & tfree])
        const += float(np.sum(c0[has1]) - np.sum(c0[has1 & ~tfree] * fix[t[has1 & ~tfree]]))
        # min term: a fixed 0 in the ball makes it c1 u_i
        np.add.at(un, t[has0 & tfree], c1[has0 & tfree])
        const += float(np.sum(c1[has0 & ~tfree] * fix[t[has0 & ~tfree]]))
        q = q + un
        owner, max_node, min_node, tsrc_e, tdst_e, ntree = self._members(t)
        hasfree = np.bincount(owner, minlength=t.size) > 0
        amax = np.flatnonzero(~has1 & hasfree)
        amin = np.flatnonzero(~has0 & hasfree)
        na, nb = amax.size, amin.size
        base = nv + ntree
        aux_max = np.full(t.size, -1, np.int64)
        aux_max[amax] = base + np.arange(na)
        aux_min = np.full(t.size, -1, np.int64)
        aux_min[amin] = base + na + np.arange(nb)
        node = np.full(free.size, -1, np.int64)
        node[free] = np.arange(nv)
        sel_a = aux_max[owner] >= 0
        sel_b = aux_min[owner] >= 0
        inf_src = np.concatenate([max_node[sel_a], aux_min[owner[sel_b]], tsrc_e])
        inf_dst = np.concatenate([aux_max[owner[sel_a]], min_node[sel_b], tdst_e])
        fa = amax[tfree[amax]]
        fb = amin[tfree[amin]]
        fin_src = np.concatenate([aux_max[fa], node[t[fb]]])
        fin_dst = np.concatenate([node[t[fa]], aux_min[fb]])
        fin_cap = np.concatenate([c0[fa], c1[fb]])
        # a fixed i in a max term without fixed 1 has u_i = 0: cost c0 a_i (a_i -> sink);
        # in a min term without fixed 0 it has u_i = 1: cost c1 (1 - b_i) (source -> b_i)
        xa = amax[~tfree[amax]]
        xb = amin[~tfree[amin]]
        self.num_nodes = base + na + nb
        tsrc = np.zeros(self.num_nodes)
        tsnk = np.zeros(self.num_nodes)
        tsnk[aux_max[xa]] += c0[xa]
        tsrc[aux_min[xb]] += c1[xb]
        qf = q[self.nodes]
        tsnk[:nv] += np.maximum(qf, 0.0)
        tsrc[:nv] += np.maximum(-qf, 0.0)
        const += float(np.sum(np.minimum(qf, 0.0)))
        self.const = const
        self._finite = (fin_src, fin_dst, fin_cap)
        self._infinite = (inf_src, inf_dst)
        self._tedges = (tsrc, tsnk)
        self.num_edges = fin_src.size + self._infinite[0].size

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

    def _cuts_push_relabel(self, tsrc, tsnk, selection):
        """(u on the nodes, flow lower bound) by OR-tools push-relabel on scaled integers, u = 1 <-> source."""
        src, dst, cap = self._finite
        isrc, idst = self._infinite
        n = self.num_nodes
        nodes = np.arange(n)
        s_, t_ = n, n + 1
        tails = np.concatenate([src, np.full(n, s_), nodes])
        heads = np.concatenate([dst, nodes, np.full(n, t_)])
        caps = np.concatenate([cap, tsrc, tsnk])
        scale = 2.0**58 / max(float(caps.sum()), np.finfo(float).tiny)
        icap = np.rint(caps * scale)
        rounding = float(np.sum(np.abs(caps * scale - icap))) / scale
        keep = icap > 0
        g = max_flow.SimpleMaxFlow()
        g.add_arcs_with_capacity(np.concatenate([tails[keep], isrc]), np.concatenate([heads[keep], idst]),
                                 np.concatenate([icap[keep].astype(np.int64), np.full(isrc.size, 2**62, np.int64)]))
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
        solve = self._cuts_push_relabel if self.solver == "push-relabel" else self._cuts_bk
        u[self.nodes], bound = solve(tsrc, tsnk, selection)
        return u, bound

    def solve(self, selection: str = "minimal", thresholds=(), r=None):
        r"""Minimise E; return ``(u, info, levels)``.

        ``u`` is the ``(num_points,)`` bool minimizer (the minimal or maximal
        one).  ``info`` holds ``lower_bound`` (L of the module docstring),
        ``energy``, ``certified``, ``gap`` (:math:`|E(u) - L| / \max(1,
        |E(u)|)`), ``solve_time`` (graph build + max-flow), ``graph_nodes``,
        ``graph_edges``, ``solver``.  For each s in ``thresholds``,
        ``levels[s]`` is the same selection of the minimizers of
        :math:`E(u) + s \sum_i r_i u_i` (the sets decrease as s grows).
        """
        t0 = time.perf_counter()
        u, bound = self._cut(selection)
        solve_time = time.perf_counter() - t0 + self.build_time
        lower = bound + self.const
        energy = set_energy(u, self.chi, self.w, self.c0, self.c1, self.terms, self.x, self.eps)
        gap = abs(energy - lower) / max(1.0, abs(energy))
        info = {"lower_bound": lower, "energy": energy, "gap": gap,
                "certified": bool(gap <= _RTOL), "solve_time": solve_time,
                "graph_nodes": self.num_nodes, "graph_edges": self.num_edges, "solver": self.solver}
        levels = {s: self._cut(selection, s * r)[0] for s in thresholds}
        return u, info, levels
