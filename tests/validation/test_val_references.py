"""Expressions, densities, exact references and observed orders (serial, no mesh)."""

import math

import numpy as np
import pytest

from advmcf.validation.class_densities import make_density
from advmcf.validation.expressions import Expression
from advmcf.validation.orders import least_squares_order, pairwise_orders
from advmcf.validation.references import (ball_perimeter_eps, disc_recursion, disc_step_energy,
                                   gaussian_radius, power_radius, radial_ode, sphere_radius)


def test_expression_evaluates_numpy():
    f = Expression("exp(-(x**2 + y**2)/2) + 0.1*abs(z) - pi", ("x", "y", "z"))
    x = np.array([0.0, 1.0, 2.0])
    assert np.allclose(f(x=x, y=2 * x, z=-x), np.exp(-5 * x**2 / 2) + 0.1 * x - np.pi)


@pytest.mark.parametrize("text, match", [
    ("__import__('os')", "function '__import__' is not allowed"),
    ("__import__('os').system('true')", "is not allowed"),
    ("x.real", "Attribute"),
    ("x[0]", "Subscript"),
    ("q + 1", "unknown name 'q'"),
    ("exp(x, out=x)", "keyword arguments"),
    ("'a' * 3", "only numbers"),
    ("lambda: 1", "Lambda"),
    ("1 +", "does not parse"),
    ("x if x else y", "IfExp"),
])
def test_expression_rejects(text, match):
    with pytest.raises(ValueError, match=match):
        Expression(text, ("x", "y", "z"))


def _grad_fd(f, x, h=1e-6):
    g = []
    for i in range(2):
        e = np.zeros((3, 1))
        e[i] = h
        g.append((np.log(f(x + e)) - np.log(f(x - e))) / (2 * h))
    return np.array(g)


@pytest.mark.parametrize("spec", [
    {"kind": "gaussian", "sigma": 0.4, "centre": [0.1, -0.2]},
    {"kind": "exponential", "a": [1.5, -0.5]},
    {"kind": "power", "alpha": 1.5, "centre": [2.0, 2.0]},
    {"kind": "mixture", "components": [{"kind": "gaussian", "sigma": 0.3},
                                       {"kind": "constant", "value": 0.2}]},
    {"kind": "expression", "expr": "1 + x**2 + sin(y)"},
    {"kind": "two_gaussians", "means": [[0, 0], [0.3, 0]], "sigmas": [0.5, 0.3], "weights": [0.6, 0.4]},
])
def test_grad_log_rho_matches_finite_differences(spec):
    dens = make_density(2, density=spec)
    x = np.random.default_rng(1).uniform(-1, 1, size=(3, 20))
    x[2] = 0
    assert np.allclose(dens.grad_log_rho(x), _grad_fd(dens.rho, x), rtol=1e-6, atol=1e-6)
    if spec["kind"] != "two_gaussians":
        assert np.allclose(dens.rho0(x), dens.rho1(x)) and not dens.bayes


def test_two_gaussians_are_normalized_class_densities():
    dens = make_density(2, density={"kind": "two_gaussians", "means": [[0, 0], [0, 0]],
                                    "sigmas": [0.5, 0.2], "weights": [0.7, 0.3]})
    g = np.linspace(-4, 4, 801)
    X, Y = np.meshgrid(g, g)
    x = np.stack([X.ravel(), Y.ravel(), 0 * X.ravel()])
    dA = (g[1] - g[0]) ** 2
    assert dens.rho0(x).sum() * dA == pytest.approx(0.7, rel=1e-6)
    assert dens.rho1(x).sum() * dA == pytest.approx(0.3, rel=1e-6)
    assert dens.is_radial_about([0, 0], 1.0) and dens.bayes
    # Bayes radius: log(w1/s1^2) - log(w0/s0^2) = R^2/2 (1/s1^2 - 1/s0^2)
    R = math.sqrt(2 * (math.log(0.3 / 0.04) - math.log(0.7 / 0.25)) / (1 / 0.04 - 1 / 0.25))
    assert abs(dens.log_ratio(np.array([[R], [0.0], [0.0]]))[0]) < 1e-12


@pytest.mark.parametrize("spec, match", [
    ({"kind": "gaussian"}, "needs key 'sigma'"),
    ({"kind": "gaussian", "sigma": -1}, r"sigma = -1: must be a positive number"),
    ({"kind": "gaussian", "sigma": 1, "mean": [0, 0]}, "unknown key 'mean'"),
    ({"kind": "blob"}, "kind = 'blob': unknown density"),
    ({"kind": "exponential", "a": [1, 2, 3]}, "a: expected 2 coordinates"),
    ({"kind": "expression", "expr": "open('f')"}, "function 'open' is not allowed"),
])
def test_density_rejects(spec, match):
    with pytest.raises(ValueError, match=match):
        make_density(2, density=spec)


def test_gaussian_is_not_radial_off_centre():
    dens = make_density(2, density={"kind": "gaussian", "sigma": 0.5, "centre": [0.1, 0]})
    assert not dens.is_radial_about([0, 0], 1.0)


