r"""Weighted thresholding (MBO) against exact solutions of V = -kappa - d_nu log rho, its energy and
its comparison principle (extinction, topology changes, 1 rank = 2 ranks: test_fem_schemes.py).

Paths: tau = 0.08 h with 2 substeps (h/sqrt(tau) -> 0 as h -> 0); radii from exact cut-cell areas.
"""

import math

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.fem_mcf import thresholding_flow
from advmcf.meshes.generate import box
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc, ellipse, half_space, polygons


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("case", ["constant", "gaussian_shrinking", "gaussian_growing"])
def test_discs_converge_at_order_one(case, checks):
    """Constant density: R^2 = R0^2 - 2t; Gaussian (s^2 = 0.36): the closed form, R0 = 0.4
    shrinks, R0 = 0.8 grows.  Path tau = 0.08 h, n = 24, 48, 96: order >= 1 - 0.3."""
    R0, L, rho, exact = checks.disc_case(case)
    hs, errors = [], []
    for n in (24, 48, 96):
        h = 2 * L / n
        msh = box(MPI.COMM_WORLD, [-L, -L], [L, L], n=n)
        ev = thresholding_flow(level_set(msh, disc([0, 0], R0)), rho, tau=0.08 * h, T=0.05)
        hs.append(h)
        errors.append(checks.radius(ev) - exact)
    assert abs(exact - R0) > 0.05
    checks.assert_order(hs, errors, 1.0, 0.3, f"thresholding, {case} disc, tau = 0.08 h")
    assert abs(errors[-1]) < 5e-3


@pytest.mark.parallel([1, 2])
def test_half_plane_translates_under_exponential_density(checks):
    r"""rho = exp(a.x), A = {x_1 < s}: s' = -a.e = -1 (a = (1, 0.5)); tau = 0.02, h = 2/n."""
    s0, T, errors, hs = 0.3, 0.2, [], []
    for n in (32, 64):
        msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=n)
        ev = thresholding_flow(level_set(msh, half_space([1, 0], s0)), lambda x: np.exp(x[0] + 0.5 * x[1]),
                               tau=0.02, T=T)
        errors.append(ev.diagnostics[-1]["area"] / 2 - 1 - (s0 - T))  # area of {x_1 < s} is 2(s + 1)
        hs.append(2 / n)
    checks.assert_order(hs, errors, 1.0, 0.3, "thresholding, half plane, tau = 0.02")
    assert abs(errors[-1]) < 2e-3


@pytest.mark.parallel([1, 2])
def test_sphere_constant_density_3d(checks):
    """R^2 = R0^2 - 4t in 3D; tau = 0.01: the error falls by more than 2 from n = 16 to 32."""
    R0, T = 0.6, 0.04
    exact = math.sqrt(R0**2 - 4 * T)
    errors = []
    for n in (16, 32):
        msh = box(MPI.COMM_WORLD, [-1, -1, -1], [1, 1, 1], n=n)
        ev = thresholding_flow(level_set(msh, disc([0, 0, 0], R0)), checks.one, tau=0.01, T=T)
        errors.append(abs(checks.ball_radius(ev) - exact))
    assert errors[1] < 0.5 * errors[0] and errors[1] < 0.03, errors


@pytest.mark.parallel([1, 2])
def test_energy_decreases_and_tends_to_the_perimeter(checks):
    """E_tau never increases at constant step size (exact for the scheme), and E_tau of a smooth
    set is within 2% of its weighted perimeter when h << sqrt(tau) << 1."""
    msh = box(MPI.COMM_WORLD, [-1.2, -1.2], [1.2, 1.2], n=96)
    ev = thresholding_flow(level_set(msh, ellipse([0.1, 0], [0.7, 0.35])), checks.gaussian(0.36),
                           tau=2e-3, T=0.04)
    energy = np.array([d["energy"] for d in ev.diagnostics])
    assert np.all(np.diff(energy) <= 1e-9 * energy[0]), np.diff(energy)
    assert energy[-1] < 0.97 * energy[0]  # it moved
    assert energy[0] == pytest.approx(ev.diagnostics[0]["perimeter"], rel=0.02)


def _nested_pair(rng, n_modes=5):
    """Two star-shaped sets around the origin with r_in(t) < r_out(t) everywhere."""
    theta = np.linspace(0, 2 * np.pi, 512, endpoint=False)
    k = np.arange(2, 2 + n_modes)

    def wave():
        c, ph = rng.normal(size=k.size), rng.uniform(0, 2 * np.pi, size=k.size)
        return (c[:, None] * np.cos(np.outer(k, theta) + ph[:, None])).sum(axis=0) / np.abs(c).sum()

    base = rng.uniform(0.35, 0.55)
    r_in = base * (1 + 0.15 * wave())
    r_out = r_in + rng.uniform(0.005, 0.08) * (1.2 + wave())  # 0.2 .. 2.2 times the gap
    return [polygons([np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)]) for r in (r_in, r_out)]


def test_comparison_principle_on_a_non_obtuse_mesh():
    """Nested initial sets stay nested (60 random pairs, 3 steps, exact at every vertex): the crossed
    box mesh has only right triangles, so M + sK is an M-matrix and the heat step is monotone."""
    msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=32)
    rng = np.random.default_rng(13)
    violations, moved = 0, 0
    for _ in range(60):
        inner, outer = (level_set(msh, s) for s in _nested_pair(rng))
        ev_in, ev_out = (thresholding_flow(phi, lambda x: np.exp(0.5 * x[0]), tau=0.01, T=0.03,
                                           output_times=[0.0, 0.01, 0.02, 0.03]) for phi in (inner, outer))
        for a, b in zip(ev_in.sets, ev_out.sets, strict=True):
            violations += int(np.count_nonzero((a.x.array < 0) & (b.x.array >= 0)))
        moved += int(np.count_nonzero((ev_in.sets[-1].x.array < 0) != (inner.x.array < 0)))
    assert moved > 1000  # the sets did move
    assert violations == 0
