"""R*(eps) of labelled points against brute force, Koenig's theorem (scipy's matching) and the Gaussian
closed form; the robust labels; both selections."""


import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching
from scipy.spatial import cKDTree
from scipy.stats import norm as normal

from advmcf.samples import labelled_points, optimal_risk

ORD = {"l2": 2, "linf": np.inf}


def _conflicts(x, y, eps, norm):
    """(n, n) bool: pairs of different classes within 2 eps (closed, the same rounding rule), by numpy."""
    dist = np.linalg.norm(x[:, None] - x[None], ord=ORD[norm], axis=2)
    return (dist <= 2 * eps * (1 + 1e-12)) & (y[:, None] != y[None])


def _brute_force(x, y, w, eps, norm):
    """(min risk, the optimal robust sets as an (m, n) bool array) over all 2^n robust sets."""
    n = y.size
    c = _conflicts(x, y, eps, norm)
    subsets = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    ok = ~np.einsum("si,ij,sj->s", subsets.astype(np.int64), c.astype(np.int64), subsets.astype(np.int64)).astype(bool)
    lost = np.where(ok, (~subsets).astype(float) @ w, np.inf)
    best = lost.min()
    return best / w.sum(), subsets[np.isclose(lost, best, rtol=0, atol=1e-12 * w.sum())]


