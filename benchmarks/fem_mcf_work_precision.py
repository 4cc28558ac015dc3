"""Work–precision of the level-set solver: radius error at T against wall time.

    python benchmarks/fem_mcf_work_precision.py disc          # 2D, serial
    mpirun -n 2 python benchmarks/fem_mcf_work_precision.py sphere   # 3D, DUNE-FEM's sphere

2D (``disc``): meshes of the box with n = 16 ... 256 cells per side, two cases with closed forms:
- constant density, R0 = 0.5, T = 0.05 on [-1, 1]^2: R(T)^2 = R0^2 - 2T;
- Gaussian rho = exp(-|x|^2/(2 s^2)), s^2 = 0.36, R0 = 0.8 (growing), T = 0.05 on [-1.6, 1.6]^2:
  R^2 = s^2 + (R0^2 - s^2) e^{2T/s^2}.
Configurations (h the cell size):
- ``P1 Euler``: tau = 0.03 h, delta = h (the first-order stepper, as before);
- ``P1 BDF2``: tau = h/8, delta = h;
- ``P2 BDF2``: tau = h/20, delta = h, started from the P2 interpolant of the exact signed
  distance; its radius measured twice: from the returned P1 set (the P2 -> P1 transfer) and
  from the P2 set itself (advmcf.meshes.measures.volume_refined, 4 x 4 sub-triangles per cell).
The radius is sqrt(area/pi) from exact areas.

3D (``sphere``): DUNE-FEM's tutorial case, unweighted flow of the sphere R0 = 2 to T = 0.1
(R(T)^2 = R0^2 - 4T) on [-2.4, 2.4]^3 meshes, P1 Euler (tau = 0.0025, as measured before),
P1 BDF2 (tau = 0.0125) and P2 BDF2 (tau = 0.0025, delta = h, exact initial P2 data: with
tau = 0.0125 its error stalls at 5.4e-4, the time error); radius from the
volume of the P1 set, and for P2 also the mean over 400 directions of the root of the P2
solution along the ray (bisection with dolfinx point evaluation), and the largest deviation of
those roots from R(T) (``max_radius_error``, the measure closest to a parametric method's vertex
error).

Writes benchmarks/results/fem_mcf_work_precision_<case>.{json,md,png,pdf}.
"""

import json
import math
import os
import sys
import time
from pathlib import Path

import advmcf.meshes  # noqa: F401  (prepares the DOLFINx stack first)
import numpy as np
from dolfinx import geometry
from mpi4py import MPI

from advmcf.fem_mcf import level_set_flow
from advmcf.fem_mcf.level_set import LevelSetStepper
from advmcf.meshes.generate import box
from advmcf.meshes.measures import volume, volume_refined
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc

OUT = Path(__file__).parent / "results"
COMM = MPI.COMM_WORLD
S2 = 0.36


def one(x):
    return np.ones(x.shape[1])


def gaussian(x):
    return np.exp(-(x[0] ** 2 + x[1] ** 2) / (2 * S2))


DISCS = {
    "constant density, R0 = 0.5": (0.5, 1.0, one, lambda R0, T: math.sqrt(R0**2 - 2 * T)),
    "Gaussian density, R0 = 0.8 (growing)": (0.8, 1.6, gaussian,
                                             lambda R0, T: math.sqrt(S2 + (R0**2 - S2) * math.exp(2 * T / S2))),
}


def _flow_p2(phi0, rho, tau, T, delta, shape):
    """P2 BDF2 run through the stepper (to keep the P2 solution); returns (stepper, seconds)."""
    t0 = time.perf_counter()
    stepper = LevelSetStepper(phi0, rho, 2, delta, time_order=2, shape=shape)
    steps = max(1, math.ceil(T / tau - 1e-9))
    for _ in range(steps):
        stepper.step(T / steps)
    return stepper, COMM.allreduce(time.perf_counter() - t0, op=MPI.MAX)


