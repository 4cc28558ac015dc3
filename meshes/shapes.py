r"""Signed distance functions of the standard initial shapes.

A *shape* is a callable ``sdf(x)`` taking coordinates ``x`` of shape
``(3, num_points)`` (the DOLFINx interpolation convention; in 2D the third row
is zero and ignored) and returning ``(num_points,)`` values, negative inside
the set, positive outside, zero on its boundary.  Where a closed form exists it
is the exact signed distance; otherwise the docstring says what it is.

Every constructor here returns a :class:`Shape`: the callable with its
dimension, so that :func:`advmcf.meshes.sets.level_set` refuses a 3D ball on a 2D
mesh (or a disc with one coordinate) instead of cutting a slice of it.  Pass
a shape to :func:`advmcf.meshes.sets.level_set` to make a P1 set on a mesh.
"""

from __future__ import annotations

import numpy as np
from matplotlib.path import Path

from advmcf.meshes import checks
from advmcf.meshes._simplices import distance_to_simplices

__all__ = ["Shape", "disc", "ball", "ellipse", "rectangle", "half_space", "flower",
           "dumbbell", "union", "polygons"]


class Shape:
    """A signed distance callable ``sdf(x)`` of a set in ``dim`` dimensions.

    Calling it evaluates the signed distance at ``x`` of shape ``(3, n)``
    (rows beyond ``dim`` are ignored; in 2D the third row is zero).
    """

    def __init__(self, sdf, dim: int, description: str):
        self._sdf, self.dim, self.description = sdf, int(dim), description

    def __call__(self, x):
        return self._sdf(x)

    def __repr__(self) -> str:
        return f"<{self.dim}D shape: {self.description}>"


def _coords(x, gdim):
    x = np.asarray(x, dtype=float)
    return x[:gdim]


def _fmt(v) -> str:
    return "(" + ", ".join(f"{c:g}" for c in np.ravel(v)) + ")"


def disc(centre, radius):
    r"""Exact signed distance :math:`|x - c| - R` of the disc (ball) B_R(c).

    The dimension is ``len(centre)``: a disc in 2D, a ball in 3D.
    """
    c = checks.point("disc: centre", centre)
    radius = checks.positive("disc: radius", radius)

    def sdf(x):
        return np.linalg.norm(_coords(x, c.size) - c[:, None], axis=0) - radius

    return Shape(sdf, c.size, f"{'disc' if c.size == 2 else 'ball'} centre {_fmt(c)}, radius {radius:g}")


ball = disc


def rectangle(lower, upper):
    """Exact signed distance of the box ``[lower, upper]`` (2D or 3D)."""
    lo, hi = checks.point("rectangle: lower", lower), checks.point("rectangle: upper", upper)
    if lo.shape != hi.shape or np.any(hi <= lo):
        raise ValueError(f"rectangle: need lower < upper componentwise, got {lower}, {upper}")
    c, half = 0.5 * (lo + hi), 0.5 * (hi - lo)

    def sdf(x):
        q = np.abs(_coords(x, c.size) - c[:, None]) - half[:, None]
        outside = np.linalg.norm(np.maximum(q, 0.0), axis=0)
        inside = np.minimum(q.max(axis=0), 0.0)
        return outside + inside

    return Shape(sdf, c.size, f"rectangle {_fmt(lo)} to {_fmt(hi)}")


def half_space(normal, offset):
    r"""Exact signed distance of :math:`\{x : x\cdot e < s\}`, :math:`e = n/|n|` with n = ``normal``."""
    e = checks.point("half_space: normal", normal)
    offset = checks.real("half_space: offset", offset)
    norm = np.linalg.norm(e)
    if norm == 0:
        raise ValueError("half_space: normal must be nonzero")
    e = e / norm

    def sdf(x):
        return e @ _coords(x, e.size) - offset

    return Shape(sdf, e.size, f"half space x.{_fmt(e)} < {offset:g}")


