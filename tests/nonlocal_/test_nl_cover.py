"""advmcf.nonlocal_._cover.ball_cover against brute force, on 1 and 2 threads, and when its output estimate is too low."""

import numba
import numpy as np
import pytest

from advmcf.meshes.kdtree import KDTree
from advmcf.nonlocal_._cover import ball_cover


def _leaves(tree, k):
    """The tree points below node k."""
    if tree.point[k] >= 0:
        return [int(tree.point[k])]
    return _leaves(tree, tree.left[k]) + _leaves(tree, tree.right[k])


def _check_exact(tree, points, centres, radii, cover, which, p=2):
    """For each centre in ``which``: no box listed twice, and the boxes of levels <= k together hold
    exactly the points within radii[k] (in the p-norm)."""
    owner, node, level = cover
    for c in which:
        dist = np.linalg.norm(points - centres[c], ord=p, axis=1)
        mine = owner == c
        assert np.unique(node[mine]).size == np.count_nonzero(mine), c
        for k, r in enumerate(radii):
            held = {p for q in np.flatnonzero(mine & (level <= k)) for p in _leaves(tree, node[q])}
            assert held == set(np.flatnonzero(dist <= r).tolist()), (c, k)


@pytest.mark.parametrize("dim", [2, 3])
def test_cover_is_exact_and_independent_of_threads(dim):
    rng = np.random.default_rng(dim)
    points = rng.random((600, dim))
    centres = rng.random((300, dim))
    radii = np.array([0.1, 0.13, 0.2])
    tree = KDTree(points)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = ball_cover(tree, centres, radii)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = ball_cover(tree, centres, radii)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)
    assert one[0].size > 0
    _check_exact(tree, points, centres, radii, one, range(centres.shape[0]))


def test_cover_when_the_sample_underestimates_it():
    """The output is sized from every (n // 256)-th centre; here those see no point at all, so every
    block overflows its part and is finished in extra buffers: the same cover as one centre at a time."""
    rng = np.random.default_rng(5)
    points = rng.random((400, 2))
    centres = rng.random((512, 2))
    centres[::2] += 10.0  # the sampled centres are far from every point
    radii = np.array([0.15, 0.25])
    tree = KDTree(points)
    cover = ball_cover(tree, centres, radii)
    assert cover[0].size > 0
    singles = [ball_cover(tree, centres[c:c + 1], radii) for c in range(centres.shape[0])]
    expected = [np.concatenate([s[0] + c for c, s in enumerate(singles)]),
                np.concatenate([s[1] for s in singles]), np.concatenate([s[2] for s in singles])]
    for a, b in zip(cover, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    _check_exact(tree, points, centres, radii, cover, range(0, 512, 7))


@pytest.mark.parametrize("dim", [2, 5])
def test_cover_of_maximum_norm_balls(dim):
    """p = inf: the boxes cover the cubes |y - c|_inf <= r exactly (the cubes hold points that the
    Euclidean balls of the same radii miss, so the check tells the norms apart)."""
    rng = np.random.default_rng(10 + dim)
    points = rng.random((500, dim))
    centres = rng.random((200, dim))
    radii = np.array([0.1, 0.2, 0.3])
    tree = KDTree(points)
    cube = ball_cover(tree, centres, radii, p=np.inf)
    _check_exact(tree, points, centres, radii, cube, range(centres.shape[0]), p=np.inf)
    diff = points[:, None] - centres[None]
    in_cube_only = (np.abs(diff).max(axis=2) <= radii[-1]) & (np.linalg.norm(diff, axis=2) > radii[-1])
    assert np.count_nonzero(in_cube_only) > 50
    with pytest.raises(ValueError, match="p = 1, must be 2 or inf"):
        ball_cover(tree, centres, radii, p=1)


def test_cover_cache_is_the_walk_of_each_request(monkeypatch):
    """CoverCache.get returns, for every request, the covers ball_cover walks for those vertices (as a
    CSR in the request's order), whether they were kept from the last request or walked now, in blocks
    of any size; a request with keep=False leaves the kept covers as they were."""
    from advmcf.nonlocal_ import _cover

    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (2500, 2))
    radii = np.array([0.08, 0.1, 0.13])
    monkeypatch.setattr(_cover, "_BLOCK", 97)  # many blocks, the last one partial
    cache = _cover.CoverCache(x, radii)

    def expected(ids):
        owner, node, level = ball_cover(cache.tree, x[ids], radii)
        return np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=ids.size))]), node, level

    requests = [np.flatnonzero(np.abs(np.linalg.norm(x, axis=1) - r) < 0.2) for r in (0.5, 0.55, 0.7, 0.45)]
    for ids in requests:
        before = cache._ids.copy()
        got = cache.get(ids)
        assert got[1].dtype == np.int32 and got[2].dtype == np.int8
        for a, b in zip(got, expected(ids)):
            assert np.array_equal(a, b)
        if before.size:  # most of the band was kept, the rest walked
            assert 0 < np.count_nonzero(np.isin(ids, before)) < ids.size
    kept = cache._ids.copy()
    sub = requests[0][::3]
    assert all(np.array_equal(a, b) for a, b in zip(cache.get(sub, keep=False), expected(sub)))
    assert np.array_equal(cache._ids, kept)
