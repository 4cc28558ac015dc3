r"""Hochbaum's pseudoflow max-flow (lowest-label variant) and the certificate of a pseudoflow.

Hand-written in numba: the fastest max-flow on the step's graphs is a
pseudoflow solver (the 2023 benchmark of Jensen et al. finds HPF among the
fastest; on the band graph of a step MineFlow's pseudoflow, as packaged by
``pymineflow``, is 5.6× faster than OR-tools' push–relabel), but no package
returns the flow, which the certificate and the minimal/maximal selection
need.  Hochbaum, "The pseudoflow algorithm: a new algorithm for the
maximum-flow problem", Operations Research 56 (2008); the data layout
(out-of-tree arc lists, child lists scanned depth first) follows the
structure of her reference implementation, written anew here.

**Network.**  Nodes 0..n−1, arcs ``tail → head`` with int64 capacities,
terminal capacities ``tsrc`` (s → v) and ``tsnk`` (v → t).  The terminal
arcs are saturated at the start, so a node's excess is
:math:`e_v = \mathrm{tsrc}_v - \mathrm{tsnk}_v + \mathrm{in}_v - \mathrm{out}_v`.

**Certificate** (:func:`certify`, independent of the solver: it reads only
the arc flows).  For any pseudoflow f (0 ≤ f ≤ cap on the inner arcs, the
terminal arcs saturated) and any source set S,

.. math::
    C(S) = \sum_v \mathrm{tsrc}_v - \sum_{v \in S} e_v + R_f(S \to \bar S),

:math:`R_f` the total residual capacity leaving S (forward residual and
reverse flow).  So :math:`L = \sum_v \mathrm{tsrc}_v - \sum_{e_v > 0} e_v`
bounds every cut from below, and the cuts of value L are exactly the sets
that hold every node of positive excess, no node of negative excess, and
no residual arc leaving them.  If no residual path leads from a positive to
a negative excess, L is the minimum; the smallest minimum cut is the set
reached from the positive excesses, the largest the complement of the set
that reaches a negative one.

**Algorithm.**  A forest of trees whose roots alone carry excess (strong
roots: positive; weak: zero or negative).  The strong root of lowest label
ℓ is processed: its tree is searched depth first (nodes of label ℓ) for a
residual arc to a node of label ℓ − 1 (a weak node: a merger); the strong
tree is then re-rooted at the merger's tail, hung below the weak node, and
the root's excess pushed along the path to the weak root, splitting the
path where an arc saturates.  A node without a merger whose children are
all relabelled gets label ℓ + 1.  An arc out of the trees is kept in the
list of the end that has residual capacity on it; flows change only on
tree arcs.  Strong roots that cannot reach a negative excess in the
residual graph (checked by a backward search every so many relabels) are
frozen: they are in every minimum cut.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from ._timing import Timings

__all__ = ["ClosureNetwork", "ClosureCuts", "max_pseudoflow", "certify", "integer_capacities", "min_closure"]

_KEEP_IN_ADJACENCY = 1 << 24  # arcs


@numba.njit(cache=True)
def _count(key, ptr):
    """Add the number of entries of each key to ``ptr[key + 1]``."""
    for a in range(key.size):
        ptr[key[a] + 1] += 1


@numba.njit(cache=True)
def _place(key, val, fill, out):
    """Write ``val`` at ``fill[key]`` (then advance it): the second pass of a counting sort."""
    for a in range(key.size):
        out[fill[key[a]]] = val[a]
        fill[key[a]] += 1


def _csr(n, key, val):
    """CSR of ``val`` grouped by ``key`` (a counting sort): ``(ptr, val in that order)``.  ``key``
    and ``val`` are arrays, or lists of blocks of arrays: never joined, and emptied as their blocks
    are placed, so that a block's memory is let go while the CSR fills."""
    if not isinstance(key, list):
        key, val = [key], [val]
    ptr = np.zeros(n + 1, np.int64)
    for k in key:
        _count(np.ascontiguousarray(k, np.int32), ptr)
    np.cumsum(ptr, out=ptr)
    fill = ptr[:-1].copy()
    out = np.empty(int(ptr[-1]), np.int32)
    while key:
        _place(np.ascontiguousarray(key.pop(0), np.int32), np.ascontiguousarray(val.pop(0), np.int32), fill, out)
    return ptr, out


