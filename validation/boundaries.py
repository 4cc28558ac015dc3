r"""Smooth initial boundaries known exactly: nearest points, normals, curvatures.

The one-step consistency error compares the normal displacement of one step
with the limit velocity :math:`V = -\kappa - \partial_\nu\log\rho` evaluated
*analytically* on the exact initial boundary.  For that each smooth initial
shape gives, for points y near it, the nearest boundary point x, the outward
unit normal ν(x), the curvature κ(x) (sum of principal curvatures) and the
signed normal offset :math:`(y - x)\cdot\nu` (positive outside).

- :class:`Sphere`: a circle (2D) or sphere (3D), closed form.
- :class:`Curve`: a closed counter-clockwise curve γ(t), t ∈ [0, 2π), with
  γ', γ'' in closed form (ellipse, flower); the nearest point is found by
  dense sampling and Newton's method on :math:`(\gamma(t) - y)\cdot\gamma'(t) = 0`
  (hand-written: scipy has no point-to-parametric-curve projection), with
  :math:`\nu = (\gamma_2', -\gamma_1')/|\gamma'|` and
  :math:`\kappa = (\gamma_1'\gamma_2'' - \gamma_2'\gamma_1'')/|\gamma'|^3`.

Point arrays are ``(n, gdim)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Sphere", "Curve", "ellipse_curve", "flower_curve", "smooth_boundary"]


class Sphere:
    """The sphere :math:`|x - c| = R` in ``len(centre)`` dimensions."""

    def __init__(self, centre, radius):
        self.centre = np.asarray(centre, dtype=float)
        self.radius = float(radius)

    def project(self, y):
        """Nearest points ``(n, d)``, normals ``(n, d)``, curvatures ``(n,)``, offsets ``(n,)``."""
        dy = np.asarray(y, dtype=float) - self.centre
        r = np.linalg.norm(dy, axis=1)
        nu = dy / r[:, None]
        d = self.centre.size
        return self.centre + self.radius * nu, nu, np.full(len(r), (d - 1) / self.radius), r - self.radius

    def sample(self, num):
        """``num`` points on the circle (2D only), counter-clockwise, ``(num, 2)``."""
        t = np.linspace(0, 2 * np.pi, num, endpoint=False)
        return self.centre + self.radius * np.stack([np.cos(t), np.sin(t)], axis=1)


class Curve:
    """A closed counter-clockwise plane curve given by γ, γ', γ'' on [0, 2π)."""

    def __init__(self, gamma, d1, d2, samples=4096):
        self.gamma, self.d1, self.d2 = gamma, d1, d2
        self._t = np.linspace(0, 2 * np.pi, samples, endpoint=False)
        self._pts = gamma(self._t)

    def sample(self, num):
        """``num`` points on the curve, counter-clockwise, ``(num, 2)``."""
        return self.gamma(np.linspace(0, 2 * np.pi, num, endpoint=False))

    def project(self, y):
        """Nearest points ``(n, 2)``, normals ``(n, 2)``, curvatures ``(n,)``, offsets ``(n,)``."""
        from scipy.spatial import cKDTree

        y = np.asarray(y, dtype=float)
        t = self._t[cKDTree(self._pts).query(y)[1]]
        for _ in range(30):
            g, g1, g2 = self.gamma(t), self.d1(t), self.d2(t)
            f = np.einsum("ij,ij->i", g - y, g1)
            df = np.einsum("ij,ij->i", g1, g1) + np.einsum("ij,ij->i", g - y, g2)
            step = f / df
            t = t - step
            if np.max(np.abs(step)) < 1e-14:
                break
        x, g1, g2 = self.gamma(t), self.d1(t), self.d2(t)
        speed = np.linalg.norm(g1, axis=1)
        nu = np.stack([g1[:, 1], -g1[:, 0]], axis=1) / speed[:, None]
        kappa = (g1[:, 0] * g2[:, 1] - g1[:, 1] * g2[:, 0]) / speed**3
        return x, nu, kappa, np.einsum("ij,ij->i", y - x, nu)


def ellipse_curve(centre, semi_axes):
    """The ellipse c + (a cos t, b sin t)."""
    c = np.asarray(centre, dtype=float)
    a, b = (float(v) for v in semi_axes)
    return Curve(lambda t: c + np.stack([a * np.cos(t), b * np.sin(t)], axis=1),
                 lambda t: np.stack([-a * np.sin(t), b * np.cos(t)], axis=1),
                 lambda t: np.stack([-a * np.cos(t), -b * np.sin(t)], axis=1))


def flower_curve(centre, r0, amplitude, k):
    r"""The flower :math:`r(\theta) = r_0(1 + a\cos k\theta)` around ``centre``."""
    c = np.asarray(centre, dtype=float)

    def radial(t):
        return (r0 * (1 + amplitude * np.cos(k * t)), -r0 * amplitude * k * np.sin(k * t),
                -r0 * amplitude * k * k * np.cos(k * t))

    def gamma(t):
        r, _, _ = radial(t)
        return c + np.stack([r * np.cos(t), r * np.sin(t)], axis=1)

    def d1(t):
        r, r1, _ = radial(t)
        return np.stack([r1 * np.cos(t) - r * np.sin(t), r1 * np.sin(t) + r * np.cos(t)], axis=1)

    def d2(t):
        r, r1, r2 = radial(t)
        return np.stack([r2 * np.cos(t) - 2 * r1 * np.sin(t) - r * np.cos(t),
                         r2 * np.sin(t) + 2 * r1 * np.cos(t) - r * np.sin(t)], axis=1)

    return Curve(gamma, d1, d2)


def smooth_boundary(initial: dict):
    """The exact boundary of an initial-shape table, or ``None`` if it is not smooth/known."""
    shape = initial.get("shape")
    if shape in ("disc", "ball"):
        return Sphere(initial["centre"], initial["radius"])
    if shape == "ellipse":
        return ellipse_curve(initial["centre"], initial["semi_axes"])
    if shape == "flower":
        return flower_curve(initial["centre"], initial["r0"], initial["amplitude"], initial["k"])
    return None
