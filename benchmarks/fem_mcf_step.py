"""Benchmark: one semi-implicit level-set step against one Poisson solve on the same mesh.

    mpirun -n 1 python benchmarks/fem_mcf_step.py
    mpirun -n 2 python benchmarks/fem_mcf_step.py

For each mesh of [-1, 1]^2 (P1, crossed diagonals), in one process:
- baseline: assemble and solve -Δu = 1, u = 0 on the boundary, with CG + GAMG
  to the same relative tolerance (1e-10) as the level-set solver;
- the level-set step (matrix values reassembled, CG + GAMG with reused
  interpolation), averaged over 5 steps after setup (setup timed apart).
Ratios step/Poisson are the figure of merit (target <= 1.0).  Peak memory is
the maximum resident set size of a rank.  Results are appended to
benchmarks/results/fem_mcf_step.json (one entry per number of ranks).
"""

import json
import resource
import sys
import time
from pathlib import Path

import meshes  # noqa: F401  (first: prepares the DOLFINx stack, see meshes.stack)
import numpy as np
import ufl
from dolfinx import fem, mesh
from dolfinx.fem.petsc import LinearProblem
from mpi4py import MPI

from fem_mcf import default_petsc_options
from fem_mcf.level_set import LevelSetStepper
from meshes.generate import box
from meshes.mpi import install_abort_hook
from meshes.sets import level_set
from meshes.shapes import disc

COMM = MPI.COMM_WORLD
OUT = Path(__file__).parent / "results" / "fem_mcf_step.json"


def timed(fn, comm):
    comm.barrier()
    t0 = time.perf_counter()
    out = fn()
    comm.barrier()
    return comm.allreduce(time.perf_counter() - t0, op=MPI.MAX), out


def poisson(msh):
    V = fem.functionspace(msh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    msh.topology.create_connectivity(1, 2)
    facets = mesh.exterior_facet_indices(msh.topology)
    bc = fem.dirichletbc(0.0, fem.locate_dofs_topological(V, 1, facets), V)
    opts = {k: v for k, v in default_petsc_options().items() if k != "pc_gamg_reuse_interpolation"}
    problem = LinearProblem(ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx, 1.0 * v * ufl.dx, bcs=[bc],
                            petsc_options_prefix="bench_poisson_", petsc_options=opts)
    problem.solve()  # JIT and first set-up outside the timing
    return timed(problem.solve, msh.comm)[0]


def main(ns):
    install_abort_hook(COMM)
    rows = []
    for n in ns:
        msh = box(COMM, [-1, -1], [1, 1], n=n)
        nv = msh.topology.index_map(0).size_global
        t_poisson = poisson(msh)
        phi0 = level_set(msh, disc([0, 0], 0.5))
        h = 2.0 / n
        t_setup, stepper = timed(lambda: LevelSetStepper(phi0, lambda x: np.ones(x.shape[1]), 1, h), COMM)
        stepper.step(0.03 * h)  # first step: GAMG set-up
        t_steps, _ = timed(lambda: [stepper.step(0.03 * h) for _ in range(5)], COMM)
        its = stepper.its
        stepper.destroy()
        mem = COMM.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, op=MPI.MAX)
        row = {"ranks": COMM.size, "n": n, "vertices": nv, "poisson_s": t_poisson, "step_s": t_steps / 5,
               "ratio": t_steps / 5 / t_poisson, "setup_s": t_setup, "ksp_its": its, "peak_rss_mb": mem}
        rows.append(row)
        if COMM.rank == 0:
            print(json.dumps(row), flush=True)
    if COMM.rank == 0:
        old = json.loads(OUT.read_text()) if OUT.exists() else {}
        old[str(COMM.size)] = rows
        tmp = OUT.with_suffix(".tmp")
        tmp.write_text(json.dumps(old, indent=1))
        tmp.replace(OUT)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [128, 256, 512, 710])
