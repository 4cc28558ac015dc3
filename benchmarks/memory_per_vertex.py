"""Peak memory per mesh vertex of making a mesh, a level-set FEM run and an adversarial step, 2D and 3D.

    python benchmarks/memory_per_vertex.py            # every row, serial (a few minutes)
    python benchmarks/memory_per_vertex.py --quick    # the smallest two sizes of each row
    python benchmarks/memory_per_vertex.py --paths nonlocal   # only the adversarial step's rows

Each measurement is a fresh process (``--worker``) that imports advmcf, makes the crossed box
[0, 1]^d with n cells per axis and does one of

- ``mesh``: the mesh, its statistics and an XDMF file (what ``advmcf mesh box`` does);
- ``fem``: the mesh, the level set of a disc/ball of radius 0.3 and two steps of the level-set FEM
  (P1, τ = h);
- ``nonlocal``: the mesh, the level set and one step of the adversarial scheme at ε = k h_max
  (isotropic Per_ε, τ = ε);

and reports its peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) and its
vertex count.  Bytes per vertex is the slope of peak memory against vertices between the sizes of
a row (least squares), so the interpreter and libraries (the intercept) drop out.  Writes
``benchmarks/results/memory_per_vertex.{json,md}``.  The numbers feed
:data:`advmcf.meshes.memory.BYTES_PER_VERTEX` and :data:`advmcf.meshes.memory.GRAPH_BYTES`.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

#: (path, dim, k = eps/h for the nonlocal step or None, cells per axis)
ROWS = [("mesh", 2, None, [128, 256, 512]), ("mesh", 3, None, [24, 40, 56]),
        ("fem", 2, None, [128, 256, 512]), ("fem", 3, None, [16, 24, 32]),
        ("nonlocal", 2, 4, [128, 256, 384]), ("nonlocal", 2, 8, [96, 192, 256]),
        ("nonlocal", 3, 3, [16, 22, 28])]


def worker(path: str, dim: int, k, n: int) -> None:
    import resource
    import tempfile

    from mpi4py import MPI

    from advmcf.meshes.generate import box
    from advmcf.meshes.io import write_xdmf
    from advmcf.meshes.sets import level_set
    from advmcf.meshes.shapes import ball, disc
    from advmcf.meshes.stats import mesh_stats

    comm = MPI.COMM_SELF
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    msh = box(comm, [0.0] * dim, [1.0] * dim, n=n)
    stats = mesh_stats(msh)
    if path == "mesh":
        with tempfile.TemporaryDirectory() as d:
            write_xdmf(Path(d) / "m.xdmf", msh)
    else:
        shape = disc([0.5, 0.5], 0.3) if dim == 2 else ball([0.5, 0.5, 0.5], 0.3)
        phi = level_set(msh, shape)
        if path == "fem":
            from advmcf.fem_mcf import level_set_flow

            level_set_flow(phi, lambda x: np.ones(x.shape[1]), stats.h_max, 2 * stats.h_max)
        else:
            from advmcf.nonlocal_ import adversarial_flow

            eps = k * stats.h_max
            half = lambda x: np.full(x.shape[1], 0.5)  # noqa: E731
            info = adversarial_flow(phi, half, half, eps, eps, tau=eps).diagnostics[0]
            graph = {"band_vertices": int(info["band_vertices"]), "graph_edges": int(info["graph_edges"])}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"vertices": int(stats.num_vertices), "peak": peak, "baseline": before,
                      **(graph if path == "nonlocal" else {})}))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", nargs=4, metavar=("PATH", "DIM", "K", "N"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--paths", nargs="+", default=["mesh", "fem", "nonlocal"], help="only these rows")
    args = p.parse_args()
    if args.worker:
        path, dim, k, n = args.worker
        worker(path, int(dim), None if k == "-" else float(k), int(n))
        return
    rows = []
    for path, dim, k, sizes in (row for row in ROWS if row[0] in args.paths):
        points = []
        for n in sizes[:2] if args.quick else sizes:
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, __file__, "--worker", path, str(dim), "-" if k is None else str(k),
                                  str(n)], capture_output=True, text=True, check=True)
            point = json.loads(out.stdout.strip().splitlines()[-1])
            point["seconds"] = time.perf_counter() - t0
            points.append(point)
            print(path, dim, k, n, point, flush=True)
        v = np.array([q["vertices"] for q in points], float)
        m = np.array([q["peak"] for q in points], float)
        slope, intercept = np.polyfit(v, m, 1)
        rows.append({"path": path, "dim": dim, "eps_over_h": k, "points": points,
                     "bytes_per_vertex": float(slope), "intercept_MB": float(intercept) / 2**20})
    write(rows)


def write(rows) -> None:
    """Merge ``rows`` into ``results/memory_per_vertex.json`` (a row replaces the one of its path, dim
    and eps/h) and write the table ``memory_per_vertex.md``."""
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    path = out / "memory_per_vertex.json"
    old = json.loads(path.read_text()) if path.is_file() else []
    key = lambda r: (r["path"], r["dim"], r["eps_over_h"] or 0)  # noqa: E731
    merged = {key(r): r for r in old}
    merged.update({key(r): r for r in rows})
    rows = [merged[k] for k in sorted(merged, key=lambda k: (["mesh", "fem", "nonlocal"].index(k[0]), k[1], k[2]))]
    path.write_text(json.dumps(rows, indent=1))
    lines = ["| path | dim | eps/h | vertices | peak RSS [MB] | bytes per vertex (slope) | intercept [MB] | "
             "band vertices | graph edges |", "|---|---:|---:|---|---|---:|---:|---|---|"]
    for r in rows:
        graph = [", ".join(str(q.get(k, "")) for q in r["points"]) if "graph_edges" in r["points"][0] else "—"
                 for k in ("band_vertices", "graph_edges")]
        lines.append(f"| {r['path']} | {r['dim']} | {r['eps_over_h'] or '—'} | "
                     f"{', '.join(str(q['vertices']) for q in r['points'])} | "
                     f"{', '.join(f'{q['peak'] / 2**20:.0f}' for q in r['points'])} | {r['bytes_per_vertex']:.0f} | "
                     f"{r['intercept_MB']:.0f} | {graph[0]} | {graph[1]} |")
    (out / "memory_per_vertex.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
