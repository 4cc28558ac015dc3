"""Signed distance functions of advmcf.meshes.shapes against brute force on fine samples."""

import numpy as np
import pytest

from advmcf.meshes import shapes


def _points(n=600, seed=0):
    x = np.zeros((3, n))
    x[:2] = np.random.default_rng(seed).uniform(-2, 2, (2, n))
    x[:2, :4] = [[0.0, 0.3, -0.5, 0.9], [0.0, 0.0, 0.0, 0.0]]  # on the major axis
    return x


def _sampled(curve_xy, x):
    """Brute-force distance from the points to a densely sampled curve."""
    d = np.full(x.shape[1], np.inf)
    for chunk in np.array_split(curve_xy, 50):
        d = np.minimum(d, np.min(np.hypot(x[0, :, None] - chunk[None, :, 0], x[1, :, None] - chunk[None, :, 1]), axis=1))
    return d


@pytest.mark.parametrize("axes", [(1.0, 0.5), (0.4, 1.2), (0.7, 0.7)])
def test_ellipse_is_exact_signed_distance(axes):
    a, b = axes
    x = _points()
    t = np.linspace(0, 2 * np.pi, 100_000, endpoint=False)
    d = shapes.ellipse([0.1, -0.2], axes)(x + np.array([[0.1], [-0.2], [0.0]]))
    bf = _sampled(np.stack([a * np.cos(t), b * np.sin(t)], axis=1), x)
    assert np.abs(np.abs(d) - bf).max() < 1e-6
    inside = (x[0] / a) ** 2 + (x[1] / b) ** 2 < 1
    assert np.array_equal(d < 0, inside)


def test_polygons_square_distance_and_sign():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    x = _points(seed=1)
    d = shapes.polygons([square])(x)
    exact = shapes.rectangle([0, 0], [1, 1])(x)
    assert np.abs(d - exact).max() < 1e-12


def test_flower_and_union_signs():
    x = _points(seed=2)
    r, th = np.hypot(x[0], x[1]), np.arctan2(x[1], x[0])
    d = shapes.flower([0, 0], 0.8, 0.3, 5)(x)
    assert np.array_equal(d < 0, r < 0.8 * (1 + 0.3 * np.cos(5 * th)))
    u = shapes.union(shapes.disc([-1, 0], 0.5), shapes.disc([1, 0], 0.5))(x)
    assert np.allclose(u, np.minimum(np.hypot(x[0] + 1, x[1]), np.hypot(x[0] - 1, x[1])) - 0.5)


def test_half_space_and_ball():
    x = np.random.default_rng(3).uniform(-1, 1, (3, 100))
    assert np.allclose(shapes.half_space([0, 2], 0.25)(x), x[1] - 0.25)
    assert np.allclose(shapes.ball([0, 0, 0], 0.5)(x), np.linalg.norm(x, axis=0) - 0.5)


@pytest.mark.parametrize("make, match", [
    (lambda: shapes.disc([0, 0], -1.0), "radius"),
    (lambda: shapes.ellipse([0, 0], [1.0, 0.0]), "semi_axes"),
    (lambda: shapes.rectangle([0, 0], [0, 1]), "lower < upper"),
    (lambda: shapes.flower([0, 0], 1.0, 1.5, 3), "amplitude"),
    (lambda: shapes.dumbbell([-1, 0], [1, 0], 0.3, 0.5), "neck_half_width"),
    (lambda: shapes.polygons([np.zeros((2, 2))]), r"\(n >= 3, 2\)"),
])
def test_bad_shapes_get_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()