@numba.njit(cache=True)
def _transpose(ptr, out):
    """The in-adjacency (CSR) of the out-adjacency ``(ptr, out)``."""
    n = ptr.size - 1
    in_ptr = np.zeros(n + 1, np.int64)
    for j in range(out.size):
        in_ptr[out[j] + 1] += 1
    for v in range(n):
        in_ptr[v + 1] += in_ptr[v]
    fill = in_ptr[:-1].copy()
    into = np.empty(out.size, np.int32)
    for v in range(n):
        for j in range(ptr[v], ptr[v + 1]):
            into[fill[out[j]]] = v
            fill[out[j]] += 1
    return in_ptr, into


@numba.njit(cache=True)
def _reach(n, ptr, nbr, ptr2, nbr2, start):
    """Nodes reached from the nodes with ``start`` set along the arcs of two CSR graphs."""
    seen = start.copy()
    queue = np.empty(n, np.int32)
    top = 0
    for v in range(n):
        if start[v]:
            queue[top] = v
            top += 1
    k = 0
    while k < top:
        v = queue[k]
        k += 1
        for j in range(ptr[v], ptr[v + 1]):
            u = nbr[j]
            if not seen[u]:
                seen[u] = True
                queue[top] = u
                top += 1
        for j in range(ptr2[v], ptr2[v + 1]):
            u = nbr2[j]
            if not seen[u]:
                seen[u] = True
                queue[top] = u
                top += 1
    return seen


@numba.njit(cache=True)
def _net_inflow(n, tails, heads, values):
    out = np.zeros(n, np.int64)
    for i in range(tails.size):
        out[heads[i]] += values[i]
        out[tails[i]] -= values[i]
    return out


@numba.njit(cache=True)
def _are_arcs(ptr, out, tails, heads):
    """Whether every pair tails[i] -> heads[i] is an arc of the CSR graph (ptr, out)."""
    for i in range(tails.size):
        found = False
        for j in range(ptr[tails[i]], ptr[tails[i] + 1]):
            if out[j] == heads[i]:
                found = True
                break
        if not found:
            return False
    return True


@numba.njit(cache=True)
def _push_root(v, lv, bucket, r_next, top):
    r_next[v] = bucket[lv]
    bucket[lv] = v
    return max(top, lv)


