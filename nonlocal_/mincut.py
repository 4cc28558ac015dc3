r"""The discrete set problem of one step, solved exactly by one min-cut.

On a point set P (a band of mesh vertices and its collar) with lumped masses
:math:`m_i`, densities :math:`\rho_{0,i}, \rho_{1,i}`, closed ε-balls
:math:`B_i`, a previous set :math:`\chi` and fidelity weights
:math:`w_i = m_i \rho_i d_i^p / \tau`, minimise over :math:`u \in \{0,1\}^P`
with :math:`u_i = \chi_i` on the fixed points

.. math::
    E(u) = \sum_i w_i |u_i - \chi_i|
         + \frac{1}{\varepsilon} \sum_{i \in T} m_i \big[\rho_{0,i}
           (\max_{B_i} u - u_i) + \rho_{1,i} (u_i - \min_{B_i} u)\big]

(T the "term" points: every point whose ball meets a free point; the other
terms are constant).  E is submodular; it is a cut function of the graph with
one node per free point, one auxiliary node :math:`a_i \ge u_j\ (j \in B_i)`
for each max and one :math:`b_i \le u_j` for each min (infinite edges), edges
:math:`a_i \to i` (capacity :math:`m_i\rho_{0,i}/\varepsilon`),
:math:`i \to b_i` (capacity :math:`m_i\rho_{1,i}/\varepsilon`) and terminal
edges for the fidelity.  The graph is reduced before the solve: fixed points
are not nodes, a ball that holds a fixed point of class 1 (0) makes its max
(min) term a unary term without auxiliary node, and terms whose ball holds no
free point are constants.

Minimal and maximal minimizers, exactly: the Boykov–Kolmogorov solver
(PyMaxflow) labels a node "sink" iff it can reach the sink in the residual
graph, so its source side is the *largest* minimum cut.  With the encoding
u = 1 ↔ source this is the maximal minimizer; with u = 1 ↔ sink its
complement is the minimal one.

Certificate: the flow value F is a lower bound of every cut; the energy of
the returned set is recomputed from the formula above (not from the graph)
and the result is certified when :math:`E(u) = F + K` (K the constant of the
reduction) to a relative 1e-9.
"""

from __future__ import annotations

import logging
import time

import maxflow
import numpy as np

from .neighbours import Balls

__all__ = ["CutProblem", "set_energy"]

log = logging.getLogger(__name__)

_RTOL = 1e-9


def set_energy(u, chi, w, c0, c1, terms, b: Balls) -> float:
    r"""E(u) of the module docstring, from the formula (no graph).

    Args:
        u, chi: ``(num_points,)`` bool, the candidate and the previous set.
        w: ``(num_points,)`` fidelity weights (0 where the point is fixed).
        c0, c1: ``(num_points,)`` :math:`m\rho_0/\varepsilon`,
            :math:`m\rho_1/\varepsilon`.
        terms: ``(num_points,)`` bool, the points whose terms count.
        b: the balls of the points (complete for every term point).
    """
    uf = u.astype(np.float64)
    t = np.flatnonzero(terms)
    starts, stops = b.indptr[t], b.indptr[t + 1]
    sub = np.concatenate([np.arange(a, z) for a, z in zip(starts, stops)]) if t.size else np.zeros(0, int)
    ptr = np.concatenate([[0], np.cumsum(stops - starts)])[:-1]
    vals = uf[b.indices[sub]]
    umax = np.maximum.reduceat(vals, ptr) if t.size else np.zeros(0)
    umin = np.minimum.reduceat(vals, ptr) if t.size else np.zeros(0)
    per = np.sum(c0[t] * (umax - uf[t]) + c1[t] * (uf[t] - umin))
    return float(np.sum(w * np.abs(uf - chi)) + per)