def disc_rows():
    rows = []
    T = 0.05
    for case, (R0, L, rho, exact_of) in DISCS.items():
        exact = exact_of(R0, T)
        for n in (16, 32, 64, 128, 256):
            h = 2 * L / n
            msh = box(COMM, [-L, -L], [L, L], n=n)
            phi0 = level_set(msh, disc([0, 0], R0))

            def add(config, seconds, radius):
                rows.append({"case": case, "config": config, "n": n, "h": h, "wall_s": seconds,
                             "radius_error": abs(radius - exact)})
                if COMM.rank == 0:
                    print(json.dumps(rows[-1]), flush=True)

            for config, tau, order in (("P1 Euler, τ = 0.03h", 0.03 * h, 1), ("P1 BDF2, τ = h/8", h / 8, 2)):
                if n == 256 and order == 1:
                    continue  # 5000 steps: the trend is clear at n = 128
                t0 = time.perf_counter()
                ev = level_set_flow(phi0, rho, tau, T, time_order=order)
                add(config, COMM.allreduce(time.perf_counter() - t0, op=MPI.MAX),
                    math.sqrt(ev.diagnostics[-1]["area"] / math.pi))
            if n <= 128:
                stepper, seconds = _flow_p2(phi0, rho, h / 20, T, h, disc([0, 0], R0))
                add("P2 BDF2, τ = h/20, P1 set", seconds, math.sqrt(volume(stepper.level_set) / math.pi))
                add("P2 BDF2, τ = h/20, P2 set", seconds, math.sqrt(volume_refined(stepper.phi, 4) / math.pi))
                stepper.close()
    return rows


def root_radii(phi, directions: int = 400, r_lo: float = 1.0, r_hi: float = 3.0) -> np.ndarray:
    """For quasi-uniform directions e, the root r of phi(r e) = 0 in [r_lo, r_hi] (bisection,
    point evaluation on the owning rank, combined over ranks)."""
    msh = phi.function_space.mesh
    k = np.arange(directions) + 0.5
    z = 1 - 2 * k / directions
    az = math.pi * (1 + 5**0.5) * k
    e = np.stack([np.sqrt(1 - z**2) * np.cos(az), np.sqrt(1 - z**2) * np.sin(az), z], axis=1)
    tree = geometry.bb_tree(msh, msh.topology.dim)
    lo, hi = np.full(directions, r_lo), np.full(directions, r_hi)

    def values(r):
        pts = e * r[:, None]
        cells = geometry.compute_colliding_cells(msh, geometry.compute_collisions_points(tree, pts), pts)
        out = np.zeros(directions)
        found = np.zeros(directions)
        for i in range(directions):
            c = cells.links(i)
            if len(c):
                out[i] = phi.eval(pts[i], c[:1])[0]
                found[i] = 1
        total, count = COMM.allreduce(out), COMM.allreduce(found)
        return total / count

    for _ in range(40):
        mid = 0.5 * (lo + hi)
        neg = values(mid) < 0
        lo, hi = np.where(neg, mid, lo), np.where(neg, hi, mid)
    return 0.5 * (lo + hi)


def sphere_rows():
    R0, T, L = 2.0, 0.1, 2.4
    exact = math.sqrt(R0**2 - 4 * T)
    rows = []
    for n in (20, 30, 40, 60):
        h = 2 * L / n
        msh = box(COMM, [-L] * 3, [L] * 3, n=n)
        nv = msh.topology.index_map(0).size_global
        phi0 = level_set(msh, disc([0, 0, 0], R0))

        def add(config, seconds, radius, metric, max_error=None):
            rows.append({"case": "sphere R0 = 2, T = 0.1", "config": config, "n": n, "h": h, "vertices": nv,
                         "wall_s": seconds, "radius_error": abs(radius - exact), "metric": metric,
                         "max_radius_error": max_error, "ranks": COMM.size})
            if COMM.rank == 0:
                print(json.dumps(rows[-1]), flush=True)

        for config, tau, order in (("P1 Euler, τ = 0.0025", 0.0025, 1), ("P1 BDF2, τ = 0.0125", 0.0125, 2)):
            t0 = time.perf_counter()
            ev = level_set_flow(phi0, one, tau, T, time_order=order)
            add(config, COMM.allreduce(time.perf_counter() - t0, op=MPI.MAX),
                (3 * ev.diagnostics[-1]["area"] / (4 * math.pi)) ** (1 / 3), "volume of the P1 set")
        if n <= 30:
            stepper, seconds = _flow_p2(phi0, one, 0.0025, T, h, disc([0, 0, 0], R0))
            add("P2 BDF2, τ = 0.0025, P1 set", seconds, (3 * volume(stepper.level_set) / (4 * math.pi)) ** (1 / 3),
                "volume of the P1 set")
            radii = root_radii(stepper.phi)
            add("P2 BDF2, τ = 0.0025, P2 set", seconds, float(np.mean(radii)), "mean radial root of the P2 set",
                float(np.abs(radii - exact).max()))
            stepper.close()
    return rows


