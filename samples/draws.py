r"""Labelled points drawn at random, with a seed: two Gaussian classes, or any class densities.

- :func:`gaussian_classes`: n points of each class, class 0 from
  :math:`N(-\mu, \sigma^2 I)` and class 1 from :math:`N(\mu, \sigma^2 I)` in any
  dimension; :func:`gaussian_risk` is their optimal adversarial risk under an
  ℓ2 budget with equal priors, :math:`R^*(\varepsilon) = \Phi((\varepsilon -
  |\mu|)/\sigma)` for :math:`\varepsilon \le |\mu|` (Bhagoji, Cullina and
  Mittal 2019; the optimal classifier is the half-space :math:`\{x \cdot \mu
  > 0\}`), and 1/2 beyond (a constant classifier; Φ exceeds 1/2 there).
- :func:`draw`: n points drawn independently from the joint law of the class
  densities ρ0, ρ1 (the callables of :mod:`advmcf.meshes`: ``x`` of shape
  ``(3, num)``) on a box: x from :math:`\rho/M`, :math:`\rho = \rho_0 +
  \rho_1`, :math:`M = \int_{box} \rho`, by rejection from the uniform law
  with the envelope 1.05 max ρ over a grid; then label 1 with probability
  :math:`\rho_1(x)/\rho(x)`.  Every point weighs M/n, so the empirical class
  measures estimate :math:`\rho_0\,dx` and :math:`\rho_1\,dx` (mass included;
  M by the midpoint rule on the grid).  A proposal above the envelope (a peak
  narrower than the grid) is an error, not a silently biased sample.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from .points import LabelledPoints, labelled_points

__all__ = ["gaussian_classes", "gaussian_risk", "draw"]

_GRID = {2: 512, 3: 96}  # envelope and mass grid points per axis
_BLOCK = 1 << 16  # proposals drawn at once


def gaussian_classes(n: int, mean, sigma: float = 1.0, *, seed: int) -> LabelledPoints:
    r"""``n`` points of each class: class 0 from :math:`N(-\mu, \sigma^2 I)`, class 1 from
    :math:`N(\mu, \sigma^2 I)`, ``mean`` = μ of shape ``(d,)``; unit weights; class 0 first."""
    mean = np.asarray(mean, dtype=float).reshape(-1)
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(size=(n, mean.size)) * sigma - mean, rng.normal(size=(n, mean.size)) * sigma + mean]
    return labelled_points(x, np.r_[np.zeros(n, np.int8), np.ones(n, np.int8)],
                           source=f"gaussians(d={mean.size}, |mu|={np.linalg.norm(mean):g}, sigma={sigma:g}, "
                                  f"n={n}+{n}, seed={seed})")


def gaussian_risk(eps, mean_norm: float, sigma: float = 1.0) -> np.ndarray:
    r""":math:`R^*(\varepsilon)` of :func:`gaussian_classes` under an ℓ2 budget (module docstring), any dimension."""
    eps = np.asarray(eps, dtype=float)
    return np.where(eps <= mean_norm, ndtr((eps - mean_norm) / sigma), 0.5)


def _points3(x):
    """``(3, num)`` DOLFINx-style coordinates of ``(num, d)`` points."""
    return np.vstack([x.T, np.zeros((3 - x.shape[1], x.shape[0]))])


def draw(rho0, rho1, n: int, lower, upper, *, seed: int) -> LabelledPoints:
    """``n`` labelled points from the class densities ``rho0``, ``rho1`` on the box [lower, upper]
    (module docstring); 2D or 3D.  ValueError if a density is negative or the envelope is exceeded."""
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    d = lower.size
    if d not in _GRID or upper.shape != lower.shape or np.any(upper <= lower):
        raise ValueError(f"draw: the box must be 2D or 3D with lower < upper, got {list(lower)}, {list(upper)}")
    g = _GRID[d]
    axes = [lower[a] + (np.arange(g) + 0.5) * (upper[a] - lower[a]) / g for a in range(d)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    values = np.asarray(rho0(_points3(grid)), float) + np.asarray(rho1(_points3(grid)), float)
    if not np.all(np.isfinite(values)) or values.min() < 0:
        raise ValueError("draw: the densities must be finite and nonnegative on the box")
    volume = float(np.prod(upper - lower))
    mass = float(values.mean()) * volume
    envelope = 1.05 * float(values.max())
    rng = np.random.default_rng(seed)
    xs, labels = [], []
    while sum(a.shape[0] for a in xs) < n:
        x = lower + rng.random((_BLOCK, d)) * (upper - lower)
        p3 = _points3(x)
        r0, r1 = np.asarray(rho0(p3), float), np.asarray(rho1(p3), float)
        if np.any(r0 + r1 > envelope):
            i = int(np.argmax(r0 + r1))
            raise ValueError(f"draw: rho0 + rho1 = {r0[i] + r1[i]:g} at x = {x[i].tolist()} exceeds the envelope "
                             f"{envelope:g} from a {g}^{d} grid: a peak narrower than the grid; draw on a smaller box")
        keep = rng.random(_BLOCK) * envelope < r0 + r1
        xs.append(x[keep])
        labels.append((rng.random(int(keep.sum())) * (r0 + r1)[keep] < r1[keep]).astype(np.int8))
    x, label = np.concatenate(xs)[:n], np.concatenate(labels)[:n]
    return labelled_points(x, label, np.full(n, mass / n), source=f"draw(n={n}, seed={seed})")
