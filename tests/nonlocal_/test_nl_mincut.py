"""The min-cut of one step against brute-force enumeration (array level, no mesh)."""

import itertools

import numpy as np
import pytest

from advmcf.nonlocal_ import mincut

from advmcf.nonlocal_.mincut import SOLVERS, CutProblem, set_energy
from advmcf.nonlocal_.mixture import BallMixture, plain
from advmcf.nonlocal_.neighbours import ball_max, ball_min, balls, distance_to_other_phase

#: a plain ball, and three nested balls with unequal weights (the isotropic discretization's form)
MIXTURES = {"plain": plain(0.3),
            "mixture": BallMixture(0.3, np.array([0.2, 0.27, 0.36]), np.array([0.5, 0.25, 0.25]), "isotropic")}


def _random_problem(seed, num_free=14, kind="mixture"):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(num_free + 8, 2))
    mixture = MIXTURES[kind]
    chi = np.linalg.norm(x - 0.5, axis=1) < 0.3 + 0.05 * rng.standard_normal(x.shape[0])
    free = np.zeros(x.shape[0], bool)
    free[:num_free] = True
    m = rng.uniform(0.5, 1.5, x.shape[0])
    w = m * rng.uniform(0.0, 2.0, x.shape[0])
    # ties on purpose: some quantised weights make several minimizers likely
    w = np.round(w * 2) / 2
    c0 = np.round(m * rng.uniform(0.5, 2.0, x.shape[0]) * 2) / 2
    c1 = np.round(m * rng.uniform(0.5, 2.0, x.shape[0]) * 2) / 2
    return x, mixture, free, chi, w, c0, c1, np.ones(x.shape[0], bool)


def _enumerate(x, mixture, free, chi, w, c0, c1, terms):
    b = balls(x, mixture.reach)
    idx = np.flatnonzero(free)
    best, sets = np.inf, []
    for bits in itertools.product((False, True), repeat=idx.size):
        u = chi.copy()
        u[idx] = bits
        e = _ball_energy(u, chi, np.where(free, w, 0), c0, c1, terms, b, mixture)
        if e < best - 1e-12:
            best, sets = e, [u]
        elif abs(e - best) <= 1e-12:
            sets.append(u)
    return best, np.logical_and.reduce(sets), np.logical_or.reduce(sets), sets


def _ball_energy(u, chi, w, c0, c1, terms, b, mixture):
    """E(u) with explicit ball max/min (independent of set_energy's nearest-neighbour route)."""
    uf = u.astype(float)
    per = sum(wk * (c0 * (ball_max(uf, b, r) - uf) + c1 * (uf - ball_min(uf, b, r)))
              for r, wk in zip(mixture.radii, mixture.weights))
    return float(np.sum(w * np.abs(uf - chi)) + np.sum(per[terms]))


@pytest.mark.parametrize("solver", ["pseudoflow", "push-relabel", "bk"])
@pytest.mark.parametrize("method", ["tree", "plain"])
@pytest.mark.parametrize("kind", sorted(MIXTURES))
@pytest.mark.parametrize("seed", range(5))
def test_minimal_and_maximal_minimizers_match_enumeration(seed, kind, method, solver):
    problem = _random_problem(seed, kind=kind)
    best, umin, umax, sets = _enumerate(*problem)
    # the minimal/maximal minimizers are themselves minimizers (lattice property)
    assert any((s == umin).all() for s in sets) and any((s == umax).all() for s in sets)
    cut = CutProblem(*problem, method=method, solver=solver)
    for selection, expected in (("minimal", umin), ("maximal", umax)):
        u, info = cut.solve(selection)
        assert info["certified"], info
        assert info["energy"] == pytest.approx(best, abs=1e-10)
        assert (u == expected).all(), f"{selection}: {np.flatnonzero(u != expected)} differ"


def test_enumeration_sees_ties():
    """At least one random problem has several minimizers, so the selection is tested."""
    for kind in MIXTURES:
        assert any(len(_enumerate(*_random_problem(seed, kind=kind))[3]) > 1 for seed in range(6)), kind


