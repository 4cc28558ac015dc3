"""Monotonicity of the scheme with a fixed selection: A_0 ⊂ B_0 ⇒ A_k ⊂ B_k (docs/theory.rst, the scheme),
with either treatment of the domain boundary."""

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.meshes.generate import box
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc, union
from advmcf.nonlocal_ import adversarial_flow

NUM_PAIRS, NUM_STEPS = 50, 10


def _random_discs(rng, k):
    # at least 0.15 from the boundary of the unit square: more than the reach 0.129 of the eps-balls
    return [disc(rng.uniform(0.35, 0.65, 2), rng.uniform(0.08, 0.2)) for _ in range(k)]


@pytest.mark.parallel([1, 2])
def test_random_nested_pairs_stay_nested():
    comm = MPI.COMM_WORLD
    msh = box(comm, [0.0, 0.0], [1.0, 1.0], h=1 / 20)
    rng = np.random.default_rng(2024)
    violations, moved = [], 0
    for pair in range(NUM_PAIRS):
        inner = _random_discs(rng, rng.integers(1, 3))
        outer = inner + _random_discs(rng, rng.integers(1, 3))
        a0, a1, k0, k1 = rng.uniform(-0.4, 0.4, 2).tolist() + rng.uniform(1, 6, 2).tolist()
        rho0 = lambda x, a=a0, k=k0: 1.0 + a * np.sin(k * x[0])  # noqa: E731
        rho1 = lambda x, a=a1, k=k1: 1.2 + a * np.cos(k * x[1])  # noqa: E731
        selection = ("minimal", "maximal")[pair % 2]
        p = 1 if pair % 5 else 0
        boundary = ("window", "window", "neumann")[pair % 3]
        tau = float(rng.uniform(0.002, 0.01))
        every_step = [k * tau for k in range(NUM_STEPS + 1)]
        runs = [adversarial_flow(level_set(msh, union(*discs)), rho0, rho1, 0.1, NUM_STEPS * tau, tau=tau, p=p,
                                 selection=selection, boundary=boundary, output_times=every_step)
                for discs in (inner, outer)]
        assert len(runs[0].sets) == len(runs[1].sets) == NUM_STEPS + 1
        for k in range(NUM_STEPS + 1):
            a, b = runs[0].sets[k].x.array < 0, runs[1].sets[k].x.array < 0
            if comm.allreduce(np.count_nonzero(a & ~b)):
                violations.append((pair, k))
        moved += sum(d["displacement"] > 0 for d in runs[0].diagnostics[1:])
    assert not violations, f"A_k not inside B_k for (pair, step) in {violations}"
    assert moved > NUM_PAIRS, f"only {moved} steps moved a set: the test would be vacuous"