@numba.njit(cache=True)
def _solve(n, ptr, out, excess):
    # out-of-tree lists: the heads of the arcs leaving v that are not tree arcs (their flow is 0), kept in
    # place in v's part of the network's out-adjacency, at first every arc (no copy of the arcs: at
    # hundreds of millions of them, memory is the limit); the tree arcs are put back at the end
    count = ptr[1:] - ptr[:-1]
    next_arc = np.zeros(n, np.int64)
    frozen = n
    label = np.zeros(n, np.int64)
    label_count = np.zeros(2 * n + 4, np.int64)  # labels stay below n; room to spare
    parent = np.full(n, -1, np.int32)
    up_flow = np.zeros(n, np.int64)  # its flow
    up_fwd = np.zeros(n, np.bool_)  # whether it runs node -> parent
    first_child = np.full(n, -1, np.int32)
    next_sib = np.full(n, -1, np.int32)
    prev_sib = np.full(n, -1, np.int32)
    next_scan = np.full(n, -1, np.int32)
    # strong roots by label: singly linked stacks; a root may be listed again after a relabel,
    # stale entries (no longer a strong root of that label) are skipped when popped
    bucket = np.full(n + 2, -1, np.int32)
    r_next = np.full(n, -1, np.int32)
    listed = np.full(n, -1, np.int64)  # the label under which v is listed (-1: not listed)
    top = 0
    for v in range(n):
        if excess[v] > 0:
            label[v] = 1
            top = _push_root(v, 1, bucket, r_next, top)
            listed[v] = 1
        label_count[label[v]] += 1
    while True:
        # the strong root of highest label (stale entries skipped)
        r = -1
        while top > 0:
            while bucket[top] >= 0:
                v = bucket[top]
                bucket[top] = r_next[v]
                if listed[v] == top:
                    listed[v] = -1
                    if parent[v] < 0 and excess[v] > 0 and label[v] == top:
                        r = v
                        break
            if r >= 0:
                break
            top -= 1
        if r < 0:
            # only roots of label 0 can be left (weak roots that received excess): lift them to 1
            while bucket[0] >= 0:
                v = bucket[0]
                bucket[0] = r_next[v]
                if listed[v] == 0:
                    listed[v] = -1
                    if parent[v] < 0 and excess[v] > 0 and label[v] == 0:
                        label_count[0] -= 1
                        label[v] = 1
                        label_count[1] += 1
                        top = _push_root(v, 1, bucket, r_next, top)
                        listed[v] = 1
            if top == 0:
                break
            continue
        lr = label[r]
        if label_count[lr - 1] == 0:
            # a gap: nothing of label lr - 1 is left, so r's tree cannot reach a deficit; freeze it
            stack = [r]
            while len(stack) > 0:
                v = stack.pop()
                label_count[label[v]] -= 1
                label[v] = frozen
                c = first_child[v]
                while c >= 0:
                    stack.append(c)
                    c = next_sib[c]
            continue
        # ---- process r: depth-first search of its label-lr nodes for a merger
        node = r
        next_scan[r] = first_child[r]
        weak = -1
        while True:
            target = label[node] - 1
            i = next_arc[node]
            c = count[node]
            base = ptr[node]
            while i < c:
                if label[out[base + i]] == target:
                    weak = out[base + i]
                    c -= 1
                    out[base + i] = out[base + c]
                    count[node] = c
                    break
                i += 1
            next_arc[node] = i
            if weak >= 0:
                break
            descended = False
            while True:
                ch = next_scan[node]
                while ch >= 0 and label[ch] != label[node]:
                    ch = next_sib[ch]
                if ch >= 0:
                    next_scan[node] = next_sib[ch]
                    node = ch
                    next_scan[node] = first_child[node]
                    descended = True
                    break
                next_scan[node] = -1
                label_count[label[node]] -= 1
                label[node] += 1
                label_count[label[node]] += 1
                next_arc[node] = 0
                if node == r:
                    break
                node = parent[node]
            if not descended:
                break
        if weak < 0:
            top = _push_root(r, label[r], bucket, r_next, top)
            listed[r] = label[r]
            continue
        # ---- merge: re-root the strong tree at `node`, hang it below `weak` by the merger arc
        cur = node
        new_parent = weak
        new_flow = 0
        new_fwd = True
        while True:
            old_parent = parent[cur]
            old_flow = up_flow[cur]
            old_fwd = up_fwd[cur]
            if old_parent >= 0:
                if prev_sib[cur] >= 0:
                    next_sib[prev_sib[cur]] = next_sib[cur]
                else:
                    first_child[old_parent] = next_sib[cur]
                if next_sib[cur] >= 0:
                    prev_sib[next_sib[cur]] = prev_sib[cur]
            parent[cur] = new_parent
            up_flow[cur] = new_flow
            up_fwd[cur] = new_fwd
            prev_sib[cur] = -1
            next_sib[cur] = first_child[new_parent]
            if first_child[new_parent] >= 0:
                prev_sib[first_child[new_parent]] = cur
            first_child[new_parent] = cur
            if old_parent < 0:
                break
            # the arc between cur and old_parent now hangs old_parent below cur
            new_parent = cur
            new_flow = old_flow
            new_fwd = not old_fwd
            cur = old_parent
        # ---- push the excess of r to the weak root; an arc pushed against its direction
        # can carry back only its flow: where that runs out, split (the arc leaves the tree)
        cur = r
        while excess[cur] > 0 and parent[cur] >= 0:
            p = parent[cur]
            if up_fwd[cur] or up_flow[cur] > excess[cur]:
                amount = excess[cur]
                up_flow[cur] += amount if up_fwd[cur] else -amount
                excess[p] += amount
                excess[cur] = 0
            else:
                amount = up_flow[cur]
                excess[p] += amount
                excess[cur] -= amount
                up_flow[cur] = 0
                # split: the arc p -> cur returns to p's out-of-tree list; cur is a strong root
                if prev_sib[cur] >= 0:
                    next_sib[prev_sib[cur]] = next_sib[cur]
                else:
                    first_child[p] = next_sib[cur]
                if next_sib[cur] >= 0:
                    prev_sib[next_sib[cur]] = prev_sib[cur]
                out[ptr[p] + count[p]] = cur
                count[p] += 1
                parent[cur] = -1
                prev_sib[cur] = -1
                next_sib[cur] = -1
                if excess[cur] > 0 and label[cur] < frozen:
                    top = _push_root(cur, label[cur], bucket, r_next, top)
                    listed[cur] = label[cur]
            cur = p
        if parent[cur] < 0 and excess[cur] > 0 and label[cur] < frozen and listed[cur] != label[cur]:
            top = _push_root(cur, label[cur], bucket, r_next, top)
            listed[cur] = label[cur]
    # the tree arcs and their flows: v -> parent where up_fwd, else parent -> v
    tree = np.flatnonzero(parent >= 0)
    tails = np.where(up_fwd[tree], tree, parent[tree]).astype(np.int32)
    heads = np.where(up_fwd[tree], parent[tree], tree).astype(np.int32)
    for a in range(tails.size):  # every arc is in its tail's list or in the tree: the lists whole again
        out[ptr[tails[a]] + count[tails[a]]] = heads[a]
        count[tails[a]] += 1
    return tails, heads, up_flow[tree]