@pytest.mark.parametrize("solver", ["pseudoflow", "push-relabel", "bk"])
@pytest.mark.parametrize("selection", ["minimal", "maximal"])
def test_threshold_levels_match_fresh_solves(selection, solver):
    x, mixture, free, chi, w, c0, c1, terms = _random_problem(3, num_free=12)
    b = balls(x, mixture.reach)
    r = np.linspace(0.5, 1.5, chi.size)
    svals = [0.25, 0.5, -0.25, -0.5]
    levels = CutProblem(x, mixture, free, chi, w, c0, c1, terms, solver=solver).levels(selection, svals, r)
    for s in svals:
        # E + s sum r u: shift the fidelity's unary part, enumerated
        idx = np.flatnonzero(free)
        best, sets = np.inf, []
        for bits in itertools.product((False, True), repeat=idx.size):
            u = chi.copy()
            u[idx] = bits
            e = _ball_energy(u, chi, np.where(free, w, 0), c0, c1, terms, b, mixture) + s * np.sum(r[u & free])
            if e < best - 1e-12:
                best, sets = e, [u]
            elif abs(e - best) <= 1e-12:
                sets.append(u)
        red = np.logical_and if selection == "minimal" else np.logical_or
        assert (levels[s] == red.reduce(sets)).all(), f"threshold {s}"


@pytest.mark.parametrize("kind", sorted(MIXTURES))
def test_set_energy_equals_ball_formula(kind):
    x, mixture, free, chi, w, c0, c1, terms = _random_problem(1, num_free=20, kind=kind)
    b = balls(x, mixture.reach)
    rng = np.random.default_rng(5)
    for _ in range(20):
        u = rng.uniform(size=chi.size) < 0.5
        assert set_energy(u, chi, w, c0, c1, terms, x, mixture) == pytest.approx(
            _ball_energy(u, chi, w, c0, c1, terms, b, mixture), rel=1e-13)


@pytest.mark.parametrize("selection", ["minimal", "maximal"])
@pytest.mark.parametrize("d", [2, 3])
def test_tree_and_plain_graphs_agree_on_a_band(selection, d):
    """The k-d tree reduction with pseudoflow and with push-relabel gives the plain graph's minimizer
    by BK on a larger problem (fixed collar)."""
    rng = np.random.default_rng(d)
    n = 3000 if d == 2 else 4000
    x = rng.uniform(-1, 1, (n, d))
    sd = np.linalg.norm(x, axis=1) - 0.6 + 0.05 * np.sin(5 * x[:, 0])
    eps, tau = 0.15, 0.02
    mixture = BallMixture(eps, eps * np.array([0.8, 1.0, 1.2]), np.array([0.3, 0.3, 0.4]), "isotropic")
    free = np.abs(sd) <= 0.3
    terms = np.abs(sd) <= 0.3 + mixture.reach
    m = np.full(n, 2.0**d / n)
    rho0, rho1 = 1.0 + 0.3 * x[:, 1], 1.5 + 0.2 * x[:, 0]
    args = (x, mixture, free, sd < 0, m * (rho0 + rho1) * np.abs(sd) / tau, m * rho0 / eps, m * rho1 / eps, terms)
    tree = CutProblem(*args, method="tree", solver="pseudoflow")
    plain = CutProblem(*args, method="plain", solver="bk")
    u_tree, info_tree = tree.solve(selection)
    u_plain, info_plain = plain.solve(selection)
    u_pr, info_pr = CutProblem(*args, method="tree", solver="push-relabel").solve(selection)
    assert info_tree["certified"] and info_plain["certified"] and info_pr["certified"]
    assert info_tree["fallbacks"] == 0
    assert (u_tree == u_plain).all() and (u_tree == u_pr).all() and (u_tree != (sd < 0)).any()
    assert info_tree["energy"] == pytest.approx(info_plain["energy"], rel=1e-12)
    if d == 2:  # dense enough balls for the reduction to pay
        assert tree.num_edges < plain.num_edges