def _data(seed, n, dim, integer_weights):
    """Random points with a location holding both labels (a conflict at every budget) and one holding
    two points of the same label; weights 1 or 2 (many ties between optimal sets) or random reals."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, dim))
    y = rng.integers(0, 2, n)
    x[1], y[0], y[1] = x[0], 0, 1
    x[3], y[3] = x[2], y[2]
    w = rng.integers(1, 3, n).astype(float) if integer_weights else rng.random(n) + 0.1
    return x, y, w


@pytest.mark.parametrize("norm", ["l2", "linf"])
@pytest.mark.parametrize("seed,n,dim,integer_weights", [(0, 12, 2, True), (1, 14, 3, False), (2, 16, 2, False),
                                                        (3, 10, 5, True)])
def test_risk_equals_brute_force_over_all_robust_sets(seed, n, dim, integer_weights, norm):
    """Every subset of the points is tried as the robust set (feasible iff no two of its points of different
    classes are within 2 eps, by numpy distances): the min lost weight is R*, the returned robust set is
    one of the optimal ones, and the minimal (maximal) selection is the intersection (union) of the
    optimal source sets {robust class 1} + {lost class 0} (the lattice of minimum cuts)."""
    x, y, w = _data(seed, n, dim, integer_weights)
    pts = labelled_points(x, y, w)
    eps = [0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.6]
    curves = {s: optimal_risk(pts, eps, norm=norm, selection=s) for s in ("minimal", "maximal")}
    nontrivial = 0
    for k, e in enumerate(eps):
        best, optimal = _brute_force(x, y, w, e, norm)
        source = optimal & (y == 1) | ~optimal & (y == 0)
        nontrivial += 0 < best < 1 and len(optimal) > 1
        for s, c in curves.items():
            assert c.certified[k]
            if integer_weights:
                assert c.risk[k] == best and c.lower_bound[k] == best
            else:
                assert c.risk[k] == pytest.approx(best, rel=1e-12, abs=1e-14)
            mine = c.robust[k] & (y == 1) | ~c.robust[k] & (y == 0)
            expected = source.all(axis=0) if s == "minimal" else source.any(axis=0)
            np.testing.assert_array_equal(mine, expected, err_msg=f"{s} eps={e}")
            assert np.array_equal(c.lost[k], np.bincount(y[~c.robust[k]], minlength=2))
    if integer_weights:
        assert nontrivial >= 2  # budgets with ties between optimal sets: the selections are tested
    assert curves["minimal"].risk[0] > 0  # the point with both labels is lost at eps = 0


def _interval_brute_force(x, y, eps):
    """min over all classifiers A of the line (unions of pieces between the breakpoints x_i +- eps,
    breakpoints included) of the empirical adversarial 0-1 risk with closed balls; unit weights."""
    ends = np.unique(np.concatenate([x - eps, x + eps]))
    pieces = np.concatenate([ends, (ends[:-1] + ends[1:]) / 2])  # a point per breakpoint and per gap
    inside = (pieces[None] >= x[:, None] - eps) & (pieces[None] <= x[:, None] + eps)  # (n, pieces)
    labels = ((np.arange(2 ** pieces.size)[:, None] >> np.arange(pieces.size)) & 1).astype(bool)
    hits = labels.astype(np.int64) @ inside.T.astype(np.int64)  # pieces of each ball labelled 1
    size = inside.sum(axis=1)
    lost = np.where(y == 0, hits > 0, hits < size)
    return lost.sum(axis=1).min() / y.size


@pytest.mark.parametrize("seed", range(4))
def test_vertex_cover_equals_the_best_classifier_on_the_line(seed):
    """The theorem itself, without the conflict graph: on the line every classifier is a union of pieces
    between the ball ends (and the ends), so all of them can be tried (4 points, up to 2^15 classifiers)."""
    rng = np.random.default_rng(seed)
    x = rng.random(4)
    y = np.array([0, 1, 0, 1])
    rng.shuffle(y)
    eps = [0.02, 0.1, 0.2, 0.35]
    c = optimal_risk(labelled_points(x, y), eps)
    expected = [_interval_brute_force(x, y, e) for e in eps]
    np.testing.assert_array_equal(c.risk, expected)
    assert len(set(expected)) >= 2


@pytest.mark.parametrize("norm", ["l2", "linf"])
@pytest.mark.parametrize("dim,n", [(2, 400), (3, 600), (8, 500)])
def test_koenig_matching_equals_risk(dim, n, norm):
    """Balanced classes, unit weights: R* = (maximum matching of the conflict graph) / (2n), the matching by
    scipy's maximum_bipartite_matching on the pairs of scipy's sparse_distance_matrix (independent)."""
    rng = np.random.default_rng(dim)
    x0, x1 = rng.normal(size=(n, dim)), rng.normal(size=(n, dim)) + 0.5
    pts = labelled_points(np.r_[x0, x1], np.r_[np.zeros(n), np.ones(n)])
    nearest, _ = cKDTree(x1).query(x0, p=ORD[norm])
    eps = np.quantile(nearest, [0.02, 0.2, 0.5, 0.9]) / 2  # from few conflicts to most points conflicting
    c = optimal_risk(pts, eps, norm=norm)
    sizes = []
    for k, e in enumerate(c.eps):
        pairs = cKDTree(x0).sparse_distance_matrix(cKDTree(x1), 2 * e * (1 + 1e-12), p=ORD[norm],
                                                   output_type="ndarray")
        graph = coo_matrix((np.ones(pairs.size), (pairs["i"], pairs["j"])), shape=(n, n)).tocsr()
        matched = int(np.count_nonzero(maximum_bipartite_matching(graph, perm_type="column") >= 0))
        sizes.append(matched)
        assert c.risk[k] == matched / (2 * n)
    assert 0 < sizes[0] < sizes[-1] < n  # the budgets span sparse to dense conflict graphs


def test_gaussian_closed_form_within_the_sampling_error():
    r"""Two classes N(-mu, I), N(mu, I) in 2D, |mu| = 1, n = 2000 each: R*(eps) = Phi(eps - 1).

    R*_n differs from R* by the sampling error of one classifier plus the optimism of fitting the
    classifier to the sample, checked apart:
    - exact: R*_n <= the empirical adversarial risk R_n(H) of the optimal half-space H = {x_1 > 0}
      (class 1 lost iff x_1 <= eps, class 0 iff x_1 >= -eps), R*_n being a minimum over all sets;
    - sampling: R_n(H) is a mean of N = 4000 Bernoulli variables with mean R*, so |R_n(H) - R*| <= 4 sigma,
      sigma = sqrt(R*(1 - R*)/N) (0.0066-0.0078 here);
    - optimism: R_n(H) - R*_n <= 0.03 (measured 0.008-0.015 over the seeds 2-5 at this n).
    Hence |R*_n - R*| <= 4 sigma + 0.03."""
    rng = np.random.default_rng(2)
    n = 2000
    x = np.r_[rng.normal(size=(n, 2)) - [1, 0], rng.normal(size=(n, 2)) + [1, 0]]
    y = np.r_[np.zeros(n), np.ones(n)]
    eps = np.array([0.25, 0.5, 0.75])
    c = optimal_risk(labelled_points(x, y), eps)
    exact = normal.cdf(eps - 1.0)
    halfspace = np.array([(np.count_nonzero(x[:n, 0] >= -e) + np.count_nonzero(x[n:, 0] <= e)) / (2 * n)
                          for e in eps])
    sigma = np.sqrt(exact * (1 - exact) / (2 * n))
    assert np.all(c.risk <= halfspace)
    assert np.all(np.abs(halfspace - exact) <= 4 * sigma), (halfspace, exact, sigma)
    assert np.all(halfspace - c.risk <= 0.03), halfspace - c.risk
    assert np.all(np.diff(c.risk) > 0)


@pytest.mark.parametrize("selection", ["minimal", "maximal"])
@pytest.mark.parametrize("norm", ["l2", "linf"])
def test_robust_labels_are_a_classifier_with_the_optimal_risk(selection, norm):
    """The robust labels are A*'s: robust points keep their label; recomputing the adversarial risk of A*
    on the points (A* = union of eps-balls of robust class 1, or the complement of those of robust class 0)
    by numpy distances gives R* again."""
    rng = np.random.default_rng(7)
    x = rng.random((300, 2))
    y = (x[:, 0] + 0.15 * rng.normal(size=300) > 0.5).astype(int)
    eps = [0.02, 0.05]
    c = optimal_risk(labelled_points(x, y), eps, norm=norm, selection=selection)
    for k, e in enumerate(eps):
        rob = c.robust[k]
        assert np.array_equal(c.prediction[k][rob], y[rob])
        d = np.linalg.norm(x[:, None] - x[None], ord=ORD[norm], axis=2)
        if selection == "minimal":
            core = rob & (y == 1)  # A* = balls of radius eps about these
            in_a = (d[:, core] <= e).any(axis=1)
            meets = (d[:, core] <= 2 * e).any(axis=1)  # the ball of x meets A*
            lost = np.where(y == 0, meets, ~rob)  # a class-1 point's ball lies in A* iff robust (optimality)
        else:
            core = rob & (y == 0)
            in_a = ~(d[:, core] <= e).any(axis=1)
            leaves = (d[:, core] <= 2 * e).any(axis=1)  # the ball of x meets the complement of A*
            lost = np.where(y == 1, leaves, ~rob)
        np.testing.assert_array_equal(c.prediction[k], in_a.astype(np.int8))
        assert lost.sum() / y.size == c.risk[k]
        assert 0 < c.risk[k] < 0.5


def test_bad_arguments():
    pts = labelled_points([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="norm = 'l1': must be one of l2, linf"):
        optimal_risk(pts, [0.1], norm="l1")
    with pytest.raises(ValueError, match="eps must be one or more finite budgets >= 0"):
        optimal_risk(pts, [-0.1])
    with pytest.raises(ValueError, match="selection = 'median'"):
        optimal_risk(pts, [0.1], selection="median")
    c = optimal_risk(pts, [0.6, 0.2, 0.6, 0.49, 0.5])  # sorted and unique; a tie at exactly 2 eps conflicts
    assert list(c.eps) == [0.2, 0.49, 0.5, 0.6] and list(c.risk) == [0, 0, 0.5, 0.5]
