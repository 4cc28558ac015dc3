"""Helpers shared by the fem_mcf tests (the ``checks`` fixture): densities, radii from exact
areas, observed orders asserted with a margin, 1-rank/2-rank comparison."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from mpi4py import MPI
from scipy.spatial import cKDTree


def one(x):
    return np.ones(x.shape[1])


def gaussian(sigma2):
    return lambda x: np.exp(-(x[0] ** 2 + x[1] ** 2) / (2 * sigma2))


def gaussian_radius(R0, t, sigma2, d=2):
    """R^2 = (d-1) s^2 + (R0^2 - (d-1) s^2) e^{2t/s^2} for rho = exp(-|x|^2/(2 s^2))."""
    return math.sqrt((d - 1) * sigma2 + (R0**2 - (d - 1) * sigma2) * math.exp(2 * t / sigma2))


def disc_case(case, T=0.05):
    """(R0, half box width L, rho, exact R(T)) of the discs the order tests use: ``constant``
    (R^2 = R0^2 - 2t), ``gaussian_shrinking`` (R0 = 0.4) and ``gaussian_growing`` (R0 = 0.8) in the
    Gaussian density s^2 = 0.36 (closed form)."""
    if case == "constant":
        return 0.5, 1.0, one, math.sqrt(0.25 - 2 * T)
    R0, L = (0.4, 1.2) if case == "gaussian_shrinking" else (0.8, 1.6)
    return R0, L, gaussian(0.36), gaussian_radius(R0, T, 0.36)


def observed_orders(hs, errors):
    hs, errors = np.asarray(hs), np.abs(np.asarray(errors))
    return np.log(errors[:-1] / errors[1:]) / np.log(hs[:-1] / hs[1:])


def radius(evolution, k=-1):
    """R = sqrt(area/pi) from the exact cut-cell area of the set (global)."""
    return math.sqrt(evolution.diagnostics[k]["area"] / math.pi)


def ball_radius(evolution, k=-1):
    return (3 * evolution.diagnostics[k]["area"] / (4 * math.pi)) ** (1 / 3)


def assert_order(hs, errors, order, margin, path):
    """Every pairwise observed order is >= order - margin (printed with the path on failure)."""
    orders = observed_orders(hs, errors)
    msg = f"{path}: errors {np.asarray(errors)}, observed orders {orders} (need >= {order} - {margin})"
    print(msg)
    assert orders.min() >= order - margin, msg


def assert_same_sets(world, single, tol):
    """The evolutions on COMM_WORLD and COMM_SELF agree: diagnostics and vertex values to ``tol``."""
    assert world.steps == single.steps and world.times == single.times
    for dw, ds in zip(world.diagnostics, single.diagnostics, strict=True):
        assert dw["area"] == pytest.approx(ds["area"], rel=tol, abs=0)
        assert dw["perimeter"] == pytest.approx(ds["perimeter"], rel=tol, abs=0)
    phi_w, phi_s = world.sets[-1], single.sets[-1]
    xw = phi_w.function_space.tabulate_dof_coordinates()
    xs = phi_s.function_space.tabulate_dof_coordinates()
    dist, idx = cKDTree(xs).query(xw)
    assert dist.max() < 1e-12
    diff = np.abs(phi_w.x.array - phi_s.x.array[idx]).max()
    assert MPI.COMM_WORLD.allreduce(diff, op=MPI.MAX) < tol


@pytest.fixture
def checks():
    """The helpers of this module as one namespace."""
    return SimpleNamespace(one=one, gaussian=gaussian, gaussian_radius=gaussian_radius, disc_case=disc_case,
                           observed_orders=observed_orders, radius=radius, ball_radius=ball_radius,
                           assert_order=assert_order, assert_same_sets=assert_same_sets)
