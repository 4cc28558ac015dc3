r"""The level-set solver against exact solutions of V = -kappa - d_nu log rho.

Radii are read off the exact cut-cell area of the P1 set, R = sqrt(area/pi),
so every number is a global quantity (identical on all ranks).
"""

import math

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.fem_mcf import level_set_flow
from advmcf.meshes.generate import box
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc, ellipse, half_space


@pytest.mark.parallel([1, 2])
def test_circle_constant_density_order_one(checks):
    """R(T)^2 = R0^2 - 2T; path tau = 0.03 h, delta = h, n = 16, 32, 64: order >= 1 - 0.1."""
    R0, T = 0.5, 0.05
    exact = math.sqrt(R0**2 - 2 * T)
    hs, errors = [], []
    for n in (16, 32, 64):
        msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=n)
        h = 2.0 / n
        ev = level_set_flow(level_set(msh, disc([0, 0], R0)), checks.one, tau=0.03 * h, T=T)
        assert ev.times == [0.0, T] and ev.diagnostics[-1]["t"] == T
        hs.append(h)
        errors.append(checks.radius(ev) - exact)
    checks.assert_order(hs, errors, 1.0, 0.1, "level set P1, constant disc, tau = 0.03 h, delta = h")
    assert abs(errors[-1]) < 1e-3


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("R0", [0.4, 0.8], ids=["shrinking", "growing"])
def test_gaussian_circle(R0, checks):
    r"""rho = exp(-|x|^2/(2 s^2)): R^2 = s^2 + (R0^2 - s^2) e^{2t/s^2}; path tau = 0.03 h, delta = h,
    n = 24, 48, 96: order >= 1 - 0.2."""
    s2, T = 0.36, 0.05
    exact = checks.gaussian_radius(R0, T, s2)
    assert abs(exact - R0) > 0.05  # the circle moves much more than the tolerance
    hs, errors = [], []
    for n in (24, 48, 96):
        msh = box(MPI.COMM_WORLD, [-1.2, -1.2], [1.2, 1.2], n=n)
        h = 2.4 / n
        ev = level_set_flow(level_set(msh, disc([0, 0], R0)), checks.gaussian(s2), tau=0.03 * h, T=T)
        hs.append(h)
        errors.append(checks.radius(ev) - exact)
    checks.assert_order(hs, errors, 1.0, 0.2, f"level set P1, Gaussian disc R0 = {R0}, tau = 0.03 h")
    assert abs(errors[-1]) < 2e-3


@pytest.mark.parallel([1, 2])
def test_half_plane_translates_under_exponential_density(checks):
    r"""rho = exp(a.x), A = {x_1 < s}: s' = -a.e = -1 (a = (1, 0.5)); path tau = 0.04 h, n = 16, 32, 64:
    order >= 1 - 0.3."""
    s0, T = 0.3, 0.2
    errors, hs = [], []
    for n in (16, 32, 64):
        msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=n)
        ev = level_set_flow(level_set(msh, half_space([1, 0], s0)),
                            lambda x: np.exp(x[0] + 0.5 * x[1]), tau=0.04 * 2 / n, T=T)
        s = ev.diagnostics[-1]["area"] / 2 - 1  # the area of {x_1 < s} in [-1, 1]^2 is 2(s + 1)
        errors.append(s - (s0 - T))
        hs.append(2 / n)
    checks.assert_order(hs, errors, 1.0, 0.3, "level set P1, half plane, tau = 0.04 h")
    assert abs(errors[-1]) < 1e-3


@pytest.mark.parallel([1, 2])
def test_weighted_perimeter_does_not_increase(checks):
    r"""The flow is the L^2(rho dH) gradient flow of \int_{\partial A} rho dH."""
    msh = box(MPI.COMM_WORLD, [-1.2, -1.2], [1.2, 1.2], n=48)
    ev = level_set_flow(level_set(msh, ellipse([0.1, 0], [0.7, 0.35])), checks.gaussian(0.36),
                        tau=2e-3, T=0.06)
    perimeter = np.array([d["perimeter"] for d in ev.diagnostics])
    increase = np.diff(perimeter).max()
    assert perimeter[-1] < 0.95 * perimeter[0], perimeter
    assert increase <= 1e-4 * perimeter[0], f"perimeter increased by {increase}: {perimeter}"


