r"""What the three mesh schemes of fem_mcf share: extinction and topology changes run through,
PETSc options reach their solvers by their prefixes, a diverged solve is an error with its reason,
the same sets on 1 and 2 ranks, and bad arguments are refused."""

import math

import numpy as np
import pytest
from mpi4py import MPI
from petsc4py import PETSc

from advmcf.fem_mcf import PREFIXES, allen_cahn_flow, level_set_flow, thresholding_flow
from advmcf.meshes.generate import box
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc, ellipse

FLOWS = {"level_set": level_set_flow, "thresholding": thresholding_flow, "allen_cahn": allen_cahn_flow}


def dumbbell_3d(x):
    """Two balls of radius 0.3 at (+-0.45, 0, 0) joined by a cylinder of radius 0.1."""
    balls = np.minimum(np.linalg.norm(x.T - [-0.45, 0, 0], axis=1), np.linalg.norm(x.T - [0.45, 0, 0], axis=1)) - 0.3
    neck = np.maximum(np.hypot(x[1], x[2]) - 0.1, np.abs(x[0]) - 0.45)
    return np.minimum(balls, neck)


def _step(name, h):
    """The time step of each scheme for the tests below: tau = 2e-3 (Allen-Cahn: delta^2/4, delta = 4h)."""
    return (4 * h) ** 2 / 4 if name == "allen_cahn" else 2e-3


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("name", FLOWS)
def test_neck_of_a_3d_dumbbell_pinches_and_the_balls_live_on(name, checks):
    """A cylinder of radius r shrinks like r^2 = r0^2 - 2t (gone at 0.005); the balls (R0 = 0.3) live
    until 0.0225.  (In 2D a curve never pinches, Grayson's theorem, so the test is in 3D.)"""
    msh = box(MPI.COMM_WORLD, [-0.9, -0.45, -0.45], [0.9, 0.45, 0.45], n=[36, 18, 18])
    phi0 = level_set(msh, dumbbell_3d)
    h = 0.05  # thresholding: tau = 4e-3 (h/sqrt(tau) = 0.8); Allen-Cahn: delta = 2h, thinner than the neck
    kwargs = {"delta": 2 * h} if name == "allen_cahn" else {}
    tau = {"level_set": 2e-3, "thresholding": 4e-3, "allen_cahn": (2 * h) ** 2 / 4}[name]
    ev = FLOWS[name](phi0, checks.one, tau, 0.012, output_times=[0.0, 0.012], **kwargs)
    phi = ev.sets[-1]
    x = phi.function_space.tabulate_dof_coordinates()
    owned = phi.function_space.dofmap.index_map.size_local
    mid = phi.x.array[:owned][np.abs(x[:owned, 0]) < 0.05].min(initial=np.inf)
    assert MPI.COMM_WORLD.allreduce(mid, op=MPI.MIN) > 0, "the neck is still there"
    assert ev.extinction_time is None and ev.diagnostics[-1]["area"] > 0.2 * ev.diagnostics[0]["area"]


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("name", FLOWS)
def test_extinction_time_of_a_disc(name, checks):
    """A disc of radius 0.3 vanishes at t = 0.045 (within 2 tau = 4e-3); output sets after it are empty."""
    msh = box(MPI.COMM_WORLD, [-0.5, -0.5], [0.5, 0.5], n=64)
    ev = FLOWS[name](level_set(msh, disc([0, 0], 0.3)), checks.one, _step(name, 1 / 64), 0.06,
                     output_times=[0.0, 0.03, 0.06])
    assert ev.times == [0.0, 0.03, 0.06]
    assert ev.extinction_time is not None and abs(ev.extinction_time - 0.045) < 4e-3, ev.extinction_time
    assert ev.diagnostics[-1]["t"] < 0.06 and ev.diagnostics[-1]["area"] == 0.0
    assert MPI.COMM_WORLD.allreduce(ev.sets[-1].x.array.min(), op=MPI.MIN) > 0


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("name", FLOWS)
def test_petsc_options_reach_the_solver_by_prefix(name, checks):
    """-<prefix>ksp_max_it 1 in the options database (as from the command line or PETSC_OPTIONS)
    wins over the defaults, and the diverged solve is a RuntimeError naming the reason and prefix."""
    msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=16)
    phi0 = level_set(msh, disc([0, 0], 0.5))
    prefix = PREFIXES[name]
    options = PETSc.Options()
    options[f"{prefix}ksp_max_it"] = 1
    try:
        with pytest.raises(RuntimeError, match=rf"the linear solve diverged \(DIVERGED_MAX_IT, 1 iterations.*'{prefix}'"):
            FLOWS[name](phi0, checks.one, 0.01, 0.02)
    finally:
        options.delValue(f"{prefix}ksp_max_it")
    # the defaults are back, and a flow leaves nothing behind in the options database
    FLOWS[name](phi0, checks.one, 0.01, 0.02)
    assert not [k for k in PETSc.Options().getAll() if k.startswith(prefix)]


@pytest.mark.parallel([2])
@pytest.mark.parametrize("name", FLOWS)
def test_two_ranks_agree_with_one_rank(name, checks):
    """The same problem on COMM_WORLD (2 ranks) and on COMM_SELF agrees to solver tolerance."""
    results = {}
    for key, comm in (("world", MPI.COMM_WORLD), ("self", MPI.COMM_SELF)):
        msh = box(comm, [-1, -1], [1, 1], n=32)
        results[key] = FLOWS[name](level_set(msh, ellipse([0.1, 0], [0.6, 0.35])), checks.gaussian(0.36),
                                   _step(name, 1 / 16), 0.02)
    checks.assert_same_sets(results["world"], results["self"], 1e-8)


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("name", FLOWS)
def test_bad_arguments_are_rejected(name, checks):
    msh = box(MPI.COMM_WORLD, [-1, -1], [1, 1], n=4)
    phi0 = level_set(msh, disc([0, 0], 0.5))
    flow = FLOWS[name]
    with pytest.raises(ValueError, match="tau must be a positive number, got -0.1"):
        flow(phi0, checks.one, tau=-0.1, T=1)
    with pytest.raises(ValueError, match="tau must be a positive number"):
        flow(phi0, checks.one, tau=math.nan, T=1)
    with pytest.raises(ValueError, match="T must be a positive number"):
        flow(phi0, checks.one, tau=0.1, T=0)
    with pytest.raises(ValueError, match="output_times must be strictly increasing"):
        flow(phi0, checks.one, tau=0.1, T=1, output_times=[0.5, 0.2])
    with pytest.raises(ValueError, match=r"rho must be finite and positive on the mesh vertices, "
                                         r"but rho\(x\) = -3 at x = \(-1, -1, 0\)"):
        flow(phi0, lambda x: x[0] + x[1] - 1, tau=0.1, T=1)
    with pytest.raises(ValueError, match="phi0: must be a scalar P1"):
        flow(msh, checks.one, tau=0.1, T=1)