def ellipse(centre, semi_axes):
    r"""Exact signed distance of the ellipse (2D) with the given semi-axes.

    The nearest boundary point of p (first quadrant, a >= b) is
    :math:`(a^2 p_x/(t+a^2),\ b^2 p_y/(t+b^2))` with t the root of the
    decreasing function :math:`(a p_x/(t+a^2))^2 + (b p_y/(t+b^2))^2 - 1` on
    :math:`t > -b^2` (Eberly), found by bisection to round-off; on the major
    axis inside the evolute the nearest point is off the axis, in closed form.
    """
    c = checks.point("ellipse: centre", centre, dims=(2,))
    ab = checks.point("ellipse: semi_axes", semi_axes, dims=(2,))
    if np.any(ab <= 0):
        raise ValueError(f"ellipse: semi_axes must be positive, got {semi_axes}")
    if ab[0] == ab[1]:
        return disc(c, ab[0])
    swap = ab[1] > ab[0]
    a, b = (ab[1], ab[0]) if swap else (ab[0], ab[1])

    def sdf(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return _ellipse_sdf(_coords(x, 2) - c[:, None], a, b, swap)

    return Shape(sdf, 2, f"ellipse centre {_fmt(c)}, semi-axes {_fmt(ab)}")


def _ellipse_sdf(p, a, b, swap):
    """Signed distance of the points p (2, N) to the ellipse with semi-axes a >= b."""
    if swap:
        p = p[::-1]
    px, py = np.abs(p[0]), np.abs(p[1])
    lo = np.full_like(px, -b * b)
    hi = np.hypot(a * px, b * py) - b * b
    for _ in range(100):
        t = 0.5 * (lo + hi)
        g = (a * px / (t + a * a)) ** 2 + (b * py / (t + b * b)) ** 2 - 1.0
        lo, hi = np.where(g > 0, t, lo), np.where(g > 0, hi, t)
    t = 0.5 * (lo + hi)
    qx, qy = a * a * px / (t + a * a), b * b * py / np.maximum(t + b * b, 1e-300)
    # On the major axis inside the evolute, the nearest point is off-axis.
    axis = (py <= 1e-14 * b) & (px < (a * a - b * b) / a)
    qx = np.where(axis, a * a * px / (a * a - b * b), qx)
    qy = np.where(axis, b * np.sqrt(np.clip(1 - (qx / a) ** 2, 0, None)), np.minimum(qy, b))
    d = np.hypot(px - qx, py - qy)
    inside = (px / a) ** 2 + (py / b) ** 2 < 1.0
    return np.where(inside, -d, d)


def polygons(curves):
    r"""Signed distance to a union of closed polygons (2D).

    ``curves`` is a list of ``(n_i, 2)`` vertex arrays, each a closed polygon
    (the last vertex joins the first).  The distance is the exact distance to
    the polygon edges; the sign is negative where the even-odd rule puts a
    point inside (matplotlib's point-in-polygon test).  Used for sampled curves (flower, parametric solutions).
    """
    segs = []
    if isinstance(curves, np.ndarray) and curves.ndim == 2:
        raise ValueError("polygons: give a list of curves, e.g. polygons([curve]), not one (n, 2) array")
    for curve in curves:
        p = np.asarray(curve, dtype=float)
        if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 3:
            raise ValueError(f"polygons: each curve must be an (n >= 3, 2) array, got shape {p.shape}")
        if not np.all(np.isfinite(p)):
            raise ValueError("polygons: a curve has non-finite vertices")
        segs.append(np.stack([p, np.roll(p, -1, axis=0)], axis=1))
    if not segs:
        raise ValueError("polygons: give at least one curve")
    segs = np.concatenate(segs)  # (m, 2, 2)
    paths = [Path(np.asarray(curve, dtype=float), closed=False) for curve in curves]

    def sdf(x):
        q = _coords(x, 2).T  # (N, 2)
        d = distance_to_simplices(q, segs)
        inside = np.zeros(len(q), dtype=bool)
        for path in paths:  # even-odd rule over the curves
            inside ^= path.contains_points(q)
        return np.where(inside, -d, d)

    return Shape(sdf, 2, f"{len(paths)} polygon(s)")


def flower(centre, r0, amplitude, k, samples=4096):
    r"""The star/flower :math:`r < r_0 (1 + a\cos k\theta)` (2D).

    No closed form exists: this is the exact signed distance to the boundary
    sampled at ``samples`` points (error O(r0/samples^2) in distance).
    """
    c = checks.point("flower: centre", centre, dims=(2,))
    r0, amplitude = checks.positive("flower: r0", r0), checks.real("flower: amplitude", amplitude)
    k = checks.integer("flower: k", k, minimum=1)
    if not 0 <= amplitude < 1:
        raise ValueError(f"flower: amplitude must be in [0, 1), got {amplitude}")
    theta = np.linspace(0.0, 2 * np.pi, samples, endpoint=False)
    r = r0 * (1 + amplitude * np.cos(k * theta))
    return polygons([c + np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)])


def union(*shapes):
    r"""Union of sets: :math:`\min_i d_i`.

    Exact signed distance outside the union; inside, where sets overlap, it is
    a lower bound of the distance to the boundary (exact for disjoint sets).
    """
    if not shapes:
        raise ValueError("union: need at least one shape")
    for i, s in enumerate(shapes):
        if not callable(s):
            raise ValueError(f"union: shape {i} must be a shape (a callable sdf(x)), got {s!r}")
    dims = {s.dim for s in shapes if isinstance(s, Shape)}
    if len(dims) > 1:
        raise ValueError(f"union: shapes of different dimensions {sorted(dims)}")

    def sdf(x):
        return np.min([s(x) for s in shapes], axis=0)

    if not dims:
        return sdf
    return Shape(sdf, dims.pop(), "union of " + ", ".join(getattr(s, "description", "a shape") for s in shapes))


def dumbbell(left_centre, right_centre, radius, neck_half_width):
    r"""Two discs joined by a straight neck of half-width ``neck_half_width``.

    The union of two discs of ``radius`` and the rectangle between their
    centres (a dumbbell that pinches under curvature flow when the neck is
    thin).  Exact outside; see :func:`union` inside.
    """
    lc = checks.point("dumbbell: left_centre", left_centre, dims=(2,))
    rc = checks.point("dumbbell: right_centre", right_centre, dims=(2,))
    radius = checks.positive("dumbbell: radius", radius)
    neck_half_width = checks.positive("dumbbell: neck_half_width", neck_half_width)
    if not 0 < neck_half_width < radius:
        raise ValueError(f"dumbbell: need 0 < neck_half_width < radius, got {neck_half_width}, {radius}")
    if lc.size != 2 or rc.size != 2 or abs(lc[1] - rc[1]) > 0 or rc[0] <= lc[0]:
        raise ValueError("dumbbell: centres must be 2D, on a horizontal line, left before right")
    neck = rectangle([lc[0], lc[1] - neck_half_width], [rc[0], rc[1] + neck_half_width])
    return union(disc(lc, radius), disc(rc, radius), neck)