def first_below(rows, level):
    hit = [r for r in rows if r["radius_error"] <= level]
    return min(hit, key=lambda r: r["wall_s"]) if hit else None


def report(name, rows, levels):
    """JSON, Markdown table and figure of ``rows`` (rank 0)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    OUT.mkdir(exist_ok=True)
    (OUT / f"fem_mcf_work_precision_{name}.json").write_text(json.dumps(rows, indent=1))
    cases = list(dict.fromkeys(r["case"] for r in rows))
    configs = list(dict.fromkeys(r["config"] for r in rows))
    ns = sorted({r["n"] for r in rows})
    load = os.getloadavg()[0]
    command = ("python benchmarks/fem_mcf_work_precision.py disc" if name == "disc"
               else f"mpirun -n {COMM.size} python benchmarks/fem_mcf_work_precision.py sphere")
    lines = [f"Command: `{command}`; load average {load:.1f} on 2 cores when it finished.", "",
             "| case | discretization | " + " | ".join(f"n={n}" for n in ns) + " | "
             + " | ".join(f"first ≤ {lv:g}" for lv in levels) + " |",
             "|---|---|" + "---:|" * (len(ns) + len(levels))]
    fig, axes = plt.subplots(1, len(cases), figsize=(5.2 * len(cases), 4.2), squeeze=False)
    for ax, case in zip(axes[0], cases):
        for config in configs:
            sel = sorted((r for r in rows if r["case"] == case and r["config"] == config), key=lambda r: r["n"])
            if not sel:
                continue
            by_n = {r["n"]: r for r in sel}
            def cell(r):
                extra = f", max {r['max_radius_error']:.1e}" if r.get("max_radius_error") is not None else ""
                return f"{r['radius_error']:.2e} ({r['wall_s']:.1f} s{extra})"

            cells = [cell(by_n[n]) if n in by_n else "—" for n in ns]
            hits = []
            for lv in levels:
                r = first_below(sel, lv)
                hits.append(f"{r['wall_s']:.1f} s (n={r['n']})" if r else "not reached")
            lines.append(f"| {case} | {config} | " + " | ".join(cells) + " | " + " | ".join(hits) + " |")
            ax.loglog([r["wall_s"] for r in sel], [r["radius_error"] for r in sel], "o-", label=config)
        for lv in levels:
            ax.axhline(lv, color="0.5", lw=0.7, ls=":")
        ax.set(title=case, xlabel=f"wall time [s] ({COMM.size} rank{'s' * (COMM.size > 1)})",
               ylabel="radius error at T")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(OUT / f"fem_mcf_work_precision_{name}.{ext}", dpi=150)
    (OUT / f"fem_mcf_work_precision_{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(which):
    if which == "disc":
        rows = disc_rows()
        levels = (1e-4, 1e-5)
    elif which == "sphere":
        rows = sphere_rows()
        levels = (1e-3, 5e-4)
    else:
        raise SystemExit(f"usage: {sys.argv[0]} disc|sphere")
    if COMM.rank == 0:
        report(which, rows, levels)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "disc")