def test_cover_blocks_give_the_same_graph(monkeypatch):
    """Ball covers and their arcs are made in blocks of terms and the pseudoflow's network is built
    from the blocks: with blocks of 40 terms, the cut and the graph's size are those of one block,
    and the network's arcs (kept only as an adjacency) give push-relabel's fallback the same cut."""
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (1500, 2))
    sd = np.linalg.norm(x, axis=1) - 0.6
    eps, tau = 0.15, 0.02
    mixture = BallMixture(eps, eps * np.array([0.8, 1.0, 1.2]), np.array([0.3, 0.3, 0.4]), "isotropic")
    free, terms = np.abs(sd) <= 0.2, np.abs(sd) <= 0.2 + mixture.reach
    m = np.full(x.shape[0], 4.0 / x.shape[0])
    args = (x, mixture, free, sd < 0, m * 2 * np.abs(sd) / tau, m / eps, m / eps, terms)
    one = CutProblem(*args)
    u_one, info_one = one.solve("minimal")
    monkeypatch.setattr(mincut, "_COVER_BLOCK", 40)
    blocks = CutProblem(*args)
    u_blocks, info_blocks = blocks.solve("minimal")
    assert blocks.num_edges == one.num_edges and blocks.num_nodes == one.num_nodes
    assert (u_blocks == u_one).all() and info_blocks["certified"] and (u_one != (sd < 0)).any()
    u_pr, _ = blocks._cuts_push_relabel(*blocks._tedges, "minimal")
    assert (u_pr == u_one[blocks.nodes]).all()


def test_balls_against_brute_force():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (300, 3))
    x[1] = x[0] + [0.2, 0, 0]  # a pair at distance exactly r: closed ball
    b = balls(x, 0.25)
    dist = np.linalg.norm(x[:, None] - x[None], axis=2)
    for i in range(x.shape[0]):
        expected = np.flatnonzero(dist[i] <= 0.25 * (1 + 1e-12))
        assert (b.indices[b.indptr[i]:b.indptr[i + 1]] == expected).all()
        assert np.allclose(b.dist[b.indptr[i]:b.indptr[i + 1]], dist[i, expected], rtol=0, atol=1e-15)
    u = rng.uniform(size=x.shape[0])
    for r in (0.2, 0.25):
        assert 1 in b.indices[b.indptr[0]:b.indptr[1]][b.dist[b.indptr[0]:b.indptr[1]] <= r * (1 + 1e-12)]
        assert np.allclose(ball_max(u, b, r), [u[dist[i] <= r * (1 + 1e-12)].max() for i in range(x.shape[0])])
        assert np.allclose(ball_min(u, b, r), [u[dist[i] <= r * (1 + 1e-12)].min() for i in range(x.shape[0])])
    inside = u < 0.3
    d = distance_to_other_phase(x, inside, 0.2)
    expected = [np.min(dist[i][inside != inside[i]], initial=np.inf) for i in range(x.shape[0])]
    expected = np.where(np.array(expected) <= 0.2, expected, np.inf)
    assert np.allclose(d, expected, rtol=0, atol=1e-15)


class _ThresholdFamily:
    """Every subset of the free points with E(u) and sum_i r_i u_i, enumerated once: the minimal and
    maximal minimizers of E(u) + t sum_i r_i u_i for any t."""

    def __init__(self, problem, r):
        x, mixture, free, chi, w, c0, c1, terms = problem
        b = balls(x, mixture.reach)
        idx = np.flatnonzero(free)
        self.sets = np.repeat(chi[None], 2**idx.size, axis=0)
        self.sets[:, idx] = np.array(list(itertools.product((False, True), repeat=idx.size)))
        self.energy = np.array([_ball_energy(u, chi, np.where(free, w, 0), c0, c1, terms, b, mixture)
                                for u in self.sets])
        self.mass = (self.sets & free) @ r

    def minimizers(self, t):
        e = self.energy + t * self.mass
        best = self.sets[e <= e.min() + 1e-12]
        return np.logical_and.reduce(best), np.logical_or.reduce(best)


