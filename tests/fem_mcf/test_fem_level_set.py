r"""The level-set solver against exact solutions of V = -kappa - d_nu log rho.

Radii are read off the exact cut-cell area of the P1 set, R = sqrt(area/pi),
so every number is a global quantity (identical on all ranks).
"""

import math

import numpy as np
import pytest
from mpi4py import MPI
from scipy.spatial import cKDTree

from fem_mcf import level_set_flow
from meshes.generate import box
from meshes.sets import level_set
from meshes.shapes import disc, dumbbell, ellipse, half_space


def one(x):
    return np.ones(x.shape[1])


def gaussian(sigma2):
    return lambda x: np.exp(-(x[0] ** 2 + x[1] ** 2) / (2 * sigma2))


def observed_orders(hs, errors):
    hs, errors = np.asarray(hs), np.abs(np.asarray(errors))
    return np.log(errors[:-1] / errors[1:]) / np.log(hs[:-1] / hs[1:])


def radius(evolution, k=-1):
    return math.sqrt(evolution.diagnostics[k]["area"] / math.pi)


@pytest.mark.parallel([1, 2])
def test_circle_constant_density_order_one():
    """R(T)^2 = R0^2 - 2T; tau = 0.03 h, delta = h: observed order >= 1."""
    R0, T = 0.5, 0.05
    exact = math.sqrt(R0**2 - 2 * T)
    hs, errors = [], []
    for n in (16, 32, 64):
        msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=n)
        h = 2.0 / n
        ev = level_set_flow(level_set(msh, disc([0, 0], R0)), one, tau=0.03 * h, T=T)
        assert ev.times == [0.0, T] and ev.diagnostics[-1]["t"] == T
        hs.append(h)
        errors.append(radius(ev) - exact)
    orders = observed_orders(hs, errors)
    msg = f"errors {errors}, observed orders {orders}"
    assert orders.min() >= 1.0, msg
    assert abs(errors[-1]) < 1e-3, msg


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("R0", [0.4, 0.8], ids=["shrinking", "growing"])
def test_gaussian_circle(R0):
    r"""rho = exp(-|x|^2/(2 s^2)): R^2 = s^2 + (R0^2 - s^2) e^{2t/s^2}."""
    s2, T = 0.36, 0.05
    exact = math.sqrt(s2 + (R0**2 - s2) * math.exp(2 * T / s2))
    assert abs(exact - R0) > 0.05  # the circle moves much more than the tolerance
    hs, errors = [], []
    for n in (32, 64):
        msh = box(MPI.COMM_WORLD, [-1.2, -1.2], [1.2, 1.2], n=n)
        h = 2.4 / n
        ev = level_set_flow(level_set(msh, disc([0, 0], R0)), gaussian(s2), tau=0.03 * h, T=T)
        hs.append(h)
        errors.append(radius(ev) - exact)
    orders = observed_orders(hs, errors)
    msg = f"errors {errors}, observed order {orders}"
    assert orders.min() >= 1.0, msg
    assert abs(errors[-1]) < 3e-3, msg


@pytest.mark.parallel([1, 2])
def test_half_plane_translates_under_exponential_density():
    r"""rho = exp(a.x), A = {x_1 < s}: s' = -a.e = -1 (a = (1, 0.5))."""
    s0, T = 0.3, 0.5
    errors, hs = [], []
    for n in (16, 32):
        msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=n)
        ev = level_set_flow(level_set(msh, half_space([1, 0], s0)),
                            lambda x: np.exp(x[0] + 0.5 * x[1]), tau=0.02 * 2 / n, T=T)
        s = ev.diagnostics[-1]["area"] / 2 - 1  # the area of {x_1 < s} in [-1, 1]^2 is 2(s + 1)
        errors.append(s - (s0 - T))
        hs.append(2 / n)
    orders = observed_orders(hs, errors)
    assert abs(errors[-1]) < 1e-3, f"errors {errors}, observed order {orders}"


@pytest.mark.parallel([1, 2])
def test_weighted_perimeter_does_not_increase():
    r"""The flow is the L^2(rho dH) gradient flow of \int_{\partial A} rho dH."""
    msh = box(MPI.COMM_WORLD, [-1.2, -1.2], [1.2, 1.2], n=48)
    ev = level_set_flow(level_set(msh, ellipse([0.1, 0], [0.7, 0.35])), gaussian(0.36),
                        tau=2e-3, T=0.06)
    perimeter = np.array([d["perimeter"] for d in ev.diagnostics])
    increase = np.diff(perimeter).max()
    assert perimeter[-1] < 0.95 * perimeter[0], perimeter
    assert increase <= 1e-4 * perimeter[0], f"perimeter increased by {increase}: {perimeter}"