@pytest.mark.parametrize("d", [2, 3])
def test_radial_ode_matches_closed_forms(d):
    t = np.linspace(0, 0.05, 11)
    const = radial_ode(0.5, 0.05, d, lambda r: 0.0)
    assert np.max(np.abs(const.radius(t) - sphere_radius(0.5, t, d))) < 1e-9
    s = 0.4
    gauss = radial_ode(0.5, 0.05, d, lambda r: -r / s**2)
    assert np.max(np.abs(gauss.radius(t) - gaussian_radius(0.5, t, d, s))) < 1e-9
    alpha = 2.0
    T_ext = 0.25 / (2 * (d - 1 + alpha))
    power = radial_ode(0.5, 2 * T_ext, d, lambda r: alpha / r)
    assert power.extinction_time == pytest.approx(T_ext, rel=1e-9)
    tt = np.linspace(0, 0.99 * T_ext, 7)
    assert np.max(np.abs(power.radius(tt) - power_radius(0.5, tt, d, alpha))) < 1e-8
    assert power.radius(1.5 * T_ext) == 0.0


def test_gaussian_equilibrium_is_unstable():
    s = 0.3
    assert gaussian_radius(s, 1.0, 2, s) == pytest.approx(s)
    assert gaussian_radius(1.01 * s, 0.1, 2, s) > 1.01 * s
    assert gaussian_radius(0.99 * s, 0.1, 2, s) < 0.99 * s


def test_ball_perimeter_eps_2d_formula():
    R, eps = 0.5, 0.1
    assert ball_perimeter_eps(R, eps, 0.3, 0.7) == pytest.approx(2 * np.pi * R + np.pi * eps * (0.3 - 0.7))


def test_disc_recursion_brute_force():
    """Each step is the global minimizer of E(s) over a fine grid of radii."""
    r0, eps, tau = 0.3, 0.02, 0.004
    radii = disc_recursion(r0, eps, tau, 12, 0.3, 0.7)
    for r, rn in zip(radii[:-1], radii[1:]):
        if r == 0:
            assert rn == 0
            continue
        e = np.array([disc_step_energy(v, r, eps, tau, 0.3, 0.7) for v in np.linspace(0, r, 4001)])
        assert disc_step_energy(rn, r, eps, tau, 0.3, 0.7) <= e.min() + 1e-9
        if rn > eps:
            assert rn == pytest.approx((r + math.sqrt(r * r - 4 * tau)) / 2, rel=1e-12)
    assert radii[-1] == 0.0 and radii[1] > 0


@pytest.mark.parametrize("p", [1.0, 2.0, 0.5])
def test_orders_on_synthetic_data(p):
    h = 0.1 / 2.0 ** np.arange(5)
    e = 3.0 * h**p * (1 + 0.01 * np.cos(np.arange(5)))
    ls = least_squares_order(h, e)
    pw = pairwise_orders(h, e)
    assert abs(ls - p) < 0.02, f"least-squares order {ls}, expected {p}"
    assert np.all(np.abs(pw - p) < 0.05), f"pairwise orders {pw}, expected {p}"
    assert least_squares_order(h, 2.0 * h**p) == pytest.approx(p, abs=1e-12)


def test_orders_undefined_entries():
    pw = pairwise_orders([0.1, 0.05, 0.025], [1e-2, 0.0, 1e-3])
    assert np.all(np.isnan(pw))
    assert np.isnan(least_squares_order([0.1], [0.1]))
    with pytest.raises(ValueError, match="must be positive"):
        pairwise_orders([0.1, 0.0], [1, 2])


def test_boundaries_curvature_normal_offset():
    from advmcf.validation.boundaries import Sphere, ellipse_curve, flower_curve

    a, b = 0.5, 0.3
    ell = ellipse_curve([0.1, 0.0], [a, b])
    x, nu, kappa, off = ell.project(np.array([[0.1 + a + 0.01, 0.0], [0.1, b - 0.02]]))
    assert np.allclose(x, [[0.1 + a, 0.0], [0.1, b]], atol=1e-12)
    assert np.allclose(nu, [[1, 0], [0, 1]], atol=1e-12)
    assert np.allclose(kappa, [a / b**2, b / a**2], rtol=1e-12)
    assert np.allclose(off, [0.01, -0.02], atol=1e-12)
    # points displaced along the normal come back to their foot, with their offset
    t = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    fl = flower_curve([0.0, 0.0], 0.4, 0.1, 4)
    foot = fl.gamma(t)
    x0, nu0, _, _ = fl.project(foot)
    y = foot + 0.003 * nu0
    x1, _, k1, off1 = fl.project(y)
    assert np.allclose(x1, foot, atol=1e-10) and np.allclose(off1, 0.003, atol=1e-10)
    # a flower without petals is the circle: kappa = 1/r0
    circ = flower_curve([0.0, 0.0], 0.4, 0.0, 4)
    assert np.allclose(circ.project(circ.sample(16) * 1.1)[2], 1 / 0.4)
    # curvature of the flower against the polar formula (r^2 + 2r'^2 - r r'')/(r^2 + r'^2)^(3/2)
    r = 0.4 * (1 + 0.1 * np.cos(4 * t))
    r1, r2 = -0.16 * np.sin(4 * t), -0.64 * np.cos(4 * t)
    assert np.allclose(fl.project(fl.gamma(t))[2], (r * r + 2 * r1 * r1 - r * r2) / (r * r + r1 * r1) ** 1.5)
    sph = Sphere([0, 0, 0], 0.5)
    _, _, k, o = sph.project(np.array([[0.0, 0.0, 0.6]]))
    assert k[0] == pytest.approx(4.0) and o[0] == pytest.approx(0.1)
