"""Benchmark: one step of the adversarial scheme against the level-set step, the band size and eps/h.

Cases: the box [-1, 1]^d, a disc (ball) of radius 0.5, rho0 = rho1 = 1,
tau = 0.02, minimal selection, p = 1, eps = k h with k in {4, 8, 16} and h
the cell size along an axis (2D: the crossed structured mesh, 1/h = 128, 256,
512: 131k, 525k, 2.1M vertices; 3D: 48 cells per side, 118k vertices,
k = 4).  Each configuration runs in a fresh process (so the peak memory is
its own), first makes one step on a 16-cell mesh (so that numba's
compilation, once per installation and code change, and its cache loading
are not timed), and then three steps of the scheme, each with the previous
displacement as band hint, as ``adversarial_flow`` does: "first" is step 1
(no hint: its band from the velocity estimated on the interface), "later"
the mean of steps 2 and 3 (in 3D the ball vanishes in step 2: that
step is the extinction step and "first" is the representative one).  Per step: the wall time of the
whole step (``step_time``: interface distances, gather, band, graph,
max-flows, certificate, sub-vertex threshold cuts, scatter) and of the cuts
(``solve_time``: graph builds, max-flows, certificates), band and graph
sizes, certificate; the peak resident memory of the process.

Configurations: the solver (``pseudoflow``: the default;
``push-relabel``: OR-tools, the earlier default) times the discretization
(``isotropic``: the fitted ball mixture, the default; ``plain``: the vertex
ball, for the record).  The level-set step (``advmcf.fem_mcf.LevelSetStepper``, P1,
delta = h, same tau, after its set-up) runs in the same process as the
pseudoflow/isotropic configuration, and "later/FEM" ("first/FEM") is the
ratio of the adversarial step (the first) to the level-set step.  The
adversarial step runs its ball covers and interface distances on numba's
threads (``NUMBA_NUM_THREADS``, recorded with each row: 2 on the 2-core
machine), the level-set step on one process.  ``--ranks 2 3`` runs the configuration under ``mpiexec
-n 2`` and ``-n 3`` (oversubscribed on 2 cores; the ranks other than 0 wait asleep while rank 0 solves).
Every step records its parts (``info["times"]``, :mod:`advmcf.nonlocal_._timing`): the second table of
the ``.md`` is the per-part profile of a later step, rank 0.

Run: ``python benchmarks/nonlocal_step.py [--quick] [--sizes 128 256]
[--k 4 8] [--configs ...] [--ranks 2 3] [--dim 3]``; rows are merged into
``benchmarks/results/nonlocal_step.json`` (a re-run replaces the rows it
measures) and the table ``.md`` and the figure ``.png`` are rewritten from
all rows.  The machine's load average is recorded with every row: the
machine is shared, so compare ratios measured in one process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TAU = 0.02
NUM_STEPS = 3
SOLVERS = ("pseudoflow", "push-relabel")
DISCRETIZATIONS = ("isotropic", "plain")
KEYS = ("step_time", "solve_time", "band_vertices", "graph_nodes", "graph_edges", "certified", "gap",
        "band_widenings", "displacement", "times")
#: the parts of a step (advmcf.nonlocal_._timing), in the order of the profile table
PARTS = ("gather", "distances", "perimeter", "cover", "graph", "flow", "certificate", "layer", "smoothing", "scatter",
         "other")


def one(dim: int, n: int, k: int, solver: str, discretization: str, fem: bool) -> dict:
    from mpi4py import MPI
    import numpy as np

    from advmcf.meshes.generate import box
    from advmcf.meshes.kdtree import num_threads
    from advmcf.meshes.sets import level_set
    from advmcf.meshes.shapes import disc
    from advmcf.nonlocal_ import AdversarialScheme

    comm = MPI.COMM_WORLD
    rho = lambda x: np.ones(x.shape[1])  # noqa: E731
    # a step on a small mesh first: numba's compilation (once per installation and code change) and
    # cache loading are not part of the times below (32 cells: the reach of the eps-balls, eps = 4 h,
    # stays inside the domain, as the scheme's default boundary treatment requires)
    warm = level_set(box(comm, [-1.0] * dim, [1.0] * dim, n=32), disc([0.0] * dim, 0.5))
    AdversarialScheme(warm.function_space, rho, rho, 4 * 2.0 / 32, solver=solver,
                      discretization=discretization).step(warm, TAU)
    h = 2.0 / n
    msh = box(comm, [-1.0] * dim, [1.0] * dim, n=n)
    phi0 = level_set(msh, disc([0.0] * dim, 0.5))
    t0 = time.perf_counter()
    scheme = AdversarialScheme(phi0.function_space, rho, rho, k * h, solver=solver, discretization=discretization)
    out = {"dim": dim, "n": n, "h": h, "eps_over_h": k, "solver": solver, "discretization": discretization,
           "num_vertices": msh.topology.index_map(0).size_global, "ranks": comm.size,
           "numba_threads": num_threads(),
           "setup": time.perf_counter() - t0, "mixture": scheme.mixture.describe(), "steps": []}
    phi, hint = phi0, None
    for _ in range(NUM_STEPS):
        phi, info = scheme.step(phi, TAU, displacement_hint=hint)
        hint = info["displacement"]
        out["steps"].append({key: info[key] for key in KEYS})
    out["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    if fem:
        from advmcf.fem_mcf.level_set import LevelSetStepper

        stepper = LevelSetStepper(phi0, rho, 1, h)
        stepper.step(TAU)  # the first step sets up the solver
        t0 = time.perf_counter()
        for _ in range(2):
            stepper.step(TAU)
        out["fem_step"] = (time.perf_counter() - t0) / 2
        stepper.destroy()
    out["load_average"] = os.getloadavg()[0]
    return out


def run_child(dim, n, k, solver, discretization, fem, ranks, timeout):
    cmd = [sys.executable, __file__, "--one", str(dim), str(n), str(k), solver, discretization] + (
        ["--fem"] if fem else [])
    if ranks > 1:
        cmd = [str(Path(sys.executable).with_name("mpiexec")), "-n", str(ranks)] + cmd
    key = {"dim": dim, "n": n, "eps_over_h": k, "solver": solver, "discretization": discretization, "ranks": ranks}
    load = os.getloadavg()[0]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return key | {"error": f"timeout after {timeout:g} s", "load_average": load}
    lines = [line for line in res.stdout.splitlines() if line.startswith("{")]
    if res.returncode < 0:  # e.g. SIGKILL from the kernel's out-of-memory killer
        return key | {"error": f"killed by signal {-res.returncode}", "load_average": load}
    if res.returncode != 0 or not lines:
        return key | {"error": (res.stderr.strip().splitlines() or ["failed"])[-1], "load_average": load}
    return json.loads(lines[-1])


def _key(r):
    return (r["dim"], r["n"], r["eps_over_h"], r["solver"], r["discretization"], r["ranks"])


def _later_steps(r):
    """Steps 2 and 3, without a step that had nothing to do (the set had vanished)."""
    return [s for s in r["steps"][1:] if s["band_vertices"] > 0]


def _later(r, what="step_time"):
    steps = _later_steps(r)
    return sum(s[what] for s in steps) / len(steps)


def table(rows) -> str:
    ok = {_key(r): r for r in rows if "error" not in r}
    errors = [r for r in rows if "error" in r]
    head = ("| d | vertices | eps/h | Per_eps | solver | band vertices (later) | graph edges | first [s] "
            "| later [s] | cuts later [s] | µs per band vertex | first/later | FEM step [s] | later/FEM | first/FEM "
            "| 2 ranks later [s] | 2 ranks/1 rank | 3 ranks later [s] | 3 ranks/1 rank | peak RSS [GB] | certified "
            "| load |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for key in sorted(ok, key=lambda q: (q[0], q[2], q[1], q[4], q[3])):
        r = ok[key]
        if r["ranks"] != 1:
            continue
        later, first = _later(r), r["steps"][0]["step_time"]
        band = _later(r, "band_vertices")
        note = "" if len(_later_steps(r)) == len(r["steps"]) - 1 else " (empty after step 2)"
        fem = ok.get(key[:3] + ("pseudoflow", "isotropic", 1), {}).get("fem_step")
        more = [ok.get(key[:5] + (ranks,)) for ranks in (2, 3)]
        lines.append(
            f"| {r['dim']} | {r['num_vertices']}{note} | {r['eps_over_h']} | {r['discretization']} | {r['solver']} "
            f"| {band:.0f} | {_later(r, 'graph_edges'):.0f} | {first:.2f} | {later:.2f} "
            f"| {_later(r, 'solve_time'):.2f} | {1e6 * later / band:.0f} | {first / later:.2f} "
            f"| {'' if fem is None else f'{fem:.3f}'} | {'' if fem is None else f'{later / fem:.1f}'} "
            f"| {'' if fem is None else f'{first / fem:.1f}'} "
            + "".join(f"| {'' if m is None else f'{_later(m):.2f}'} | {'' if m is None else f'{_later(m) / later:.2f}'} "
                      for m in more)
            + f"| {r['peak_rss_gb']:.2f} | {all(s['certified'] for s in r['steps'])} | {r['load_average']:.1f} |")
    for r in errors:
        lines.append(f"\nFailed: d = {r['dim']}, n = {r['n']}, eps/h = {r['eps_over_h']}, {r['solver']}, "
                     f"{r['discretization']}, {r['ranks']} rank(s): {r['error']}")
    return "\n".join(lines)


def profile(rows) -> str:
    """The per-part profile of a later step (mean of steps 2 and 3, seconds, rank 0) of every row that has
    one, with the parts' share of the step."""
    ok = [r for r in rows if "error" not in r and all("times" in s for s in _later_steps(r))]
    head = "| d | vertices | eps/h | Per_eps | solver | ranks | later [s] | " + " | ".join(PARTS) + " |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in sorted(ok, key=lambda q: (q["dim"], q["eps_over_h"], q["n"], q["discretization"], q["solver"],
                                       q["ranks"])):
        steps = _later_steps(r)
        later = _later(r)
        parts = [sum(s["times"].get(p, 0.0) for s in steps) / len(steps) for p in PARTS]
        lines.append(f"| {r['dim']} | {r['num_vertices']} | {r['eps_over_h']} | {r['discretization']} | {r['solver']} "
                     f"| {r['ranks']} | {later:.2f} | "
                     + " | ".join(f"{t:.2f} ({100 * t / later:.0f} %)" for t in parts) + " |")
    return "\n".join(lines)


