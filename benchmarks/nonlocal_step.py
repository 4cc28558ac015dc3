"""Benchmark: one step of the adversarial scheme against the vertex count and eps/h.

Case (issue 3): crossed structured mesh of [-1, 1]^2, disc of radius 0.5,
rho0 = rho1 = 1, eps = k h with k in {4, 8, 16}, tau = 0.02 (the disc moves
by tau/r = 0.04; tau = eps would make the coarse, wide-eps steps degenerate:
4 tau > r^2 there, and the empty set wins), minimal selection, p = 1.  Per configuration, in a fresh serial
subprocess (so that the peak memory is the step's own run):

- the fast step (``method="tree"``): wall time of the whole step
  (``step_time``: signed distance, gather, band, graph, max-flow, sub-vertex
  threshold cuts, scatter), of the cuts alone (``solve_time``), band size,
  graph size, certificate, peak resident memory of the process;
- (a) the plain min-cut (``method="plain"``: one graph edge per ball member,
  the same band) where it runs within the time limit;
- (b) one step of ``fem_mcf.LevelSetStepper`` (P1, delta = h, same tau) on
  the same mesh, after its set-up.

Run: ``python benchmarks/nonlocal_step.py`` (writes
``benchmarks/results/nonlocal_step.json`` and ``.md``).  ``--quick`` runs the
two smallest sizes only.
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


def one(h: float, k: int, method: str, fem: bool) -> dict:
    from mpi4py import MPI
    import numpy as np

    from meshes.generate import box
    from meshes.sets import level_set
    from meshes.shapes import disc
    from nonlocal_.step import StepContext, step

    comm = MPI.COMM_WORLD
    msh = box(comm, [-1.0, -1.0], [1.0, 1.0], h=h)
    phi = level_set(msh, disc([0.0, 0.0], 0.5))
    rho = lambda x: np.ones(x.shape[1])  # noqa: E731
    eps, tau = k * h, TAU
    ctx = StepContext.build(phi.function_space, rho, rho, eps)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    t0 = time.perf_counter()
    _, info = step(phi, rho, rho, eps, tau, context=ctx, method=method)
    wall = time.perf_counter() - t0
    out = {"h": h, "eps_over_h": k, "method": method,
           "num_vertices": msh.topology.index_map(0).size_global,
           "wall": wall, "rss_before_gb": rss_before,
           "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
           **{key: info[key] for key in ("step_time", "solve_time", "band_vertices", "graph_nodes",
                                          "graph_edges", "certified", "gap", "band_widenings",
                                          "displacement")}}
    if fem:
        from fem_mcf.level_set import LevelSetStepper

        t0 = time.perf_counter()
        stepper = LevelSetStepper(phi, rho, 1, h)
        out["fem_setup"] = time.perf_counter() - t0
        stepper.step(tau)  # the first step sets up GAMG
        t0 = time.perf_counter()
        stepper.step(tau)
        out["fem_step"] = time.perf_counter() - t0
        stepper.destroy()
    return out


def run_child(h, k, method, fem, timeout):
    cmd = [sys.executable, __file__, "--one", repr(h), str(k), method] + (["--fem"] if fem else [])
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"h": h, "eps_over_h": k, "method": method, "error": f"timeout after {timeout:g} s"}
    lines = [line for line in res.stdout.splitlines() if line.startswith("{")]
    if res.returncode != 0 or not lines:
        return {"h": h, "eps_over_h": k, "method": method,
                "error": (res.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def table(rows) -> str:
    fast = [r for r in rows if r.get("method") == "tree" and "error" not in r]
    plain = {(r["h"], r["eps_over_h"]): r for r in rows if r.get("method") == "plain"}
    head = ("| vertices | h | eps/h | band vertices | graph edges | step [s] | cuts [s] | peak RSS [GB] "
            "| certified | plain cuts [s] | plain/tree | fem_mcf step [s] | step/fem |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in sorted(fast, key=lambda r: (r["eps_over_h"], r["num_vertices"])):
        p = plain.get((r["h"], r["eps_over_h"]))
        if p is None:
            pc, ratio = "", ""
        elif "error" in p:
            pc, ratio = p["error"], ""
        else:
            pc, ratio = f"{p['solve_time']:.2f}", f"{p['solve_time'] / r['solve_time']:.1f}"
        fem = r.get("fem_step")
        lines.append(
            f"| {r['num_vertices']} | 1/{round(1 / r['h'])} | {r['eps_over_h']} | {r['band_vertices']} "
            f"| {r['graph_edges']} | {r['step_time']:.2f} | {r['solve_time']:.2f} | {r['peak_rss_gb']:.2f} "
            f"| {r['certified']} | {pc} | {ratio} | {'' if fem is None else f'{fem:.2f}'} "
            f"| {'' if fem is None else f'{r['step_time'] / fem:.1f}'} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=3, metavar=("H", "K", "METHOD"))
    parser.add_argument("--fem", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(float(args.one[0]), int(args.one[1]), args.one[2], args.fem)))
        return
    ns = [64, 128] if args.quick else [128, 256, 512]
    rows = []
    for k in (4, 8, 16):
        for n in ns:
            h = 1.0 / n
            rows.append(run_child(h, k, "tree", True, 3600.0))
            print(json.dumps(rows[-1]), flush=True)
    # (a) the plain min-cut, smallest sizes first, until it fails or times out
    for k in (4, 8, 16):
        for n in ns:
            rows.append(run_child(1.0 / n, k, "plain", False, PLAIN_TIMEOUT))
            print(json.dumps(rows[-1]), flush=True)
            if "error" in rows[-1]:
                break
    RESULTS.mkdir(exist_ok=True)
    name = "nonlocal_step_quick" if args.quick else "nonlocal_step"
    meta = {"command": "python benchmarks/nonlocal_step.py" + (" --quick" if args.quick else ""),
            "cpu_count": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    (RESULTS / f"{name}.md").write_text(
        f"Command: `{meta['command']}` ({meta['date']}, {meta['cpu_count']} cores, serial)\n\n"
        + table(rows) + "\n")
    print(table(rows))


if __name__ == "__main__":
    main()