@pytest.mark.parallel([1, 2])
def test_extinction_time_and_output_times(checks):
    """A disc of radius 0.3 vanishes at t = 0.045; output sets after that are empty."""
    msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=48)
    steps = []
    ev = level_set_flow(level_set(msh, disc([0, 0], 0.3)), checks.one, tau=1e-3, T=0.06,
                        output_times=[0.0, 0.0125, 0.05, 0.06],
                        progress=lambda step, t: steps.append((step, t)))
    assert ev.times == [0.0, 0.0125, 0.05, 0.06]
    assert ev.extinction_time is not None
    assert abs(ev.extinction_time - 0.045) < 2e-3, ev.extinction_time
    assert ev.diagnostics[-1]["t"] < 0.05
    assert steps[-1][0] == len(ev.diagnostics) - 1
    for phi, t in zip(ev.sets, ev.times, strict=True):
        local_min = phi.x.array.min()
        empty = msh.comm.allreduce(local_min, op=MPI.MIN) > 0
        assert empty == (t > 0.045), (t, empty)
    # the output time 0.0125 is hit exactly although it is not a multiple of tau
    assert any(abs(d["t"] - 0.0125) < 1e-15 for d in ev.diagnostics)


@pytest.mark.parallel([1, 2])
def test_p2_converges_on_the_circle(checks):
    """P2 (output interpolated to P1) converges too; path tau = 0.03 h, delta = h, n = 12, 24, 48:
    order >= 1 - 0.1."""
    R0, T = 0.5, 0.05
    exact = math.sqrt(R0**2 - 2 * T)
    hs, errors = [], []
    for n in (12, 24, 48):
        msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=n)
        h = 2.0 / n
        hs.append(h)
        errors.append(checks.radius(level_set_flow(level_set(msh, disc([0, 0], R0)), checks.one,
                                                   tau=0.03 * h, T=T, degree=2)) - exact)
    checks.assert_order(hs, errors, 1.0, 0.1, "level set P2, constant disc, tau = 0.03 h")
    assert abs(errors[-1]) < 2e-3


@pytest.mark.parallel([1, 2])
def test_p2_from_the_exact_shape_beats_p1(checks):
    """P2, BDF2, delta = h, started from the P2 interpolant of the circle's signed distance: the
    radius of the P2 set itself (advmcf.meshes.measures.volume_refined) is less than half the P1 error on
    the same meshes and steps (tau = h^2/2), n = 24 and 48, and within 2e-4 at n = 48.  (Its error is not
    monotone in h on these coarse meshes, where delta = h dominates: no order is claimed.)"""
    from advmcf.fem_mcf.level_set import LevelSetStepper
    from advmcf.meshes.measures import volume_refined

    R0, T = 0.5, 0.05
    exact = math.sqrt(R0**2 - 2 * T)
    for n in (24, 48):
        h = 2.0 / n
        msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=n)
        phi0 = level_set(msh, disc([0, 0], R0))
        stepper = LevelSetStepper(phi0, checks.one, 2, h, time_order=2, shape=disc([0, 0], R0))
        steps = math.ceil(T / (h * h / 2))
        for _ in range(steps):
            stepper.step(T / steps)
        p2 = math.sqrt(volume_refined(stepper.phi, 4) / math.pi) - exact
        stepper.close()
        p1 = checks.radius(level_set_flow(phi0, checks.one, T / steps, T, time_order=2)) - exact
        msg = f"n = {n}: P2 set error {p2:.3e}, P1 error {p1:.3e}"
        print(msg)
        assert abs(p2) < 0.5 * abs(p1) and (n < 48 or abs(p2) < 2e-4), msg


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("time_order", [1, 2])
def test_time_order(time_order, checks):
    """On one mesh (n = 32), against a run with tau = T/256 (BDF2): the Euler stepper converges at
    order 1 in tau, BDF2 at order 2 (tau = T/4, T/8, T/16; margin 0.15); Gaussian growing disc."""
    msh = box(MPI.COMM_WORLD, [-1.6, -1.6], [1.6, 1.6], n=32)
    phi0, rho, T = level_set(msh, disc([0, 0], 0.8)), checks.gaussian(0.36), 0.05
    reference = checks.radius(level_set_flow(phi0, rho, T / 256, T, time_order=2))
    taus = [T / 4, T / 8, T / 16]
    errors = [checks.radius(level_set_flow(phi0, rho, tau, T, time_order=time_order)) - reference for tau in taus]
    checks.assert_order(taus, errors, time_order, 0.15, f"level set BDF{time_order} in tau, fixed mesh")


