"""CutProblem with terms centred off the points (the empirical class measures' terms) against brute-force
enumeration, and the same cuts as the point-centred terms when the centres are the points."""

import functools
import itertools

import numpy as np
import pytest
from scipy.spatial import cKDTree

from advmcf.nonlocal_.functional import centred_perimeter, vertex_perimeter
from advmcf.nonlocal_.mincut import CutProblem
from advmcf.nonlocal_.mixture import BallMixture, plain

MIXTURES = {"plain": plain(0.3),
            "mixture": BallMixture(0.3, np.array([0.2, 0.27, 0.36]), np.array([0.5, 0.25, 0.25]), "isotropic")}


def _problem(seed, kind, num_free=11, num_terms=25):
    """Points (some fixed), and terms centred at random spots, each owned by its nearest point; c0 or c1
    zero for most terms (a sample of class 0 or 1), both nonzero for some; quantised weights (ties)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(num_free + 6, 2))
    chi = np.linalg.norm(x - 0.5, axis=1) < 0.3 + 0.05 * rng.standard_normal(x.shape[0])
    free = np.zeros(x.shape[0], bool)
    free[:num_free] = True
    w = rng.integers(0, 3, x.shape[0]) / 2
    centres = rng.uniform(0, 1, size=(num_terms, 2))
    _, own = cKDTree(x).query(centres)
    centres = x[own] + 0.5 * (centres - x[own]) * np.minimum(1, 0.19 / np.linalg.norm(centres - x[own], axis=1))[:, None]
    label = rng.integers(0, 3, num_terms)  # 0, 1 or both
    c0 = np.where(label != 1, rng.integers(1, 3, num_terms) / 2, 0.0)
    c1 = np.where(label != 0, rng.integers(1, 3, num_terms) / 2, 0.0)
    return x, MIXTURES[kind], free, chi, w, c0, c1, own, centres


def _energy(u, chi, free, w, c0, c1, own, centres, x, mixture):
    """E(u) with explicit maxima and minima over the balls about the centres (all pairs, by numpy)."""
    d = np.linalg.norm(centres[:, None] - x[None], axis=2)
    uf = u.astype(float)
    per = 0.0
    for r, wk in zip(mixture.radii, mixture.weights):
        inball = d <= r * (1 + 1e-12)
        mx = np.where(inball, uf[None], -np.inf).max(axis=1)
        mn = np.where(inball, uf[None], np.inf).min(axis=1)
        per += wk * np.sum(c0 * (mx - uf[own]) + c1 * (uf[own] - mn))
    return float(np.sum(np.where(free, w, 0) * np.abs(uf - chi)) + per)


@functools.cache
def _enumerated(seed, kind):
    """(min energy, the minimizers as an (m, num_points) bool array) over every set of the free points."""
    x, mixture, free, chi, w, c0, c1, own, centres = _problem(seed, kind)
    idx = np.flatnonzero(free)
    energies, sets = [], []
    for bits in itertools.product((False, True), repeat=idx.size):
        u = chi.copy()
        u[idx] = bits
        energies.append(_energy(u, chi, free, w, c0, c1, own, centres, x, mixture))
        sets.append(u)
    energies = np.array(energies)
    return energies.min(), np.array(sets)[energies <= energies.min() + 1e-12]


@pytest.mark.parametrize("method", ["tree", "plain"])
@pytest.mark.parametrize("kind", sorted(MIXTURES))
@pytest.mark.parametrize("seed", range(6))
def test_centred_terms_match_enumeration(seed, kind, method):
    x, mixture, free, chi, w, c0, c1, own, centres = _problem(seed, kind)
    best, optimal = _enumerated(seed, kind)
    cut = CutProblem(x, mixture, free, chi, w, c0, c1, own, centres=centres, method=method)
    for selection, expected in (("minimal", optimal.all(axis=0)), ("maximal", optimal.any(axis=0))):
        u, info = cut.solve(selection)
        assert info["certified"], info
        assert info["energy"] == pytest.approx(best, abs=1e-10)
        np.testing.assert_array_equal(u, expected, err_msg=selection)
    assert centred_perimeter(x, chi, centres, own, c0, c1, mixture) == pytest.approx(
        _energy(chi, chi, free, w, c0, c1, own, centres, x, mixture), abs=1e-12)


def test_enumeration_sees_ties():
    """Some of the problems above have several minimizers, so the selections are tested."""
    assert sum(len(_enumerated(seed, kind)[1]) > 1 for seed in range(6) for kind in MIXTURES) >= 2


@pytest.mark.parametrize("kind", sorted(MIXTURES))
def test_centres_at_the_points_give_the_point_terms(kind):
    """centres = the term points, own = themselves: the same sets, energies and bounds as the default terms."""
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 1, size=(400, 2))
    mixture = MIXTURES[kind]
    chi = np.linalg.norm(x - 0.5, axis=1) < 0.3
    free = np.abs(np.linalg.norm(x - 0.5, axis=1) - 0.3) < 0.15
    w, c0, c1 = rng.uniform(0, 1, 400), rng.uniform(0.5, 1, 400), rng.uniform(0.5, 1, 400)
    terms = np.abs(np.linalg.norm(x - 0.5, axis=1) - 0.3) < 0.15 + mixture.reach
    t = np.flatnonzero(terms)
    a = CutProblem(x, mixture, free, chi, w, c0, c1, terms)
    b = CutProblem(x, mixture, free, chi, w, c0[t], c1[t], t, centres=x[t])
    for selection in ("minimal", "maximal"):
        (ua, ia), (ub, ib) = a.solve(selection), b.solve(selection)
        np.testing.assert_array_equal(ua, ub)
        assert ib["certified"] and ia["energy"] == pytest.approx(ib["energy"], rel=1e-12)
        assert ia["lower_bound"] == pytest.approx(ib["lower_bound"], rel=1e-12)
    assert centred_perimeter(x, chi, x[t], t, c0[t], c1[t], mixture) == pytest.approx(
        vertex_perimeter(x, chi, np.where(terms, c0, 0), np.where(terms, c1, 0), mixture), rel=1e-12)


def test_own_point_outside_the_smallest_ball_is_refused():
    x = np.array([[0.0, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match=r"a term's own point is 0.5 from its centre, outside its smallest ball"):
        CutProblem(x, plain(0.3), np.ones(2, bool), np.zeros(2, bool), np.ones(2), [1.0], [0.0], [0],
                   centres=[[0.5, 0.0]])
