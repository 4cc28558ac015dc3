"""Benchmark: one step of each fem_mcf mesh scheme against one Poisson solve on the same mesh.

    mpirun -n 1 python benchmarks/fem_mcf_step.py [n ...]
    mpirun -n 2 python benchmarks/fem_mcf_step.py [n ...]

For each mesh of [-1, 1]^2 (P1, crossed diagonals, n cells per side), in one process:
- baseline: assemble and solve -Δu = 1, u = 0 on the boundary, with CG + GAMG to the
  same relative tolerance (1e-10) as the schemes (dolfinx LinearProblem.solve: assembly,
  GAMG set-up and solve from a zero initial guess);
- level set (BDF2, tau = h, delta = h): one step = reassembly + one CG + GAMG solve;
- thresholding (tau = h/2, the schemes suite's rule; 2 substeps): one step = the cut-cell
  load vector + 2 solves with one matrix (GAMG built once) + thresholding;
- Allen-Cahn (delta = 4h, tau = delta^2/4): one step = a diagonal update + one solve, with
  the default solver (CG + Jacobi on this mass-dominated path) and with CG + GAMG built once
  on the fixed P (-allen_cahn_pc_type gamg);
each averaged over 5 steps after a first step (set-up and first step timed apart).  The
figure of merit is the time per linear solve over the Poisson time (target <= 1.0).  Peak
memory is the maximum resident set size of a rank.  Results go to
benchmarks/results/fem_mcf_step.json (one entry per number of ranks) and the table
benchmarks/results/fem_mcf_step.md.
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

import advmcf.meshes  # noqa: F401  (prepares the DOLFINx stack first)
import numpy as np
import ufl
from dolfinx import fem, mesh
from dolfinx.fem.petsc import LinearProblem
from mpi4py import MPI
from petsc4py import PETSc

from advmcf.fem_mcf import default_petsc_options
from advmcf.fem_mcf.allen_cahn import AllenCahnStepper
from advmcf.fem_mcf.level_set import LevelSetStepper
from advmcf.fem_mcf.thresholding import ThresholdingStepper
from advmcf.meshes.generate import box
from advmcf.meshes.mpi import install_abort_hook
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc

COMM = MPI.COMM_WORLD
OUT = Path(__file__).parent / "results"
STEPS = 5


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
    # every solve from zero: with the schemes' ksp_initial_guess_nonzero the timed second solve
    # would start from the converged first one and do 0 iterations (the earlier baseline did)
    opts = {k: v for k, v in default_petsc_options().items()
            if k not in ("pc_gamg_reuse_interpolation", "ksp_initial_guess_nonzero")}
    problem = LinearProblem(ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx, 1.0 * v * ufl.dx, bcs=[bc],
                            petsc_options_prefix="bench_poisson_", petsc_options=opts)
    problem.solve()  # JIT and first set-up outside the timing
    return timed(problem.solve, msh.comm)[0], problem.solver.getIterationNumber()


def one(x):
    return np.ones(x.shape[1])


def bench_stepper(make, tau, solves_per_step):
    """(setup s, first step s, mean step s, mean its per solve) of a stepper."""
    t_setup, stepper = timed(make, COMM)
    stepper.start(tau)
    t_first, _ = timed(lambda: stepper.step(tau), COMM)
    its = []
    t_steps, _ = timed(lambda: [its.append(stepper.step(tau)["ksp_its"]) for _ in range(STEPS)], COMM)
    stepper.close()
    return {"setup_s": t_setup, "first_step_s": t_first, "step_s": t_steps / STEPS,
            "solve_s": t_steps / STEPS / solves_per_step, "ksp_its": float(np.mean(its)) / solves_per_step}


def main(ns):
    install_abort_hook(COMM)
    rows = []
    for n in ns:
        msh = box(COMM, [-1, -1], [1, 1], n=n)
        nv = msh.topology.index_map(0).size_global
        h = 2.0 / n
        t_poisson, poisson_its = poisson(msh)
        phi0 = level_set(msh, disc([0, 0], 0.5))
        row = {"ranks": COMM.size, "n": n, "vertices": nv, "poisson_s": t_poisson, "poisson_its": poisson_its}
        row["level_set"] = bench_stepper(lambda: LevelSetStepper(phi0, one, 1, h, time_order=2), h, 1)
        row["thresholding"] = bench_stepper(lambda: ThresholdingStepper(phi0, one, 2), h / 2, 2)
        delta = 4 * h
        row["allen_cahn"] = bench_stepper(lambda: AllenCahnStepper(phi0, one, delta), delta**2 / 4, 1)
        database = PETSc.Options()
        database["allen_cahn_pc_type"] = "gamg"
        try:
            row["allen_cahn_gamg"] = bench_stepper(lambda: AllenCahnStepper(phi0, one, delta), delta**2 / 4, 1)
        finally:
            database.delValue("allen_cahn_pc_type")
        for key in ("level_set", "thresholding", "allen_cahn", "allen_cahn_gamg"):
            row[key]["ratio_step"] = row[key]["step_s"] / t_poisson
            row[key]["ratio_solve"] = row[key]["solve_s"] / t_poisson
        row["peak_rss_mb"] = COMM.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, op=MPI.MAX)
        row["load_average"] = os.getloadavg()
        rows.append(row)
        if COMM.rank == 0:
            print(json.dumps(row), flush=True)
    if COMM.rank == 0:
        path = OUT / "fem_mcf_step.json"
        old = json.loads(path.read_text()) if path.exists() else {}
        old = {k: v for k, v in old.items() if all("thresholding" in r for r in v)}  # drop the old format
        old[str(COMM.size)] = rows
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(old, indent=1))
        tmp.replace(path)
        (OUT / "fem_mcf_step.md").write_text(table(old))
        print(table(old))


def table(results) -> str:
    """The Markdown table of every rank count in ``results``."""
    keys = ("level_set", "thresholding", "allen_cahn", "allen_cahn_gamg")
    lines = ["| ranks | vertices | Poisson [s] (its) | level set step / Poisson | thresholding step / Poisson "
             "(per solve) | Allen–Cahn step / Poisson (Jacobi, default) | (GAMG) | CG its per solve: LS / MBO / "
             "AC / AC-GAMG | peak RSS [MB] | load avg |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for ranks in sorted(results, key=int):
        for r in results[ranks]:
            def ratio(key, what="ratio_step"):
                return f"{r[key][what]:.2f}" if key in r else "—"

            its = " / ".join(f"{r[k]['ksp_its']:.0f}" if k in r else "—" for k in keys)
            lines.append(f"| {ranks} | {r['vertices']} | {r['poisson_s']:.3f} ({r['poisson_its']}) "
                         f"| {ratio('level_set')} | {ratio('thresholding')} ({ratio('thresholding', 'ratio_solve')}) "
                         f"| {ratio('allen_cahn')} | {ratio('allen_cahn_gamg')} | {its} | {r['peak_rss_mb']:.0f} "
                         f"| {r['load_average'][0]:.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [128, 256, 512, 710])