@pytest.mark.parametrize("solver", ["pseudoflow", "bk"])
@pytest.mark.parametrize("kind", sorted(MIXTURES))
@pytest.mark.parametrize("seed", range(4))
def test_breakpoints_match_enumeration(seed, kind, solver):
    """The parametric cut's breakpoints beta hold the whole threshold family: {beta > t} is the minimal
    and {beta >= t} the maximal minimizer of E + t sum r u, by enumeration at every breakpoint (where the
    two differ), between breakpoints and beyond the clipping range, for a wide and a narrow range."""
    problem = _random_problem(seed, num_free=11, kind=kind)
    free = problem[2]
    r = np.random.default_rng(seed).uniform(0.5, 2.0, free.size)
    family = _ThresholdFamily(problem, r)
    cut = CutProblem(*problem, solver=solver)
    beta, info = cut.breakpoints(r, 50.0)
    assert info["certified"] and info["rounds"] >= 1
    assert np.all(beta[~free] == np.where(problem[3][~free], 50.0, -50.0))
    values = np.unique(beta[free])
    assert values.size >= 4 and np.all(np.abs(values) < 50.0), values
    mids = (values[1:] + values[:-1]) / 2
    tol = 1e-9
    for t in np.concatenate([values, mids, [values[0] - 1.0, values[-1] + 1.0]]):
        umin, umax = family.minimizers(t)
        assert (umin == (beta > t + tol)).all() and (umax == (beta >= t - tol)).all(), t
        # at a breakpoint the minimal and maximal minimizers differ, between two they agree
        assert (umin != umax).any() == (t in values), t
    # a narrow range: beta clipped, the same sets for |t| < S
    narrow = 0.5 * np.max(np.abs(values))
    clipped, info = cut.breakpoints(r, narrow)
    assert info["certified"] and np.array_equal(clipped, np.clip(beta, -narrow, narrow))


@pytest.mark.parametrize("selection", ["minimal", "maximal"])
def test_breakpoints_fall_in_every_threshold_bracket(selection):
    """On a band problem of a few hundred free points, the exact breakpoints lie inside the brackets of
    sixteen threshold cuts (levels): every threshold set is {beta > s} (minimal) or {beta >= s} (maximal)."""
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (2500, 2))
    sd = np.linalg.norm(x, axis=1) - 0.6 + 0.03 * np.sin(7 * x[:, 0])
    eps, tau = 0.12, 0.02
    mixture = BallMixture(eps, eps * np.array([0.8, 1.0, 1.2]), np.array([0.3, 0.3, 0.4]), "isotropic")
    free = np.abs(sd) <= 0.08
    terms = np.abs(sd) <= 0.08 + mixture.reach
    m = np.full(x.shape[0], 4.0 / x.shape[0])
    rho0, rho1 = 1.0 + 0.3 * x[:, 1], 1.5 + 0.2 * x[:, 0]
    cut = CutProblem(x, mixture, free, sd < 0, m * (rho0 + rho1) * np.abs(sd) / tau, m * rho0 / eps,
                     m * rho1 / eps, terms)
    r = m * (rho0 + rho1) / tau
    delta = 0.01
    svals = [j * delta for j in range(-8, 9)]
    levels = cut.levels(selection, svals, r)
    beta, info = cut.breakpoints(r, 9 * delta)
    assert info["certified"] and np.count_nonzero(free) > 300
    for s in svals:
        expected = beta > s if selection == "minimal" else beta >= s
        assert (levels[s] == expected).all(), f"s = {s}: {np.count_nonzero(levels[s] != expected)} points differ"
    # the breakpoints are not the brackets' midpoints: more distinct values than brackets (TV_eps's w is
    # piecewise constant: clusters of points share one value)
    assert np.unique(beta[free & (np.abs(beta) < 9 * delta)]).size > 2 * len(svals)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", sorted(MIXTURES))
