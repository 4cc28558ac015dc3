"""The pseudoflow max-flow and its certificate against enumeration of every cut (array level)."""

import itertools

import numpy as np
import pytest

from advmcf.nonlocal_ import pseudoflow
from advmcf.nonlocal_.pseudoflow import ClosureNetwork, certify, max_pseudoflow


def _random_closure(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 11))
    m = int(rng.integers(0, 3 * n + 1))
    tail, head = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = tail != head
    # small integers: ties (several minimum cuts) are common
    tsrc = rng.integers(0, 5, n) * (rng.random(n) < 0.6)
    tsnk = rng.integers(0, 5, n) * (rng.random(n) < 0.6)
    return n, tail[keep], head[keep], tsrc.astype(np.int64), tsnk.astype(np.int64)


def _out_arcs(net):
    """Each node's out-arcs, sorted (the network as sets of arcs, whatever their order)."""
    return [np.sort(net.out[net.ptr[v]:net.ptr[v + 1]]) for v in range(net.n)]


def _enumerate(n, tail, head, tsrc, tsnk):
    """Minimum cut value and the smallest and largest minimum source sets, by brute force."""
    best, cuts = None, []
    for bits in itertools.product((False, True), repeat=n):
        s = np.array(bits, bool)
        if np.any(s[tail] & ~s[head]):  # an infinite arc leaves s
            continue
        value = int(tsnk[s].sum() + tsrc[~s].sum())
        if best is None or value < best:
            best, cuts = value, [s]
        elif value == best:
            cuts.append(s)
    return best, np.logical_and.reduce(cuts), np.logical_or.reduce(cuts), len(cuts)


@pytest.mark.parametrize("keep", [True, False])
def test_minimum_cuts_match_enumeration(keep, monkeypatch):
    """Every certificate on a network, with its in-adjacency kept between them or made each time."""
    if not keep:
        monkeypatch.setattr(pseudoflow, "_KEEP_IN_ADJACENCY", 0)
    ties = 0
    for seed in range(400):
        problem = _random_closure(seed)
        best, smallest, largest, count = _enumerate(*problem)
        n, tail, head, tsrc, tsnk = problem
        net = ClosureNetwork(n, tail, head)
        arcs = _out_arcs(net)
        for _ in range(2):  # twice: the second certificate reuses (or remakes) the in-adjacency of the first
            optimal, lower, small, large = certify(net, tsrc, tsnk, max_pseudoflow(net, tsrc, tsnk))
            assert all(np.array_equal(a, b) for a, b in zip(_out_arcs(net), arcs)), seed  # solved in place
            assert optimal and lower == best, seed
            assert (net._in is not None) == (keep or net.out.size == 0)
            assert (small == smallest).all() and (large == largest).all(), seed
        # without the largest cut (no in-adjacency): the same check, bound and smallest cut
        alone = certify(net, tsrc, tsnk, max_pseudoflow(net, tsrc, tsnk), largest=False)
        assert alone[:2] == (True, best) and (alone[2] == smallest).all() and alone[3] is None, seed
        ties += count > 1
    assert ties > 50, "too few problems with several minimum cuts: the selection is barely tested"


def test_a_large_network_is_solved_in_place_and_left_whole():
    """The solver works in the network's out-adjacency: on a network of thousands of nodes (many
    mergers and splits) every node keeps its out-arcs, and a second solve on the reordered
    adjacency gives the same certified cuts and bound."""
    rng = np.random.default_rng(3)
    n, m = 3000, 24000
    tail, head = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = tail != head
    tsrc = (rng.integers(0, 50, n) * (rng.random(n) < 0.5)).astype(np.int64)
    tsnk = (rng.integers(0, 50, n) * (rng.random(n) < 0.5)).astype(np.int64)
    net = ClosureNetwork(n, tail[keep], head[keep])
    arcs, order = _out_arcs(net), net.out.copy()
    first = certify(net, tsrc, tsnk, max_pseudoflow(net, tsrc, tsnk))
    assert not np.array_equal(net.out, order), "no tree arc: the test does not reach the in-place lists"
    assert all(np.array_equal(a, b) for a, b in zip(_out_arcs(net), arcs))
    second = certify(net, tsrc, tsnk, max_pseudoflow(net, tsrc, tsnk))
    assert first[0] and second[0] and first[1] == second[1]
    assert (first[2] == second[2]).all() and (first[3] == second[3]).all()
    assert 0 < np.count_nonzero(first[2]) <= np.count_nonzero(first[3]) < n


def test_certificate_rejects_a_non_maximal_flow():
    """The zero flow on a path s -> 0 -> 1 -> t is feasible but not maximal: not optimal, and the bound
    is the weak one."""
    tail, head = np.array([0]), np.array([1])
    tsrc, tsnk = np.array([3, 0]), np.array([0, 2])
    net = ClosureNetwork(2, tail, head)
    optimal, lower, _, _ = certify(net, tsrc, tsnk, (np.zeros(0, int), np.zeros(0, int), np.zeros(0, np.int64)))
    assert not optimal and lower == 0
    assert certify(net, tsrc, tsnk, (np.zeros(0, int), np.zeros(0, int), np.zeros(0, np.int64)), largest=False)[:2] == (
        False, 0)
    optimal, lower, small, large = certify(net, tsrc, tsnk, max_pseudoflow(net, tsrc, tsnk))
    assert optimal and lower == 2 and small.tolist() == [True, True] and large.tolist() == [True, True]
    with pytest.raises(ValueError, match="negative arc flow"):
        certify(net, tsrc, tsnk, (np.array([0]), np.array([1]), np.array([-1])))
    with pytest.raises(ValueError, match="not an arc"):  # 1 -> 0 is not an arc
        certify(net, tsrc, tsnk, (np.array([1]), np.array([0]), np.array([2])))


def test_min_closure_and_its_fallback_match_enumeration(monkeypatch):
    """min_closure on real costs: the smallest and largest minimum closures and the minimum, by the
    pseudoflow and, when its certificate fails (forced here), by push-relabel."""
    for fallback in (False, True):
        if fallback:
            monkeypatch.setattr(pseudoflow, "certify", lambda net, *a: (False, 0) + (None, None))
        for seed in range(60):
            n, tail, head, tsrc, tsnk = _random_closure(seed)
            best, smallest, largest, _ = _enumerate(n, tail, head, tsrc, tsnk)
            cost = (tsnk - tsrc) / 4.0  # dyadic: scaled to integers exactly
            cuts = pseudoflow.min_closure(ClosureNetwork(n, tail, head), cost)
            assert cuts.optimal != fallback, seed
            assert (cuts.smallest == smallest).all() and (cuts.largest == largest).all(), seed
            assert cuts.lower == pytest.approx((best - tsrc.sum()) / 4.0, abs=1e-12), seed