class CutProblem:
    r"""The reduced graph of E (module docstring), built once, solved by BK.

    Args:
        b: closed ε-balls of the points (CSR, complete for term points).
        free: ``(num_points,)`` bool, the free points (the others keep chi).
        chi: ``(num_points,)`` bool, the previous set.
        w: ``(num_points,)`` fidelity weights :math:`m \rho d^p/\tau` (used
            on free points only).
        c0, c1: ``(num_points,)`` :math:`m\rho_0/\varepsilon`,
            :math:`m\rho_1/\varepsilon`.
        terms: ``(num_points,)`` bool, points whose terms count.
        energy_terms: the terms of the recomputed energy (default ``terms``).
        fixed: ``(num_points,)`` bool values of the fixed points (default chi).
    """

    def __init__(self, b: Balls, free, chi, w, c0, c1, terms, energy_terms=None, fixed=None):
        self.b, self.free, self.chi = b, np.asarray(free, bool), np.asarray(chi, bool)
        self.fixed = self.chi if fixed is None else np.asarray(fixed, bool)
        self.w = np.where(self.free, w, 0.0)
        self.c0, self.c1, self.terms = c0, c1, np.asarray(terms, bool)
        self.energy_terms = self.terms if energy_terms is None else np.asarray(energy_terms, bool)
        self._build()

    def _build(self):
        free, chi, fix, b = self.free, self.chi, self.fixed, self.b
        n = free.size
        node = np.full(n, -1, dtype=np.int64)
        node[free] = np.arange(np.count_nonzero(free))
        self.nodes = np.flatnonzero(free)
        nv = self.nodes.size
        # unary energy q_i u_i on free nodes, constant K
        q = self.w * (1.0 - 2.0 * chi)
        const = float(np.sum(self.w[free] * chi[free]))
        t = np.flatnonzero(self.terms)
        sizes = b.indptr[t + 1] - b.indptr[t]
        owner = np.repeat(np.arange(t.size), sizes)
        members = b.indices[np.concatenate([np.arange(b.indptr[i], b.indptr[i + 1]) for i in t])] \
            if t.size else np.zeros(0, np.int32)
        fixed1 = (~free & fix)[members]
        fixed0 = (~free & ~fix)[members]
        has1 = np.bincount(owner, weights=fixed1, minlength=t.size) > 0
        has0 = np.bincount(owner, weights=fixed0, minlength=t.size) > 0
        hasfree = np.bincount(owner, weights=free[members], minlength=t.size) > 0
        tfree = free[t]
        c0, c1 = self.c0[t], self.c1[t]
        # max term c0 (max u - u_i)
        un = np.zeros(n)
        m1 = has1  # max = 1
        np.add.at(un, t[m1 & tfree], -c0[m1 & tfree])
        const += float(np.sum(c0[m1]) - np.sum(c0[m1 & ~tfree] * fix[t[m1 & ~tfree]]))
        # min term c1 (u_i - min u)
        m0 = has0  # min = 0
        np.add.at(un, t[m0 & tfree], c1[m0 & tfree])
        const += float(np.sum(c1[m0 & ~tfree] * fix[t[m0 & ~tfree]]))
        q = q + un
        # auxiliary nodes: max terms without fixed 1 but with a free point; min likewise
        amax = np.flatnonzero(~has1 & hasfree)
        amin = np.flatnonzero(~has0 & hasfree)
        na, nb = amax.size, amin.size
        aux_max = np.full(t.size, -1, np.int64)
        aux_max[amax] = nv + np.arange(na)
        aux_min = np.full(t.size, -1, np.int64)
        aux_min[amin] = nv + na + np.arange(nb)
        fm = free[members]
        # infinite edges j -> a_i and b_i -> j for free j in the ball
        sel = fm & (aux_max[owner] >= 0)
        inf_src = [node[members[sel]]]
        inf_dst = [aux_max[owner[sel]]]
        sel = fm & (aux_min[owner] >= 0)
        inf_src.append(aux_min[owner[sel]])
        inf_dst.append(node[members[sel]])
        # finite edges a_i -> i (cap c0), i -> b_i (cap c1) for free i
        fa = amax[tfree[amax]]
        fb = amin[tfree[amin]]
        fin_src = np.concatenate([aux_max[fa], node[t[fb]]])
        fin_dst = np.concatenate([node[t[fa]], aux_min[fb]])
        fin_cap = np.concatenate([c0[fa], c1[fb]])
        # fixed i (u_i = 0 in a max term without fixed 1; u_i = 1 in a min term without fixed 0):
        # cost c0 a_i (edge a_i -> sink), c1 (1 - b_i) (edge source -> b_i)
        xa = amax[~tfree[amax]]
        xb = amin[~tfree[amin]]
        tsrc = np.zeros(nv + na + nb)
        tsnk = np.zeros(nv + na + nb)
        tsnk[aux_max[xa]] += c0[xa]
        tsrc[aux_min[xb]] += c1[xb]
        qf = q[self.nodes]
        tsnk[:nv] += np.maximum(qf, 0.0)
        tsrc[:nv] += np.maximum(-qf, 0.0)
        const += float(np.sum(np.minimum(qf, 0.0)))
        self.const = const
        self.num_nodes = nv + na + nb
        self.inf = 2.0 * (tsrc.sum() + tsnk.sum() + fin_cap.sum()) + 1.0
        self._edges = (np.concatenate([fin_src] + inf_src), np.concatenate([fin_dst] + inf_dst),
                       np.concatenate([fin_cap, np.full(sum(a.size for a in inf_src), self.inf)]))
        self._tedges = (tsrc, tsnk)
        self.num_edges = self._edges[0].size
        self.num_aux = na + nb

    def _graph(self, u1_is_source: bool):
        src, dst, cap = self._edges
        tsrc, tsnk = self._tedges
        if not u1_is_source:
            src, dst, tsrc, tsnk = dst, src, tsnk, tsrc
        g = maxflow.Graph[float](self.num_nodes, src.size)
        ids = g.add_nodes(self.num_nodes)
        g.add_edges(src, dst, cap, np.zeros_like(cap))
        g.add_grid_tedges(ids, tsrc, tsnk)
        return g, ids

    def _labels(self, g, ids, u1_is_source: bool) -> np.ndarray:
        sink = g.get_grid_segments(ids[: self.nodes.size])
        u = self.fixed.copy()
        u[self.nodes] = ~sink if u1_is_source else sink
        return u

    def solve(self, selection: str = "minimal", thresholds=(), r=None):
        r"""Minimise E; return ``(u, info, levels)``.

        ``u`` is the ``(num_points,)`` bool minimizer (the minimal or maximal
        one).  ``info`` holds ``flow``, ``energy``, ``certified``, ``gap``
        (|E(u) - F - K| / max(1, |E(u)|)) and ``solve_time``.  For each
        s in ``thresholds`` (sorted away from 0 on each side), ``levels[s]``
        is the same selection of the minimizers of
        :math:`E(u) + s \sum_i r_i u_i`, by incremental max-flow on the same
        graph (the sets decrease as s grows).
        """
        u1_src = selection == "maximal"
        t0 = time.perf_counter()
        g, ids = self._graph(u1_src)
        flow = g.maxflow()
        u = self._labels(g, ids, u1_src)
        solve_time = time.perf_counter() - t0
        energy = set_energy(u, self.chi, self.w, self.c0, self.c1, self.energy_terms, self.b)
        gap = abs(energy - (flow + self.const)) / max(1.0, abs(energy))
        info = {"flow": float(flow), "energy": energy, "gap": gap,
                "certified": bool(gap <= _RTOL), "solve_time": solve_time,
                "graph_nodes": self.num_nodes, "graph_edges": self.num_edges}
        levels = {}
        for side in (1.0, -1.0):
            svals = sorted((s for s in thresholds if s * side > 0), key=abs)
            if not svals:
                continue
            gs, ids_s = self._graph(u1_src)
            gs.maxflow()
            prev = 0.0
            for s in svals:
                delta = (s - prev) * r[self.nodes]
                prev = s
                # cost delta u_i: u=1 side pays |delta| when delta > 0, u=0 side when delta < 0
                pay_u1 = np.maximum(delta, 0.0)
                pay_u0 = np.maximum(-delta, 0.0)
                if u1_src:
                    gs.add_grid_tedges(ids_s[: self.nodes.size], pay_u0, pay_u1)
                else:
                    gs.add_grid_tedges(ids_s[: self.nodes.size], pay_u1, pay_u0)
                gs.maxflow()
                levels[s] = self._labels(gs, ids_s, u1_src)
        info["threshold_time"] = time.perf_counter() - t0 - solve_time
        return u, info, levels
