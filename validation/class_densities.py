r"""Class densities by name, from a suite's TOML tables: :math:`\rho_0` (class 0, outside) and :math:`\rho_1` (class 1, inside).

:func:`make_density` builds a :class:`advmcf.meshes.densities.ClassDensities`
(the two class densities as plain callables ``f(x)``, ``x`` of shape
``(3, num_points)``, their sum, :math:`\nabla\log\rho` and the flow law)
with the gradients in closed form for every kind but ``expression``.

Kinds (the ``kind`` key of a suite's density table):

- ``constant``: :math:`\rho = c` (``value``, default 1).
- ``gaussian``: :math:`\rho = w\,e^{-|x-m|^2/(2\sigma^2)}` (``sigma``,
  ``centre``, ``weight`` = peak value, default 1).
- ``exponential``: :math:`\rho = w\,e^{a\cdot x}` (``a``, ``weight``).
- ``power``: :math:`\rho = w\,|x-m|^\alpha` (``alpha``, ``centre``, ``weight``).
- ``mixture``: :math:`\rho = \sum_i \rho_i` (``components``, a list of the above).
- ``expression``: :math:`\rho` given as text in ``x, y, z, r`` (``expr``),
  parsed by :class:`advmcf.validation.expressions.Expression`; it has no
  closed-form gradient, so :math:`\nabla\log\rho` is taken by central
  differences (:meth:`advmcf.meshes.densities.ClassDensities.grad_log_rho`).
- ``two_gaussians``: two classes,
  :math:`\rho_i = w_i\,(2\pi\sigma_i^2)^{-d/2} e^{-|x-m_i|^2/(2\sigma_i^2)}`
  (``means`` = [m0, m1], ``sigmas`` = [σ0, σ1], ``weights`` = [w0, w1], the
  class priors); the Bayes classifier :math:`\{\rho_1 > \rho_0\}` is the
  natural start set (``initial = { shape = "bayes" }``,
  :meth:`advmcf.validation.cases.Case.initial_level_set`).

Unless a case gives ``rho0`` and ``rho1`` separately (or uses
``two_gaussians``), :math:`\rho_0 = \rho_1 = \rho/2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from advmcf.meshes.densities import ClassDensities
from advmcf.validation.expressions import Expression

__all__ = ["make_density", "make_component", "DENSITY_KINDS"]


@dataclass(frozen=True)
class _Component:
    """One term :math:`f(x)` with its gradient; ``x`` (3, n) -> (n,), grad -> (gdim, n) or None."""

    value: Callable
    grad: Callable | None
    label: str


def _vec(v, gdim, key):
    a = np.asarray(v, dtype=float).reshape(-1)
    if a.size != gdim:
        raise ValueError(f"{key}: expected {gdim} coordinates, got {list(a)}")
    return a


def _positive(v, key):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
        raise ValueError(f"{key} = {v!r}: must be a positive number")
    return float(v)


def _number(v, key):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"{key} = {v!r}: must be a number")
    return float(v)


def _constant(spec, gdim):
    c = _positive(spec.get("value", 1.0), "value")
    return _Component(lambda x: np.full(np.shape(x)[1], c),
                      lambda x: np.zeros((gdim, np.shape(x)[1])), f"const({c:g})")


def _gaussian(spec, gdim):
    s = _positive(spec["sigma"], "sigma")
    m = _vec(spec.get("centre", [0.0] * gdim), gdim, "centre")
    w = _positive(spec.get("weight", 1.0), "weight")

    def value(x):
        dx = x[:gdim] - m[:, None]
        return w * np.exp(-np.einsum("ij,ij->j", dx, dx) / (2 * s * s))

    return _Component(value, lambda x: -value(x) * (x[:gdim] - m[:, None]) / (s * s),
                      f"gauss(σ={s:g})")


def _exponential(spec, gdim):
    a = _vec(spec["a"], gdim, "a")
    w = _positive(spec.get("weight", 1.0), "weight")

    def value(x):
        return w * np.exp(a @ x[:gdim])

    return _Component(value, lambda x: a[:, None] * value(x), "exp(a·x), a=(" + ", ".join(f"{v:g}" for v in a) + ")")


def _power(spec, gdim):
    alpha = _number(spec["alpha"], "alpha")
    m = _vec(spec.get("centre", [0.0] * gdim), gdim, "centre")
    w = _positive(spec.get("weight", 1.0), "weight")

    def value(x):
        return w * np.linalg.norm(x[:gdim] - m[:, None], axis=0) ** alpha

    def grad(x):
        dx = x[:gdim] - m[:, None]
        r2 = np.einsum("ij,ij->j", dx, dx)
        with np.errstate(divide="ignore", invalid="ignore"):
            return alpha * value(x) * dx / r2

    return _Component(value, grad, f"|x|^{alpha:g}")


def _expression(spec, gdim):
    text = spec["expr"]
    expr = Expression(text, ("x", "y", "z", "r"))

    def value(x):
        x = np.asarray(x, dtype=float)
        v = expr(x=x[0], y=x[1], z=x[2], r=np.linalg.norm(x[:gdim], axis=0))
        return np.broadcast_to(np.asarray(v, dtype=float), (x.shape[1],)).copy()

    return _Component(value, None, text)


def _mixture(spec, gdim):
    parts = spec["components"]
    if not isinstance(parts, list) or not parts:
        raise ValueError("components: must be a non-empty list of density tables")
    comps = [make_component(p, gdim) for p in parts]
    grad = None if any(c.grad is None for c in comps) else (lambda x: sum(c.grad(x) for c in comps))
    return _Component(lambda x: sum(c.value(x) for c in comps), grad, " + ".join(c.label for c in comps))


_KINDS = {"constant": (_constant, set(), {"value"}),
          "gaussian": (_gaussian, {"sigma"}, {"centre", "weight"}),
          "exponential": (_exponential, {"a"}, {"weight"}),
          "power": (_power, {"alpha"}, {"centre", "weight"}),
          "expression": (_expression, {"expr"}, set()),
          "mixture": (_mixture, {"components"}, set())}

#: Every density kind a suite may name.
DENSITY_KINDS = tuple(_KINDS) + ("two_gaussians",)


def _check_keys(spec, required, optional):
    if not isinstance(spec, dict):
        raise ValueError(f"must be a table with a 'kind', got {spec!r}")
    kind = spec.get("kind")
    if kind not in DENSITY_KINDS:
        raise ValueError(f"kind = {kind!r}: unknown density (known: {', '.join(DENSITY_KINDS)})")
    unknown = set(spec) - required - optional - {"kind"}
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r} for density kind {kind!r} "
                         f"(allowed: {', '.join(sorted(required | optional))})")
    missing = required - set(spec)
    if missing:
        raise ValueError(f"density kind {kind!r} needs key {sorted(missing)[0]!r}")


def make_component(spec: dict, gdim: int) -> _Component:
    """One density term from its table (any kind except ``two_gaussians``)."""
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind == "two_gaussians":
        raise ValueError("kind = 'two_gaussians' defines both classes: use it as the case's density")
    _check_keys(spec, *_KINDS.get(kind, (None, set(), set()))[1:])
    return _KINDS[kind][0](spec, gdim)


def _two_gaussians(spec, gdim):
    def pair(key, fn):
        v = spec[key]
        if not isinstance(v, list) or len(v) != 2:
            raise ValueError(f"{key} = {v!r}: must be a list of two entries [class 0, class 1]")
        return [fn(v[i], f"{key}[{i}]") for i in range(2)]

    means = pair("means", lambda v, k: _vec(v, gdim, k))
    sigmas = pair("sigmas", _positive)
    weights = pair("weights", _positive) if "weights" in spec else [0.5, 0.5]
    comps = []
    for m, s, w in zip(means, sigmas, weights):
        peak = w * (2 * np.pi * s * s) ** (-gdim / 2)
        comps.append(_gaussian({"sigma": s, "centre": list(m), "weight": peak}, gdim))
    label = f"two gaussians (σ0={sigmas[0]:g}, σ1={sigmas[1]:g}, w={weights[0]:g}/{weights[1]:g})"
    centre = tuple(means[0]) if np.array_equal(means[0], means[1]) else None
    return comps, label, centre


def make_density(gdim: int, density: dict | None = None, rho0: dict | None = None,
                 rho1: dict | None = None) -> ClassDensities:
    r"""Build the class densities of a case.

    Give either ``density`` (the marginal ρ, split as ρ0 = ρ1 = ρ/2; or a
    ``two_gaussians`` table, which defines both classes) or both ``rho0`` and
    ``rho1``.  Raises ValueError (one line, naming the key) on a bad table.
    """
    if isinstance(gdim, bool) or not isinstance(gdim, int) or gdim not in (2, 3):
        raise ValueError(f"dim = {gdim!r}: must be 2 or 3")
    if density is not None and (rho0 is not None or rho1 is not None):
        raise ValueError("density: give either 'density' or both 'rho0' and 'rho1', not both")
    if density is None:
        if rho0 is None or rho1 is None:
            raise ValueError("density: give 'density' or both 'rho0' and 'rho1'")
        c0, c1 = make_component(rho0, gdim), make_component(rho1, gdim)
        return ClassDensities(c0.value, c1.value, gdim, c0.grad, c1.grad, f"ρ0={c0.label}, ρ1={c1.label}",
                              bayes=True)
    if isinstance(density, dict) and density.get("kind") == "two_gaussians":
        _check_keys(density, {"means", "sigmas"}, {"weights"})
        (c0, c1), label, centre = _two_gaussians(density, gdim)
        return ClassDensities(c0.value, c1.value, gdim, c0.grad, c1.grad, label, bayes=True, centre=centre)
    c = make_component(density, gdim)

    def half(x):
        return 0.5 * c.value(x)

    def half_grad(x):
        return 0.5 * c.grad(x)

    grad = None if c.grad is None else half_grad
    return ClassDensities(half, half, gdim, grad, grad, c.label)
