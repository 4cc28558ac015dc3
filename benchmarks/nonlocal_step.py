"""Benchmark: one step of the adversarial scheme against the vertex count and eps/h.

Case (issue 3): crossed structured mesh of [-1, 1]^2, disc of radius 0.5,
rho0 = rho1 = 1, eps = k h with k in {4, 8, 16}, tau = 0.02 (the disc moves
by tau/r = 0.04; tau = eps would make the coarse, wide-eps steps degenerate:
4 tau > r^2 there, and the empty set wins), minimal selection, p = 1.  Per configuration, in a fresh
subprocess (so that the peak memory is the step's own run):

- the fast step (k-d tree graph, OR-tools push-relabel): two steps of the
  scheme, the second with the first's displacement as band hint, as in
  ``adversarial_flow``.  For each: wall time of the whole step
  (``step_time``: interface distances, gather, band, graph, max-flow,
  certificate, sub-vertex threshold cuts, scatter), of the cuts alone
  (``solve_time``); band size, graph size, band widenings, certificate, peak
  resident memory of the process;
- (a) the plain min-cut (one graph edge per ball member, PyMaxflow's BK: the
  reference the issue measured), the first step only, on the same band, where
  it runs within the time limit;  "plain/fast" compares the cuts of step 1;
- the fast step on 2 ranks (``mpiexec -n 2``, eps/h = 4): the same two steps; rank 0
  gathers the vertex data and solves, so this measures what the gather and
  scatter cost (on this 2-core machine the ranks share the cores);
- (b) one step of ``fem_mcf.LevelSetStepper`` (P1, delta = h, same tau) on
  the same mesh, after its set-up.

Run: ``python benchmarks/nonlocal_step.py`` (writes
``benchmarks/results/nonlocal_step.json`` and ``.md``).  ``--quick`` runs the
two smallest sizes only; ``--only CONFIG`` re-runs one configuration and
merges its rows into the existing results.
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
PLAIN_TIMEOUT = 600.0
TAU = 0.02


CONFIGS = {"fast": {"method": "tree", "solver": "push-relabel", "discretization": "isotropic"},
           "fast_plain_ball": {"method": "tree", "solver": "push-relabel", "discretization": "plain"},
           "plain": {"method": "plain", "solver": "bk", "discretization": "plain"}}
KEYS = ("step_time", "solve_time", "band_vertices", "graph_nodes", "graph_edges", "certified", "gap",
        "band_widenings", "displacement")


def one(h: float, k: int, config: str, fem: bool) -> dict:
    from mpi4py import MPI
    import numpy as np

    from meshes.generate import box
    from meshes.sets import level_set
    from meshes.shapes import disc
    from nonlocal_ import AdversarialScheme

    comm = MPI.COMM_WORLD
    msh = box(comm, [-1.0, -1.0], [1.0, 1.0], h=h)
    phi0 = level_set(msh, disc([0.0, 0.0], 0.5))
    phi = phi0
    rho = lambda x: np.ones(x.shape[1])  # noqa: E731
    eps, tau = k * h, TAU
    scheme = AdversarialScheme(phi0.function_space, rho, rho, eps, **CONFIGS[config])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    out = {"h": h, "eps_over_h": k, "config": config, "num_vertices": msh.topology.index_map(0).size_global,
           "rss_before_gb": rss_before}
    hint = 0.0
    for n in range(1, 3 if config == "fast" else 2):
        phi, info = scheme.step(phi, tau, displacement_hint=hint)
        hint = info["displacement"]
        out[f"step{n}"] = {key: info[key] for key in KEYS}
    out["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    if fem:
        from fem_mcf.level_set import LevelSetStepper

        t0 = time.perf_counter()
        stepper = LevelSetStepper(phi0, rho, 1, h)
        out["fem_setup"] = time.perf_counter() - t0
        stepper.step(tau)  # the first step sets up GAMG
        t0 = time.perf_counter()
        stepper.step(tau)
        out["fem_step"] = time.perf_counter() - t0
        stepper.destroy()
    return out


def run_child(h, k, config, fem, timeout, ranks=1):
    cmd = [sys.executable, __file__, "--one", repr(h), str(k), config] + (["--fem"] if fem else [])
    if ranks > 1:
        cmd = [str(Path(sys.executable).with_name("mpiexec")), "-n", str(ranks)] + cmd
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"h": h, "eps_over_h": k, "config": config, "error": f"timeout after {timeout:g} s"}
    lines = [line for line in res.stdout.splitlines() if line.startswith("{")]
    if res.returncode < 0:  # e.g. SIGKILL from the kernel's out-of-memory killer
        return {"h": h, "eps_over_h": k, "config": config, "error": f"killed by signal {-res.returncode}"}
    if res.returncode != 0 or not lines:
        return {"h": h, "eps_over_h": k, "config": config,
                "error": (res.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def _step2(row) -> str:
    if row is None:
        return ""
    return row["error"] if "error" in row else f"{row['step2']['step_time']:.2f}"


def table(rows) -> str:
    fast = [r for r in rows if r.get("config") == "fast" and "error" not in r]
    plain = {(r["h"], r["eps_over_h"]): r for r in rows if r.get("config") == "plain"}
    two = {(r["h"], r["eps_over_h"]): r for r in rows if r.get("config") == "fast-2ranks"}
    head = ("| vertices | h | eps/h | band vertices | graph edges | step 1 [s] (widenings) | step 2 [s] "
            "| cuts step 2 [s] | peak RSS [GB] | certified | plain cuts step 1 [s] | plain/fast "
            "| fem_mcf step [s] | step 2/fem | step 2 on 2 ranks [s] |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in sorted(fast, key=lambda r: (r["eps_over_h"], r["num_vertices"])):
        s1, s2 = r["step1"], r["step2"]
        p = plain.get((r["h"], r["eps_over_h"]))
        if p is None:
            pc, ratio = "", ""
        elif "error" in p:
            pc, ratio = p["error"], ""
        else:
            pc, ratio = f"{p['step1']['solve_time']:.2f}", f"{p['step1']['solve_time'] / s1['solve_time']:.1f}"
        fem = r.get("fem_step")
        lines.append(
            f"| {r['num_vertices']} | 1/{round(1 / r['h'])} | {r['eps_over_h']} | {s2['band_vertices']} "
            f"| {s2['graph_edges']} | {s1['step_time']:.2f} ({s1['band_widenings']}) | {s2['step_time']:.2f} "
            f"| {s2['solve_time']:.2f} | {r['peak_rss_gb']:.2f} | {s1['certified'] and s2['certified']} "
            f"| {pc} | {ratio} | {'' if fem is None else f'{fem:.2f}'} "
            f"| {'' if fem is None else f'{s2['step_time'] / fem:.1f}'} | {_step2(two.get((r['h'], r['eps_over_h'])))} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=3, metavar=("H", "K", "CONFIG"))
    parser.add_argument("--fem", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=("fast", "fast-2ranks", "plain"),
                        help="run one configuration and merge its rows into the existing results file")
    args = parser.parse_args()
    if args.one:
        from mpi4py import MPI

        out = one(float(args.one[0]), int(args.one[1]), args.one[2], args.fem)
        if MPI.COMM_WORLD.rank == 0:
            print(json.dumps(out | {"ranks": MPI.COMM_WORLD.size}))
        return
    ns = [64, 128] if args.quick else [128, 256, 512]  # crossed meshes: 1/512 has 2.1e6 vertices
    run = {c: args.only in (None, c) for c in ("fast", "fast-2ranks", "plain")}
    rows = []
    for k in (4, 8, 16):
        for n in ns:
            h = 1.0 / n
            if run["fast"]:
                rows.append(run_child(h, k, "fast", True, 3600.0))
                print(json.dumps(rows[-1]), flush=True)
            if run["fast-2ranks"] and k == 4:  # the gather/scatter cost does not depend on eps
                rows.append(run_child(h, k, "fast", False, 3600.0, ranks=2) | {"config": "fast-2ranks"})
                print(json.dumps(rows[-1]), flush=True)
    # (a) the plain min-cut, smallest sizes first, until it fails or times out
    for k in (4, 8, 16) if run["plain"] else ():
        for n in ns:
            rows.append(run_child(1.0 / n, k, "plain", False, PLAIN_TIMEOUT))
            print(json.dumps(rows[-1]), flush=True)
            if "error" in rows[-1]:
                break
    RESULTS.mkdir(exist_ok=True)
    name = "nonlocal_step_quick" if args.quick else "nonlocal_step"
    meta = {"command": "python benchmarks/nonlocal_step.py" + (" --quick" if args.quick else ""),
            "cpu_count": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if args.only:  # merge: keep the other configurations' rows of the last full run
        old = json.loads((RESULTS / f"{name}.json").read_text())
        rows = [r for r in old["rows"] if r.get("config") != args.only] + rows
        meta = old["meta"] | {f"date_{args.only}": meta["date"]}
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    (RESULTS / f"{name}.md").write_text(
        f"Command: `{meta['command']}` ({meta['date']}, {meta['cpu_count']} cores; "
        + "".join(f"`--only {k[5:]}` re-run {v}; " for k, v in meta.items() if k.startswith("date_"))
        + "each configuration in a fresh process)\n\n"
        + table(rows) + "\n")
    print(table(rows))


if __name__ == "__main__":
    main()
