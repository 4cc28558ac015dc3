"""Work–precision of the level-set solver: radius error at T against wall time.

    python benchmarks/fem_mcf_work_precision.py

P1 and P2, with and without redistancing (every 10 steps), on meshes of
[-1, 1]^2 with n = 16, 32, 64, 128 cells per side (h = 2/n), tau = 0.03 h,
delta = h, for two cases with exact radii:
- constant density, R0 = 0.5, T = 0.05: R(T)^2 = R0^2 - 2T;
- Gaussian rho = exp(-|x|^2/(2 s^2)), s^2 = 0.36, R0 = 0.4, T = 0.05:
  R^2 = s^2 + (R0^2 - s^2) e^{2T/s^2}.
The radius is read off the exact cut-cell area.  Writes
benchmarks/results/fem_mcf_work_precision.{json,md,png}.
"""

import json
import math
import time
from pathlib import Path

import meshes  # noqa: F401  (first: prepares the DOLFINx stack, see meshes.stack)
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from mpi4py import MPI  # noqa: E402

from fem_mcf import level_set_flow  # noqa: E402
from meshes.generate import box  # noqa: E402
from meshes.sets import level_set  # noqa: E402
from meshes.shapes import disc  # noqa: E402

OUT = Path(__file__).parent / "results"
S2, T = 0.36, 0.05
CASES = {
    "constant": (0.5, lambda x: np.ones(x.shape[1]), lambda R0: math.sqrt(R0**2 - 2 * T)),
    "gaussian": (0.4, lambda x: np.exp(-(x[0] ** 2 + x[1] ** 2) / (2 * S2)),
                 lambda R0: math.sqrt(S2 + (R0**2 - S2) * math.exp(2 * T / S2))),
}
CONFIGS = {"P1": (1, 0), "P2": (2, 0), "P1 + redistance/10": (1, 10), "P2 + redistance/10": (2, 10)}


def main():
    comm = MPI.COMM_WORLD
    rows = []
    for case, (R0, rho, exact) in CASES.items():
        for label, (degree, every) in CONFIGS.items():
            for n in (16, 32, 64, 128):
                msh = box(comm, [-1, -1], [1, 1], n=n)
                phi0 = level_set(msh, disc([0, 0], R0))
                h = 2.0 / n
                t0 = time.perf_counter()
                ev = level_set_flow(phi0, rho, tau=0.03 * h, T=T, degree=degree, redistance_every=every)
                wall = comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)
                err = abs(math.sqrt(ev.diagnostics[-1]["area"] / math.pi) - exact(R0))
                rows.append({"case": case, "config": label, "n": n, "h": h, "wall_s": wall, "radius_error": err})
                if comm.rank == 0:
                    print(json.dumps(rows[-1]), flush=True)
    if comm.rank != 0:
        return
    OUT.mkdir(exist_ok=True)
    (OUT / "fem_mcf_work_precision.json").write_text(json.dumps(rows, indent=1))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    lines = ["Command: `python benchmarks/fem_mcf_work_precision.py` (serial)", "",
             "| case | discretization | n=16 | n=32 | n=64 | n=128 | wall at n=128 [s] | first to 1e-4 |",
             "|---|---|---|---|---|---|---|---|"]
    for ax, case in zip(axes, CASES):
        for label in CONFIGS:
            sel = [r for r in rows if r["case"] == case and r["config"] == label]
            ax.loglog([r["wall_s"] for r in sel], [r["radius_error"] for r in sel], "o-", label=label)
            hit = [r for r in sel if r["radius_error"] <= 1e-4]
            lines.append(f"| {case} | {label} | " + " | ".join(f"{r['radius_error']:.2e}" for r in sel)
                         + f" | {sel[-1]['wall_s']:.1f} | "
                         + (f"{hit[0]['wall_s']:.1f} s (n={hit[0]['n']})" if hit else "not reached") + " |")
        ax.axhline(1e-4, color="grey", lw=0.8, ls="--")
        ax.set(title=f"{case} density, T = {T}", xlabel="wall time [s]", ylabel="radius error at T")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "fem_mcf_work_precision.png", dpi=120)
    (OUT / "fem_mcf_work_precision.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
