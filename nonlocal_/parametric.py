r"""Every breakpoint of a parametric minimum closure: the exact solution of the step's convex problem.

**Problem.**  A :class:`~advmcf.nonlocal_.pseudoflow.ClosureNetwork` (closed
sets S: an arc's tail in S puts its head in S), node costs :math:`a_v` and
slopes :math:`r_v \ge 0`:

.. math::
    S(s) \in \operatorname{argmin}_{S\ \mathrm{closed}} \sum_{v \in S} (a_v + s\,r_v).

The smallest minimizers :math:`S_{\min}(s)` and the largest
:math:`S_{\max}(s)` decrease as s grows (Gallo, Grigoriadis and Tarjan,
SIAM J. Comput. 18 (1989): the source capacities fall and the sink
capacities rise with s).  The *breakpoint* of a node is
:math:`\beta_v = \sup\{s : v \in S_{\min}(s)\}`.  Where the slopes are
positive the problem is the coarea form of a strictly convex one (below),
and :math:`S_{\min}(s) = \{\beta > s\}`, :math:`S_{\max}(s) = \{\beta \ge s\}`
on those nodes for every s: one array β holds the whole family, for the
minimal and the maximal selection alike (nodes of slope 0 have no single
breakpoint and get NaN).

**Why it is the step's w.**  For the cut problem of a step
(:mod:`advmcf.nonlocal_.mincut`) with :math:`r_i = m_i\rho_i/\tau` on the free
points, :math:`E(u) + s\sum_i r_i u_i` is the energy of the level set
{w > s} in :math:`\min_w \frac{1}{2\tau}\sum_i m_i\rho_i(w_i +
\mathrm{sd}_i)^2 + TV_\varepsilon(w)` (coarea: :math:`TV_\varepsilon(w) =
\int \mathrm{Per}_\varepsilon(\{w > s\})\,ds`; the points that are not free
keep their side for every s, i.e. w = ±∞ there).  The objective is
strictly convex in w, so its minimizer is unique and
:math:`w_i = \beta_i`: the breakpoints are the exact discrete w.

**Algorithm** (divide and conquer with contraction: Gallo, Grigoriadis and
Tarjan, SIAM J. Comput. 18 (1989); Hochbaum, J. ACM 48 (2001); for TV
Darbon and Sigelle, J. Math. Imaging Vis. 26 (2006), Goldfarb and Yin,
SIAM J. Sci. Comput. 31 (2009)).  If S is the smallest minimum closure at
s, every node inside it has :math:`\beta > s` and every node outside
:math:`\beta \le s`, and the two remaining problems are the closure
problems of the *induced* subnetworks on S and on its complement, with the
same costs (an arc between them either cannot exist — nothing leaves a
closed set — or joins a node fixed to 1 or 0 and constrains nothing).  A
group of nodes is solved at the s where taking all of it costs what taking
none does, :math:`s^* = -\sum a / \sum r` (the rule of Eisner and
Severance, J. ACM 23 (1976)): if its smallest minimum closure there is
empty, every node of the group has :math:`\beta = s^*` exactly;
otherwise it splits into the closure (:math:`\beta > s^*`) and the rest
(:math:`\beta \le s^*`), both strictly smaller.  The clipping range
[−S, S] enters as the s at which a group whose :math:`s^*` lies beyond it
is cut (the smallest closure at +S: those nodes get S; the largest closure
at −S: the nodes outside it get −S).  The groups of one round are
disjoint: they are solved together, as one network (the union of their
induced subnetworks, each node at its group's s), by one pseudoflow.  The
rounds stop when every group is solved.  Their number is not bounded by a
logarithm in the worst case (a split may peel off one node), but on the
layer of a step the groups split evenly: 5–10 rounds for layers of about
a thousand vertices with tens of distinct breakpoints (the benchmark's
disc, ε/h = 4 and 8).

**Certificate.**  Every closure of every round is the exact smallest (or
largest) minimum closure of its integer-scaled problem, checked by
:func:`~advmcf.nonlocal_.pseudoflow.certify` (``certified``: all of them
passed; a failed check is redone by push–relabel and counted).  The
breakpoints are then exact up to the integer scaling of each round's costs
(a relative 2^-58 of their total) and the rounding of :math:`s^*`.

The splitting rule, the rounds and the induced subnetworks are written here
(no max-flow library returns every breakpoint of a parametric problem);
the cuts are :mod:`advmcf.nonlocal_.pseudoflow`'s.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from .pseudoflow import ClosureNetwork, min_closure

__all__ = ["Breakpoints", "breakpoints"]


class Breakpoints(NamedTuple):
    """The result of :func:`breakpoints`."""

    beta: np.ndarray  #: ``(n,)`` breakpoints clipped to [−bound, bound] (NaN where the slope is 0)
    certified: bool  #: every closure of every round passed the certificate
    rounds: int  #: pseudoflow solves (rounds of the divide and conquer)
    fallbacks: int  #: rounds whose pseudoflow failed the certificate and were solved by push–relabel


@numba.njit(cache=True)
def _induced(ptr, out, group, nodes):
    """The out-adjacency of the subnetwork induced on ``nodes`` (sorted) keeping the arcs whose ends
    are in the same group, in the local numbering of ``nodes``."""
    local = np.full(ptr.size - 1, -1, np.int32)
    for k in range(nodes.size):
        local[nodes[k]] = k
    sub_ptr = np.zeros(nodes.size + 1, np.int64)
    for k in range(nodes.size):
        v = nodes[k]
        count = 0
        for j in range(ptr[v], ptr[v + 1]):
            if group[out[j]] == group[v]:
                count += 1
        sub_ptr[k + 1] = sub_ptr[k] + count
    sub_out = np.empty(sub_ptr[-1], np.int32)
    pos = 0
    for k in range(nodes.size):
        v = nodes[k]
        for j in range(ptr[v], ptr[v + 1]):
            if group[out[j]] == group[v]:
                sub_out[pos] = local[out[j]]
                pos += 1
    return sub_ptr, sub_out


def breakpoints(net: ClosureNetwork, cost, slope, bound: float, times=None) -> Breakpoints:
    r"""The breakpoint :math:`\beta_v` of every node, clipped to [−bound, bound] (module docstring).

    Args:
        net: the closure network (n nodes).
        cost: ``(n,)`` :math:`a_v`, the cost of v in the closed set at s = 0.
        slope: ``(n,)`` :math:`r_v \ge 0`.
        bound: S > 0.
        times: a :class:`~advmcf.nonlocal_._timing.Timings` for the rounds'
            ``flow`` and ``certificate`` (optional).

    Returns a :class:`Breakpoints`: for every node of positive slope and
    every :math:`|s| < S`, :math:`S_{\min}(s) = \{\beta > s\}` and
    :math:`S_{\max}(s) = \{\beta \ge s\}`; β = ±S stands for every β
    beyond the range.
    """
    cost, slope = np.asarray(cost, float), np.asarray(slope, float)
    if np.any(slope < 0):
        raise ValueError("breakpoints: the slopes must be nonnegative")
    n = net.n
    beta = np.full(n, np.nan)
    group = np.zeros(n, np.int64)
    rounds = fallbacks = 0
    while True:
        active = np.flatnonzero(group >= 0)
        if active.size:  # groups without slope have no breakpoints: dropped
            _, g = np.unique(group[active], return_inverse=True)
            slope_sum = np.bincount(g, slope[active])
            group[active[slope_sum[g] == 0]] = -1
            active = active[slope_sum[g] > 0]
        if active.size == 0:
            break
        ids, g = np.unique(group[active], return_inverse=True)
        group[active] = g  # groups numbered 0..count-1 in the order of their nodes
        s = np.clip(-np.bincount(g, cost[active]) / np.bincount(g, slope[active]), -bound, bound)
        ptr, out = _induced(net.ptr, net.out, group, active.astype(np.int32))
        cuts = min_closure(ClosureNetwork.from_adjacency(ptr, out), cost[active] + s[g] * slope[active], times,
                           bool(np.any(s <= -bound)))
        rounds += 1
        fallbacks += not cuts.optimal
        size = np.bincount(g, minlength=ids.size)
        small = np.bincount(g, cuts.smallest, minlength=ids.size)
        top, bottom = s[g] >= bound, s[g] <= -bound
        largest = cuts.largest if bottom.any() else np.ones(active.size, bool)  # only read at -bound
        large = np.bincount(g, largest, minlength=ids.size)
        inner = ~top & ~bottom
        # solved: a trivial cut at s* (every node at s*), or a group wholly beyond the range
        whole = (inner & ((small[g] == 0) | (small[g] == size[g]))) | (top & (small[g] == 0)) | (
            bottom & (large[g] == size[g]))
        # beyond the range: inside the smallest closure at +S, outside the largest at -S
        beyond = (top & cuts.smallest) | (bottom & ~largest)
        done = whole | beyond
        beta[active[done]] = np.where(beyond[done], np.where(top[done], bound, -bound), s[g][done])
        group[active[done]] = -1
        # split: the smallest closure at s* becomes a group of its own (beta > s*), the rest keeps its id
        split = inner & ~whole & cuts.smallest
        group[active[split]] = ids.size + g[split]
    beta[slope == 0] = np.nan
    return Breakpoints(beta, fallbacks == 0, rounds, fallbacks)
