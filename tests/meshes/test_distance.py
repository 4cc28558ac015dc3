"""advmcf.meshes._simplices.distance_to_simplices against brute force: every point against every simplex."""

import numpy as np
import pytest

from advmcf.meshes._simplices import distance_to_simplices


def _point_segment(p, a, b):
    """(num_points, num_segments) distances, closed form."""
    ab = b - a
    len2 = np.einsum("sg,sg->s", ab, ab)
    t = np.einsum("psg,sg->ps", p[:, None] - a, ab) / np.where(len2 > 0, len2, 1.0)
    t = np.clip(np.where(len2 > 0, t, 0.0), 0.0, 1.0)
    return np.linalg.norm(p[:, None] - a - t[..., None] * ab, axis=2)


def _brute_force(points, simplices):
    """min over simplices: edges in closed form; for triangles also the foot of the perpendicular when
    its barycentric coordinates (a least-squares solve, not the kernel's edge signs) are all >= 0."""
    k = simplices.shape[1]
    edges = [(0, 1)] if k == 2 else [(0, 1), (1, 2), (2, 0)]
    d = np.min([_point_segment(points, simplices[:, i], simplices[:, j]) for i, j in edges], axis=0)
    if k == 3:
        for s, tri in enumerate(simplices):
            e = np.stack([tri[1] - tri[0], tri[2] - tri[0]], axis=1)  # (3, 2)
            if np.linalg.matrix_rank(e) < 2:
                continue
            lam, *_ = np.linalg.lstsq(e, (points - tri[0]).T, rcond=None)
            foot = tri[0] + (e @ lam).T
            inside = (lam[0] >= 0) & (lam[1] >= 0) & (lam.sum(axis=0) <= 1)
            d[inside, s] = np.minimum(d[inside, s], np.linalg.norm(points - foot, axis=1)[inside])
    return d.min(axis=1)


@pytest.mark.parametrize("gdim, k, num", [(2, 2, 1), (2, 2, 60), (3, 2, 40), (3, 3, 1), (3, 3, 60)])
def test_distances_equal_brute_force(gdim, k, num):
    rng = np.random.default_rng(7 + num + 10 * k)
    simplices = rng.random((num, k, gdim))
    simplices[num // 2, 1] = simplices[num // 2, 0]  # a degenerate simplex (a point)
    points = rng.random((500, gdim)) * 1.6 - 0.3
    points[:3] = simplices[:3, 0]  # points on simplices
    exact = _brute_force(points, simplices)
    assert exact[:3].max() == 0.0
    np.testing.assert_allclose(distance_to_simplices(points, simplices), exact, rtol=1e-12, atol=1e-14)
    # with a cutoff: exact below it, the cutoff itself elsewhere
    cutoff = float(np.median(exact))
    clipped = distance_to_simplices(points, simplices, cutoff)
    np.testing.assert_allclose(clipped, np.minimum(exact, cutoff), rtol=1e-12, atol=1e-14)
    assert np.all(clipped <= cutoff) and np.all(clipped[exact > cutoff * (1 + 1e-9)] == cutoff)


def test_distance_to_a_polygon_near_its_centre():
    """Points near the centre of a fine regular polygon are almost equidistant from every side (the
    branch and bound cannot prune there): the distance is the apothem on the axis of a side."""
    n = 4000
    t = 2 * np.pi * np.arange(n + 1) / n
    corners = np.stack([np.cos(t), np.sin(t)], axis=1)
    simplices = np.stack([corners[:-1], corners[1:]], axis=1)
    mid = np.pi / n  # the direction of the first side's midpoint
    r = np.linspace(0.0, 0.9, 7)
    points = np.stack([r * np.cos(mid), r * np.sin(mid)], axis=1)
    np.testing.assert_allclose(distance_to_simplices(points, simplices), np.cos(np.pi / n) - r, rtol=0, atol=1e-14)


def test_no_simplices():
    points = np.zeros((4, 2))
    assert np.all(distance_to_simplices(points, np.zeros((0, 2, 2))) == np.inf)
    assert np.all(distance_to_simplices(points, np.zeros((0, 2, 2)), 0.5) == 0.5)