@pytest.mark.parallel([1, 2])
def test_extinction_time_and_output_times():
    """A disc of radius 0.3 vanishes at t = 0.045; output sets after that are empty."""
    msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=48)
    steps = []
    ev = level_set_flow(level_set(msh, disc([0, 0], 0.3)), one, tau=1e-3, T=0.06,
                        output_times=[0.0, 0.0125, 0.05, 0.06],
                        progress=lambda step, t: steps.append((step, t)))
    assert ev.times == [0.0, 0.0125, 0.05, 0.06]
    assert ev.extinction_time is not None
    assert abs(ev.extinction_time - 0.045) < 2e-3, ev.extinction_time
    assert ev.diagnostics[-1]["t"] < 0.05
    assert steps[-1][0] == len(ev.diagnostics) - 1
    for phi, t in zip(ev.sets, ev.times):
        local_min = phi.x.array.min()
        empty = msh.comm.allreduce(local_min, op=MPI.MIN) > 0
        assert empty == (t > 0.045), (t, empty)
    # the output time 0.0125 is hit exactly although it is not a multiple of tau
    assert any(abs(d["t"] - 0.0125) < 1e-15 for d in ev.diagnostics)


@pytest.mark.parallel([1, 2])
def test_dumbbell_pinches_without_crash():
    """Two discs joined by a thin neck: the neck pinches; the run continues to T."""
    msh = box(MPI.COMM_WORLD, [-1, -0.6], [1, 0.6], n=40)
    phi0 = level_set(msh, dumbbell([-0.45, 0], [0.45, 0], 0.3, 0.06))
    ev = level_set_flow(phi0, one, tau=2e-3, T=0.03)
    area = [d["area"] for d in ev.diagnostics]
    # both lobes survive (each alone would vanish at 0.3^2/2 = 0.045 > T) ...
    assert ev.extinction_time is None and area[-1] > 0.1, area
    # ... and are disconnected: no part of the set near the middle line x = 0
    phi = ev.sets[-1]
    x = phi.function_space.tabulate_dof_coordinates()
    local_owned = phi.function_space.dofmap.index_map.size_local
    near_mid = np.abs(x[:local_owned, 0]) < 0.05
    mid_min = phi.x.array[:local_owned][near_mid].min(initial=np.inf)
    assert msh.comm.allreduce(mid_min, op=MPI.MIN) > 0


@pytest.mark.parallel([1, 2])
def test_p2_converges_on_the_circle():
    """P2 (output interpolated to P1) also converges at order >= 1 with tau = 0.03 h, delta = h."""
    R0, T = 0.5, 0.05
    exact = math.sqrt(R0**2 - 2 * T)
    hs, errors = [], []
    for n in (12, 24):
        msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=n)
        h = 2.0 / n
        hs.append(h)
        errors.append(radius(level_set_flow(level_set(msh, disc([0, 0], R0)), one, tau=0.03 * h, T=T,
                                            degree=2)) - exact)
    orders = observed_orders(hs, errors)
    assert orders.min() >= 1.0 and abs(errors[-1]) < 5e-3, f"errors {errors}, observed orders {orders}"


@pytest.mark.parallel([2])
def test_two_ranks_agree_with_one_rank():
    """The same problem on COMM_WORLD (2 ranks) and COMM_SELF agrees to solver tolerance."""
    shape, rho = ellipse([0.1, 0], [0.6, 0.35]), gaussian(0.36)
    results = {}
    for name, comm in (("world", MPI.COMM_WORLD), ("self", MPI.COMM_SELF)):
        msh = box(comm, [-1, -1], [1, 1], n=24)
        results[name] = level_set_flow(level_set(msh, shape), rho, tau=2e-3, T=0.02)
    world, single = results["world"], results["self"]
    for dw, ds in zip(world.diagnostics, single.diagnostics):
        assert dw["area"] == pytest.approx(ds["area"], rel=1e-8, abs=0)
        assert dw["perimeter"] == pytest.approx(ds["perimeter"], rel=1e-8, abs=0)
    phi_w, phi_s = world.sets[-1], single.sets[-1]
    xw = phi_w.function_space.tabulate_dof_coordinates()
    xs = phi_s.function_space.tabulate_dof_coordinates()
    dist, idx = cKDTree(xs).query(xw)
    assert dist.max() < 1e-12
    diff = np.abs(phi_w.x.array - phi_s.x.array[idx]).max()
    assert MPI.COMM_WORLD.allreduce(diff, op=MPI.MAX) < 1e-8