class ClosureNetwork:
    """Nodes 0..n−1 and arcs ``tail -> head`` of infinite capacity, held as their out-adjacency
    (CSR: ``ptr``, ``out``, 4 bytes an arc), built once: one network serves every max-flow and
    certificate on it (the rounds of a parametric cut solve induced subnetworks of one network).  The
    arc arrays themselves are not kept: at hundreds of millions of arcs, memory is the limit.

    ``tail``, ``head``: int arrays, or lists of blocks of them, which are
    emptied as the adjacency is filled (their memory goes block by block).
    """

    def __init__(self, n: int, tail, head):
        self.n = int(n)
        self.ptr, self.out = _csr(self.n, tail, head)
        self._in = None

    @classmethod
    def from_adjacency(cls, ptr, out) -> "ClosureNetwork":
        """The network of the out-adjacency ``ptr`` (int64, ``(n + 1,)``), ``out`` (int32 heads)."""
        net = cls.__new__(cls)
        net.n, net.ptr, net.out, net._in = ptr.size - 1, ptr, out, None
        return net

    def in_adjacency(self):
        """``(ptr, into)``, the in-adjacency: made on demand, and kept only for a network of at most
        ``_KEEP_IN_ADJACENCY`` arcs (the network of a problem solved several times; the main
        cut's, at hundreds of millions of arcs, one)."""
        if self._in is not None:
            return self._in
        adjacency = _transpose(self.ptr, self.out)
        if self.out.size <= _KEEP_IN_ADJACENCY:
            self._in = adjacency
        return adjacency

    def arcs(self):
        """``(tail, head)`` int32, grouped by tail (``head`` is the adjacency itself: read only)."""
        return np.repeat(np.arange(self.n, dtype=np.int32), np.diff(self.ptr)), self.out


def max_pseudoflow(net: ClosureNetwork, tsrc, tsnk):
    """A maximum pseudoflow on ``net`` with terminal capacities ``tsrc``, ``tsnk`` (int64 ≥ 0):
    ``(tails, heads, values)``, the arcs that may carry flow (the tree arcs) and their flows;
    every other arc's flow is 0.  The solver works in the network's own out-adjacency: afterwards
    every node has the same out-arcs, in another order."""
    excess = np.asarray(tsrc, np.int64) - np.asarray(tsnk, np.int64)
    return _solve(net.n, net.ptr, net.out, excess)


def certify(net: ClosureNetwork, tsrc, tsnk, flow, largest: bool = True):
    r"""Check a pseudoflow on a closure network and read the minimum cuts off it (module docstring).

    ``flow`` is ``(tails, heads, values)``: arcs of ``net`` that carry flow
    and their flows (every other arc's is 0).  Returns ``(optimal,
    lower_bound, smallest, largest)``: whether no residual path joins a
    positive to a negative excess (then the bound is the minimum cut), the
    integer bound L, and the smallest and largest minimum source sets as
    ``(n,)`` bool arrays (``largest=False``: None for the largest, which
    needs the in-adjacency; the check does not: no residual path joins the
    excesses iff the set reached from the positive ones holds no negative
    one).  Raises ValueError if a flow is negative or runs on a pair of
    nodes that is not an arc.  The arcs have infinite capacity, so the
    residual graph is every arc plus the reverse of every arc that carries
    flow.
    """
    n = net.n
    tails, heads = np.asarray(flow[0], np.int32), np.asarray(flow[1], np.int32)
    values = np.asarray(flow[2], np.int64)
    if np.any(values < 0):
        raise ValueError("pseudoflow: a negative arc flow")
    if not _are_arcs(net.ptr, net.out, tails, heads):
        raise ValueError("pseudoflow: a flow on a pair of nodes that is not an arc")
    tsrc, tsnk = np.asarray(tsrc, np.int64), np.asarray(tsnk, np.int64)
    excess = tsrc - tsnk + _net_inflow(n, tails, heads, values)
    used = values > 0
    back_ptr, back = _csr(n, heads[used], tails[used])
    smallest = _reach(n, net.ptr, net.out, back_ptr, back, excess > 0)
    del back_ptr, back
    optimal = not bool(np.any(smallest & (excess < 0)))
    lower = int(tsrc.sum()) - int(excess[excess > 0].sum())
    if not largest:
        return optimal, lower, smallest, None
    in_ptr, into = net.in_adjacency()
    fwd_ptr, fwd = _csr(n, tails[used], heads[used])
    reaching = _reach(n, in_ptr, into, fwd_ptr, fwd, excess < 0)
    return optimal, lower, smallest, ~reaching


