"""One contract for every scheme's Evolution: a t = 0 entry, steps = steps taken, the tau taken per step,
one extinction rule, the same default output times, the boundary margin (advmcf.meshes.evolution)."""

import math

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.fem_mcf import allen_cahn_flow, level_set_flow, parametric_mesh_flow, thresholding_flow
from advmcf.meshes import DomainBoundary, box, disc, gmsh_mesh, level_set, mesh_stats, p1_space
from advmcf.meshes.evolution import time_steps
from advmcf.nonlocal_ import adversarial_flow


def _one(x):
    return np.ones(x.shape[1])


def _half(x):
    return np.full(x.shape[1], 0.5)


def _flows(V, phi0, R0, eps):
    circle = [np.c_[R0 * np.cos(t), R0 * np.sin(t)] for t in [np.linspace(0, 2 * np.pi, 120, endpoint=False)]]
    return {
        "level_set": lambda tau, T, **kw: level_set_flow(phi0, _one, tau, T, **kw),
        "thresholding": lambda tau, T, **kw: thresholding_flow(phi0, _one, tau, T, **kw),
        "allen_cahn": lambda tau, T, **kw: allen_cahn_flow(phi0, _one, tau, T, **kw),
        "parametric": lambda tau, T, **kw: parametric_mesh_flow(V, circle, _one, tau, T, **kw),
        "nonlocal": lambda tau, T, **kw: adversarial_flow(phi0, _half, _half, eps, T, tau=tau, **kw),
    }


@pytest.fixture(scope="module")
def disc_05():
    """R0 = 0.5 in [-1, 1]^2, h = 0.025 (eps = 0.1 for the nonlocal scheme)."""
    msh = box(MPI.COMM_WORLD, [-1.0, -1.0], [1.0, 1.0], h=0.025)
    return p1_space(msh), level_set(msh, disc([0.0, 0.0], 0.5))


@pytest.fixture(scope="module")
def disc_03():
    """R0 = 0.3 in [-0.5, 0.5]^2, h = 0.0125 (eps = 0.05 for the nonlocal scheme)."""
    msh = box(MPI.COMM_WORLD, [-0.5, -0.5], [0.5, 0.5], h=0.0125)
    return p1_space(msh), level_set(msh, disc([0.0, 0.0], 0.3))


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("name", ["level_set", "thresholding", "allen_cahn", "parametric", "nonlocal"])
def test_every_scheme_keeps_the_contract(disc_05, name):
    """tau = 0.012 does not divide T = 0.03: 3 equal steps of 0.01, recorded as taken; a t = 0 entry; the
    default output times [0, T]; areas and boundary margins in every entry; steps = steps taken."""
    V, phi0 = disc_05
    ev = _flows(V, phi0, 0.5, 0.1)[name](0.012, 0.03)
    assert ev.times == [0.0, 0.03] and len(ev.sets) == 2
    assert ev.steps == 3 == len(ev.diagnostics) - 1 and ev.extinction_time is None
    assert ev.diagnostics[0]["t"] == 0.0 and ev.diagnostics[0]["tau"] == 0.0
    assert ev.taus == pytest.approx([0.01] * 3, rel=1e-12) and ev.diagnostics[-1]["t"] == 0.03
    area0 = math.pi * 0.5**2
    for d in ev.diagnostics:
        assert {"t", "tau", "step", "area", "perimeter", "boundary_margin", "near_boundary"} <= set(d)
        assert 0.7 * area0 < d["area"] < 1.01 * area0, (name, d["area"])  # R(T) = 0.436 from 0.5
        assert 0.5 <= d["boundary_margin"] < 0.6 and not d["near_boundary"], (name, d["boundary_margin"])
    assert ev.diagnostics[-1]["area"] < ev.diagnostics[0]["area"]  # constant density: the disc shrinks


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("name", ["level_set", "thresholding", "allen_cahn", "parametric", "nonlocal"])
def test_one_extinction_rule(disc_03, name):
    """R0 = 0.3, rho constant: the flow empties the disc near t* = 0.045.  Every scheme reports the end of the
    first step after which its set is empty (area 0), whose start still had a set; the loop stops there and
    the later output sets are empty."""
    V, phi0 = disc_03
    tau = 0.0005 if name == "allen_cahn" else 0.004  # Allen–Cahn is accurate for tau << delta^2 = 0.0025
    ev = _flows(V, phi0, 0.3, 0.05)[name](tau, 0.08, output_times=[0.0, 0.02, 0.08])
    t_ext = ev.extinction_time
    assert t_ext is not None and abs(t_ext - 0.045) < 0.012, (name, t_ext)
    last, before = ev.diagnostics[-1], ev.diagnostics[-2]
    assert last["area"] == 0.0 and last["t"] == t_ext and before["area"] > 0
    assert abs(t_ext / tau - round(t_ext / tau)) < 1e-9 * t_ext / tau  # a step end
    assert ev.times == [0.0, 0.02, 0.08]
    empty = MPI.COMM_WORLD.allreduce(int(np.count_nonzero(ev.sets[-1].x.array < 0)))
    assert empty == 0


@pytest.mark.parallel([1, 2])
def test_time_steps_land_on_every_output_time():
    dt, n = time_steps(0.0, 0.12, 0.08)
    assert (dt, n) == (0.06, 2)
    dt, n = time_steps(0.0, 0.3, 0.1)  # 0.3/0.1 = 2.9999999999999996: absorbed
    assert n == 3 and dt == pytest.approx(0.1, rel=1e-15)


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("mesh", ["crossed", "delaunay"])
def test_boundary_margin_is_the_distance_of_the_inside_vertices(mesh):
    """[0, 1]^2: a disc at (0.3, 0.5) of radius 0.2 has its nearest inside vertex at distance >= 0.1 from x = 0,
    within a cell of it; a set that touches x = 0 has margin 0; the empty set has margin inf."""
    if mesh == "crossed":
        msh = box(MPI.COMM_WORLD, [0.0, 0.0], [1.0, 1.0], n=40)
    else:
        msh = gmsh_mesh(MPI.COMM_WORLD, "box", 0.025, lower=[0.0, 0.0], upper=[1.0, 1.0], algorithm="delaunay")
    h_max = mesh_stats(msh).h_max
    V = p1_space(msh)
    boundary = DomainBoundary(V)
    lengths = np.linalg.norm(boundary.facets[:, 1] - boundary.facets[:, 0], axis=1)
    assert boundary.facets.shape[1:] == (2, 2) and lengths.sum() == pytest.approx(4.0, rel=1e-12)
    margin = boundary.margin(level_set(msh, disc([0.3, 0.5], 0.2)))
    assert 0.1 <= margin <= 0.1 + h_max + 1e-12, margin
    assert boundary.margin(level_set(msh, disc([0.05, 0.5], 0.2))) == 0.0
    assert boundary.margin(level_set(msh, lambda x: np.ones(x.shape[1]))) == np.inf
    pts = np.array([[0.5, 0.5], [0.1, 0.7], [2.0, 0.5]])
    assert np.allclose(boundary.distance(pts), [0.5, 0.1, 1.0], rtol=0, atol=1e-14)