def figure(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    colours = {4: "tab:blue", 8: "tab:orange", 16: "tab:green"}
    markers = {("pseudoflow", "isotropic"): "o", ("push-relabel", "isotropic"): "s",
               ("pseudoflow", "plain"): "^", ("push-relabel", "plain"): "v"}
    seen = set()
    for r in rows:
        if "error" in r or r["ranks"] != 1:
            continue
        band = _later(r, "band_vertices")
        label = f"{r['solver']}, {r['discretization']}"
        ax.loglog(band, _later(r), markers[(r["solver"], r["discretization"])],
                  color=colours.get(r["eps_over_h"], "k"), mfc="none" if r["dim"] == 3 else None,
                  label=None if label in seen else label)
        seen.add(label)
        if "fem_step" in r:
            ax.loglog(band, r["fem_step"], "x", color=colours.get(r["eps_over_h"], "k"),
                      label=None if "fem" in seen else "level-set step (same mesh)")
            seen.add("fem")
    for k, c in colours.items():
        ax.plot([], [], "-", color=c, label=f"eps/h = {k}")
    xs = [x for line in ax.get_lines() for x in line.get_xdata()]
    if xs:
        x0 = min(xs)
        ax.loglog([x0, 10 * x0], [1e-5 * x0, 1e-4 * x0], "k:", label="linear (10 µs per band vertex)")
    ax.set_xlabel("band vertices (later steps)")
    ax.set_ylabel("step time [s] (later steps)")
    ax.set_title("Adversarial step vs level-set step (open markers: 3D)")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=5, metavar=("DIM", "N", "K", "SOLVER", "DISCRETIZATION"))
    parser.add_argument("--fem", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1/h = 128 and eps/h = 4, 8 only (2D)")
    parser.add_argument("--dim", type=int, default=2, choices=(2, 3))
    parser.add_argument("--sizes", type=int, nargs="+", help="cells per side (default 2D: 256 512 1024; 3D: 48)")
    parser.add_argument("--k", type=int, nargs="+", help="eps/h values (default 2D: 4 8 16; 3D: 4)")
    parser.add_argument("--configs", nargs="+", default=[f"{s}/{d}" for s in SOLVERS for d in DISCRETIZATIONS],
                        help="SOLVER/DISCRETIZATION pairs")
    parser.add_argument("--ranks", type=int, nargs="+", default=[1])
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--report", action="store_true", help="rewrite the .md and .png from the .json only")
    args = parser.parse_args()
    if args.one:
        from mpi4py import MPI

        dim, n, k = map(int, args.one[:3])
        out = one(dim, n, k, args.one[3], args.one[4], args.fem)
        if MPI.COMM_WORLD.rank == 0:
            print(json.dumps(out))
        return
    path = RESULTS / "nonlocal_step.json"
    if args.report:
        report(json.loads(path.read_text()))
        return
    sizes = args.sizes or ([256] if args.quick else [256, 512, 1024] if args.dim == 2 else [48])
    ks = args.k or ([4, 8] if args.quick else [4, 8, 16] if args.dim == 2 else [4])
    old = json.loads(path.read_text())["rows"] if path.exists() else []
    old = [r for r in old if "dim" in r]  # rows of this benchmark's present format
    new = []
    for k in ks:
        for n in sizes:
            for config in args.configs:
                solver, disc = config.split("/")
                for ranks in args.ranks:
                    fem = ranks == 1 and config == "pseudoflow/isotropic"
                    row = run_child(args.dim, n, k, solver, disc, fem, ranks, args.timeout)
                    new.append(row)
                    print(json.dumps(row), flush=True)
    done = {_key(r) for r in new}
    rows = [r for r in old if _key(r) not in done] + new
    RESULTS.mkdir(exist_ok=True)
    meta = {"command": "python benchmarks/nonlocal_step.py " + " ".join(sys.argv[1:]), "cpu_count": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    report({"meta": meta, "rows": rows})


def report(results):
    """Write the table (.md) and the figure (.png) of all result rows."""
    meta, rows = results["meta"], results["rows"]
    (RESULTS / "nonlocal_step.md").write_text(
        f"Last command: `{meta['command']}` ({meta['date']}, {meta['cpu_count']} cores; the load column is "
        "the 1-minute load average at the end of each row's run, above 1 when other jobs shared the "
        "machine; each configuration in a fresh process; 'later' is the mean of steps 2 and 3)\n\n"
        + table(rows) + "\n\nPer-part profile of a later step (rank 0; the parts of advmcf.nonlocal_._timing):\n\n"
        + profile(rows) + "\n")
    figure(rows, RESULTS / "nonlocal_step.png")
    print(table(rows))
    print(profile(rows))


if __name__ == "__main__":
    main()