def integer_capacities(c, total):
    """``(scale, int64 capacities, rounding)``: ``c`` times a power of two that takes ``total`` to at
    most 2^58 (dyadic capacities and their ties scale exactly; 1 if ``total`` is 0), rounded;
    ``rounding`` bounds how far any cut moves, in the original units."""
    scale = 2.0 ** np.floor(np.log2(2.0**58 / float(total))) if total > 0 else 1.0
    ic = np.rint(c * scale)
    return scale, ic.astype(np.int64), float(np.sum(np.abs(c * scale - ic))) / scale


class ClosureCuts(NamedTuple):
    """The minimum closures of :func:`min_closure`."""

    lower: float  #: a lower bound of :math:`\min_S \sum_{v \in S} c_v` (the minimum up to the rounding)
    smallest: np.ndarray  #: ``(n,)`` bool, the smallest minimum closure (of the integer problem)
    largest: np.ndarray | None  #: ``(n,)`` bool, the largest one (None if not asked for)
    optimal: bool  #: whether the pseudoflow passed :func:`certify` (else push-relabel was used)


def min_closure(net: ClosureNetwork, cost, times=None, largest: bool = True) -> ClosureCuts:
    r"""Minimise :math:`\sum_{v \in S} c_v` over the closed sets S of ``net`` (every arc leaving S
    is infinite: tail in S ⇒ head in S).

    ``cost``: ``(n,)`` float.  The costs are scaled to integers
    (:func:`integer_capacities`: :math:`c^+` on the sink arcs, :math:`c^-` on
    the source arcs), solved by :func:`max_pseudoflow` and checked by
    :func:`certify`; should the check fail (a solver fault), OR-tools'
    push–relabel solves the same integer problem (its source side is the
    smallest minimum cut, the complement of its sink side the largest).
    The smallest and largest minimum closures are exact for the integer
    problem; ``lower`` is its minimum minus the total rounding.  ``largest=False``:
    the largest closure is not made (None; the certificate then needs no
    in-adjacency, whose memory equals the network's).  ``times``: a
    :class:`~advmcf.nonlocal_._timing.Timings` that gets the parts ``flow`` and
    ``certificate`` (optional).
    """
    cost = np.asarray(cost, float)
    cost1, cost0 = np.maximum(cost, 0.0), np.maximum(-cost, 0.0)  # sum_S c = sum cost0 - ... + cut
    total = cost1.sum() + cost0.sum()
    scale, icost1, r1 = integer_capacities(cost1, total)
    _, icost0, r0 = integer_capacities(cost0, total)
    times = Timings() if times is None else times
    with times("flow"):
        flow = max_pseudoflow(net, icost0, icost1)
    with times("certificate"):
        optimal, lower, smallest, large = certify(net, icost0, icost1, flow, largest)
    if not optimal:
        with times("flow"):
            lower, smallest, large = _push_relabel_closure(net, icost0, icost1)
    return ClosureCuts(lower / scale - (r1 + r0) - float(cost0.sum()), smallest, large if largest else None, optimal)


def _push_relabel_closure(net: ClosureNetwork, tsrc, tsnk):
    """(minimum cut, smallest and largest source sets) by OR-tools' push–relabel: the fallback."""
    from ortools.graph.python import max_flow

    n = net.n
    tail, head = net.arcs()
    nodes = np.arange(n)
    g = max_flow.SimpleMaxFlow()
    g.add_arcs_with_capacity(np.concatenate([tail, np.full(n, n), nodes]), np.concatenate([head, nodes, np.full(n, n + 1)]),
                             np.concatenate([np.full(tail.size, 2**62, np.int64), tsrc, tsnk]))
    status = g.solve(n, n + 1)
    if status != g.OPTIMAL:
        raise RuntimeError(f"OR-tools max-flow returned status {status}")
    smallest = np.zeros(n + 2, bool)
    smallest[g.get_source_side_min_cut()] = True
    largest = np.ones(n + 2, bool)
    largest[g.get_sink_side_min_cut()] = False
    return g.optimal_flow(), smallest[:n], largest[:n]
