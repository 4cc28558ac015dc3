r"""The parametric (BGN) scheme against exact circles, and against the level-set solver."""

import math

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.fem_mcf import curves_to_level_set, level_set_flow, parametric_flow
from advmcf.meshes.generate import box
from advmcf.meshes.measures import symmetric_difference
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc, ellipse


def one(x):
    return np.ones(x.shape[1])


def circle(R, n, centre=(0.0, 0.0)):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([centre[0] + R * np.cos(t), centre[1] + R * np.sin(t)], axis=1)


def _orders(hs, errors):
    return np.log(np.divide(errors[:-1], errors[1:])) / np.log(np.divide(hs[:-1], hs[1:]))


@pytest.mark.parametrize("density, exact_radius", [
    (one, lambda R0, t: math.sqrt(R0**2 - 2 * t)),
    (lambda x: np.exp(-(x[0] ** 2 + x[1] ** 2) / 0.72),  # sigma^2 = 0.36
     lambda R0, t: math.sqrt(0.36 + (R0**2 - 0.36) * math.exp(2 * t / 0.36))),
], ids=["constant", "gaussian"])
def test_circle_second_order_in_space(density, exact_radius):
    """Path tau = h^2/2, n = 32, 64, 128: the largest radial vertex error converges at order 2
    (margin 0.4: the first pair is pre-asymptotic, 1.66 for the Gaussian)."""
    R0, T, hs, errors = 0.5, 0.05, [], []
    for n in (32, 64, 128):
        h = 2 * np.pi * R0 / n
        ev = parametric_flow([circle(R0, n)], density, tau=0.5 * h**2, T=T)
        hs.append(h)
        errors.append(np.abs(np.linalg.norm(ev.curves[-1][0], axis=1) - exact_radius(R0, T)).max())
    orders = _orders(hs, errors)
    assert orders.min() >= 2 - 0.4 and errors[-1] < 5e-4, f"errors {errors}, observed orders {orders}"


def test_union_of_discs_collapse_times():
    """Two discs under constant density: each collapses at R0^2/2, and the flow goes on past the first."""
    curves = [circle(0.2, 64, (-0.5, 0.0)), circle(0.4, 128, (0.5, 0.0))]
    ev = parametric_flow(curves, one, tau=1e-4, T=0.1, output_times=[0.0, 0.05, 0.1])
    assert ev.collapse_times[0] == pytest.approx(0.02, abs=1e-3)
    assert ev.collapse_times[1] == pytest.approx(0.08, abs=1e-3)
    assert ev.extinction_time == ev.collapse_times[1]
    alive = ev.curves[1]
    assert len(alive) == 1 and ev.curves[-1] == []
    r = np.linalg.norm(alive[0] - [0.5, 0.0], axis=1)
    assert np.abs(r - math.sqrt(0.16 - 2 * 0.05)).max() < 2e-3


@pytest.mark.parallel([1, 2])
def test_level_set_of_curves_and_broadcast():
    """curves_to_level_set of a fine circle is |x| - R to O(h^2); the result is the same on every rank."""
    comm = MPI.COMM_WORLD
    ev = parametric_flow([circle(0.5, 512)], one, tau=1e-4, T=0.01, comm=comm)
    R = math.sqrt(0.25 - 0.02)
    msh = box(comm, [-1, -1], [1, 1], n=32)
    phi = curves_to_level_set(ev.curves[-1], level_set(msh, disc([0, 0], 0.5)).function_space)
    x = phi.function_space.tabulate_dof_coordinates()
    err = comm.allreduce(np.abs(phi.x.array - (np.linalg.norm(x[:, :2], axis=1) - R)).max(), op=MPI.MAX)
    assert err < 2e-4, err
    radii = comm.allgather(float(np.linalg.norm(ev.curves[-1][0], axis=1).mean()))
    assert len(set(radii)) == 1 and radii[0] == pytest.approx(R, abs=1e-4)


@pytest.mark.parallel([1, 2])
def test_parametric_and_level_set_agree_on_a_weighted_ellipse():
    """Ellipse under a Gaussian weight: the symmetric difference of the two schemes' sets at T shrinks with h."""
    comm = MPI.COMM_WORLD
    rho = lambda x: np.exp(-(x[0] ** 2 + x[1] ** 2) / 0.5)  # noqa: E731
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    ref = parametric_flow([np.stack([0.6 * np.cos(t), 0.35 * np.sin(t)], axis=1)], rho, tau=2e-5, T=0.02,
                          comm=comm)
    gaps = []
    for n in (16, 32, 64):
        msh = box(comm, [-1, -1], [1, 1], n=n)
        phi0 = level_set(msh, ellipse([0, 0], [0.6, 0.35]))
        ev = level_set_flow(phi0, rho, tau=0.03 * 2 / n, T=0.02)
        gaps.append(symmetric_difference(ev.sets[-1], curves_to_level_set(ref.curves[-1], phi0.function_space)))
    assert gaps[2] < gaps[1] < gaps[0] and gaps[2] < 0.25 * gaps[0], gaps


def test_bad_arguments():
    with pytest.raises(ValueError, match="tau"):
        parametric_flow([circle(0.5, 16)], one, tau=0.0, T=0.1)
    with pytest.raises(ValueError, match="rho must be finite and positive on the curve vertices"):
        parametric_flow([circle(0.5, 16)], lambda x: -np.ones(x.shape[1]), tau=0.01, T=0.1)