@pytest.mark.parametrize("seed", range(4))
def test_cached_covers_match_enumeration(seed, kind, solver):
    """The graph from a cover cache over all points (its tree's or/and nodes, first levels and its arcs
    made straight into the adjacency from its covers) gives the enumerated minimal and maximal
    minimizers, with every solver."""
    from advmcf.nonlocal_._cover import CoverCache

    problem = _random_problem(seed, kind=kind)
    best, umin, umax, _ = _enumerate(*problem)
    x, mixture = problem[0], problem[1]
    cut = CutProblem(*problem, covers=(CoverCache(x, mixture.closed_radii), np.arange(x.shape[0])), solver=solver)
    for selection, expected in (("minimal", umin), ("maximal", umax)):
        u, info = cut.solve(selection)
        assert info["certified"] and info["energy"] == pytest.approx(best, abs=1e-10)
        assert (u == expected).all(), selection


@pytest.mark.parametrize("d", [2, 3])
def test_cached_covers_on_moving_bands(d):
    """Bands of a moving circle (sphere) on one cover cache, as the steps of a flow use it: each band's
    cut equals the cut of the tree over its free points (pseudoflow) and of the plain graph (BK), while
    most covers come from the previous band; a layer problem on a subset leaves the cache as it was;
    a term whose ball leaves the points is an error."""
    from advmcf.nonlocal_._cover import CoverCache

    rng = np.random.default_rng(d)
    n = 3000 if d == 2 else 4000
    x = rng.uniform(-1, 1, (n, d))
    eps, tau = 0.15, 0.02
    mixture = BallMixture(eps, eps * np.array([0.8, 1.0, 1.2]), np.array([0.3, 0.3, 0.4]), "isotropic")
    cache = CoverCache(x, mixture.closed_radii)
    m = np.full(n, 2.0**d / n)
    rho0, rho1 = 1.0 + 0.3 * x[:, 1], 1.5 + 0.2 * x[:, 0]
    walked = []
    for radius in (0.6, 0.63, 0.66):
        sd = (np.linalg.norm(x, axis=1) - radius + 0.05 * np.sin(5 * x[:, 0])) / 1.25  # 1-Lipschitz
        sub = np.flatnonzero(np.abs(sd) <= 0.2 + 2 * mixture.reach)
        ds = sd[sub]
        args = (x[sub], mixture, np.abs(ds) <= 0.2, ds < 0, (m * (rho0 + rho1) * np.abs(sd) / tau)[sub],
                (m * rho0 / eps)[sub], (m * rho1 / eps)[sub], np.abs(ds) <= 0.2 + mixture.reach)
        before = cache._ids.copy()
        cached = CutProblem(*args, covers=(cache, sub))
        walked.append(np.count_nonzero(~np.isin(cache._ids, before)) / cache._ids.size)
        for selection in ("minimal", "maximal"):
            u, info = cached.solve(selection)
            u_tree, info_tree = CutProblem(*args).solve(selection)
            u_bk, _ = CutProblem(*args, method="plain", solver="bk").solve(selection)
            assert info["certified"] and info_tree["certified"]
            assert (u == u_tree).all() and (u == u_bk).all() and (u != (ds < 0)).any()
            assert info["energy"] == pytest.approx(info_tree["energy"], rel=1e-12)
        kept = cache._ids.copy()
        layer = np.abs(ds) <= 0.05
        near = np.abs(ds) <= 0.05 + 2 * mixture.reach
        CutProblem(args[0][near], mixture, layer[near], *(a[near] for a in args[3:7]),
                   (np.abs(ds) <= 0.05 + mixture.reach)[near], covers=(cache, sub[near]), keep_covers=False)
        assert np.array_equal(cache._ids, kept)
    assert walked[0] == 1.0 and max(walked[1:]) < 0.3, walked
    with pytest.raises(ValueError, match="not one of the points"):
        CutProblem(*args[:7], np.ones(sub.size, bool), covers=(cache, sub))