@pytest.mark.parallel([1, 2])
def test_bad_arguments_are_rejected(checks):
    """The level-set options (the arguments every scheme shares: test_fem_schemes.py)."""
    msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=4)
    phi0 = level_set(msh, disc([0, 0], 0.5))
    with pytest.raises(ValueError, match=r"degree must be one of \[1, 2\], got 3"):
        level_set_flow(phi0, checks.one, tau=0.1, T=1, degree=3)
    with pytest.raises(ValueError, match=r"time_order must be one of \[1, 2\], got 3"):
        level_set_flow(phi0, checks.one, tau=0.1, T=1, time_order=3)
    with pytest.raises(ValueError, match="delta must be a positive number"):
        level_set_flow(phi0, checks.one, tau=0.1, T=1, delta=0.0)
    with pytest.raises(ValueError, match="redistance_every must be an integer >= 0, got -1"):
        level_set_flow(phi0, checks.one, tau=0.1, T=1, redistance_every=-1)


@pytest.mark.parallel([1, 2])
def test_sphere_constant_density_3d(checks):
    """R(T)^2 = R0^2 - 4T in 3D (kappa = 2/R); the error decreases under refinement."""
    R0, T = 0.6, 0.02
    exact = math.sqrt(R0**2 - 4 * T)
    errors = []
    for n in (8, 16):
        msh = box(MPI.COMM_WORLD, [-1, -1, -1], [1, 1, 1], n=n)
        ev = level_set_flow(level_set(msh, disc([0, 0, 0], R0)), checks.one, tau=0.05 * 2 / n, T=T)
        errors.append(abs(checks.ball_radius(ev) - exact))
    assert errors[1] < 0.6 * errors[0] and errors[1] < 1e-2, errors


@pytest.mark.parallel([1, 2])
def test_redistancing_keeps_a_signed_distance_but_is_not_the_default(checks):
    """redistance_every = 1 returns the signed distance to the computed circle (|x| - R up to
    O(h^2)); it is less accurate in the radius than no redistancing, which is why the
    default is 0 (never)."""
    R0, T, n = 0.5, 0.05, 32
    exact = math.sqrt(R0**2 - 2 * T)
    msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=n)
    phi0 = level_set(msh, disc([0, 0], R0))
    phi0.x.array[:] *= 3.0  # far from a distance function to begin with
    plain = level_set_flow(phi0, checks.one, tau=0.03 * 2 / n, T=T)
    ev = level_set_flow(phi0, checks.one, tau=0.03 * 2 / n, T=T, redistance_every=1)
    R = checks.radius(ev)
    assert abs(checks.radius(plain) - exact) < abs(R - exact) < 1e-2, (checks.radius(plain) - exact, R - exact)
    x = ev.sets[-1].function_space.tabulate_dof_coordinates()
    local = np.abs(ev.sets[-1].x.array - (np.linalg.norm(x[:, :2], axis=1) - R)).max()
    assert MPI.COMM_WORLD.allreduce(local, op=MPI.MAX) < 5e-3


@pytest.mark.parallel([1, 2])
def test_vtx_output_is_written(checks):
    """vtx_path writes one ADIOS2 .bp folder (collectively) with the steps at the output times."""
    import tempfile
    from pathlib import Path

    comm = MPI.COMM_WORLD
    folder = Path(comm.bcast(tempfile.mkdtemp(prefix="advmcf-vtx-") if comm.rank == 0 else None, root=0))
    msh = box(comm, [-1, -1], [1, 1], n=16)
    ev = level_set_flow(level_set(msh, disc([0, 0], 0.5)), checks.one, tau=0.01, T=0.02,
                        output_times=[0.0, 0.01, 0.02], vtx_path=folder / "phi.bp")
    comm.barrier()
    assert ev.times == [0.0, 0.01, 0.02]
    files = sorted(p.name for p in (folder / "phi.bp").iterdir())
    assert "md.idx" in files and any(name.startswith("data.") for name in files), files