@pytest.mark.parallel([1, 2])
def test_bad_arguments_are_rejected():
    msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=4)
    phi0 = level_set(msh, disc([0, 0], 0.5))
    with pytest.raises(ValueError, match="tau: the time step must be a positive number, got -0.1"):
        level_set_flow(phi0, one, tau=-0.1, T=1)
    with pytest.raises(ValueError, match="T: the final time"):
        level_set_flow(phi0, one, tau=0.1, T=0)
    with pytest.raises(ValueError, match="degree: must be 1 or 2"):
        level_set_flow(phi0, one, tau=0.1, T=1, degree=3)
    with pytest.raises(ValueError, match="delta: the regularization must be a positive number"):
        level_set_flow(phi0, one, tau=0.1, T=1, delta=0.0)
    with pytest.raises(ValueError, match="output_times: must be strictly increasing"):
        level_set_flow(phi0, one, tau=0.1, T=1, output_times=[0.5, 0.2])
    with pytest.raises(ValueError, match="redistance_every: must be an int >= 0"):
        level_set_flow(phi0, one, tau=0.1, T=1, redistance_every=-1)
    with pytest.raises(ValueError, match=r"rho must be finite and positive on the mesh vertices, "
                                         r"but rho\(x\) = -3 at x = \(-1, -1, 0\)"):
        level_set_flow(phi0, lambda x: x[0] + x[1] - 1, tau=0.1, T=1)
    with pytest.raises(ValueError, match="phi0: must be a scalar P1"):
        level_set_flow(msh, one, tau=0.1, T=1)


@pytest.mark.parallel([1, 2])
def test_sphere_constant_density_3d():
    """R(T)^2 = R0^2 - 4T in 3D (kappa = 2/R); the error decreases under refinement."""
    R0, T = 0.6, 0.02
    exact = math.sqrt(R0**2 - 4 * T)
    errors = []
    for n in (8, 16):
        msh = box(MPI.COMM_WORLD, [-1, -1, -1], [1, 1, 1], n=n)
        ev = level_set_flow(level_set(msh, disc([0, 0, 0], R0)), one, tau=0.05 * 2 / n, T=T)
        errors.append(abs((3 * ev.diagnostics[-1]["area"] / (4 * math.pi)) ** (1 / 3) - exact))
    assert errors[1] < 0.6 * errors[0] and errors[1] < 1e-2, errors


@pytest.mark.parallel([1, 2])
def test_redistancing_keeps_a_signed_distance_but_is_not_the_default():
    """redistance_every = 1 returns the signed distance to the computed circle (|x| - R up to
    O(h^2)); it is less accurate in the radius than no redistancing, which is why the
    default is 0 (never)."""
    R0, T, n = 0.5, 0.05, 32
    exact = math.sqrt(R0**2 - 2 * T)
    msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=n)
    phi0 = level_set(msh, disc([0, 0], R0))
    phi0.x.array[:] *= 3.0  # far from a distance function to begin with
    plain = level_set_flow(phi0, one, tau=0.03 * 2 / n, T=T)
    ev = level_set_flow(phi0, one, tau=0.03 * 2 / n, T=T, redistance_every=1)
    R = radius(ev)
    assert abs(radius(plain) - exact) < abs(R - exact) < 1e-2, (radius(plain) - exact, R - exact)
    x = ev.sets[-1].function_space.tabulate_dof_coordinates()
    local = np.abs(ev.sets[-1].x.array - (np.linalg.norm(x[:, :2], axis=1) - R)).max()
    assert MPI.COMM_WORLD.allreduce(local, op=MPI.MAX) < 5e-3


@pytest.mark.parallel([1, 2])
def test_vtx_output_is_written():
    """vtx_path writes one ADIOS2 .bp folder (collectively) with the steps at the output times."""
    import tempfile
    from pathlib import Path

    comm = MPI.COMM_WORLD
    folder = Path(comm.bcast(tempfile.mkdtemp(prefix="advmcf-vtx-") if comm.rank == 0 else None, root=0))
    msh = box(comm, [-1, -1], [1, 1], n=16)
    ev = level_set_flow(level_set(msh, disc([0, 0], 0.5)), one, tau=0.01, T=0.02,
                        output_times=[0.0, 0.01, 0.02], vtx_path=folder / "phi.bp")
    comm.barrier()
    assert ev.times == [0.0, 0.01, 0.02]
    files = sorted(p.name for p in (folder / "phi.bp").iterdir())
    assert "md.idx" in files and any(name.startswith("data.") for name in files), files
