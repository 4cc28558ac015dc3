"""A model of the adversarial step's time and memory from the measured parts, and what it predicts past this machine.

Reads the rows of ``benchmarks/results/nonlocal_step.json`` (``make
bench-nonlocal``: 1-rank rows of the default configuration, pseudoflow and
the isotropic mixture, with the parts of each step) and fits, over the later
steps of every 2D row and the first step of the 3D row (its ball vanishes
in the second), least squares in log-log:

- the parts that scale with the graph (``graph``, ``flow``,
  ``certificate``): t = a·A^b, A the graph's arcs;
- the parts that scale with the band (``cover``, ``layer``, ``perimeter``,
  ``smoothing``, ``distances``): t = a·B^b, B the band's free vertices;
- the parts that scale with the mesh (``gather``, ``scatter``, ``other``):
  t = a·N^b, N the vertices;
- the arcs per band vertex, A/B = a·(ε/h)^b, by dimension;
- rank 0's peak memory: RSS = m0 + m1·N + m2·A (linear least squares);
- the level-set step: t = a·N^b (one rank).

The prediction for a study of N vertices in dimension d at ε/h on P ranks
takes the band of the measured rows' geometry (the ball of radius 0.5 in
[-1, 1]^d: B grows as (N^{1/d})^{d-1} at fixed ε/h, from the largest
measured row of that dimension), its arcs, and then every part on rank 0
as now (the step is built and cut there), against the level-set step on P
ranks taken as perfectly parallel (N/P per rank: a lower bound for its time,
so the ratio printed is an upper bound of what the FEM side gives).  It
also prints what the step would take if everything but the max-flow and its
certificate were spread perfectly over the P ranks: the part that then
limits.  The fits are printed against every measured row (its own band and
arcs).  A model fitted on this machine (2 cores), not a measurement:
extrapolating two decades past the largest row, with the 2D rows' cost per
arc (the 3D first step costs 2.7 times the model: its full cover walk and
the first band's curvature estimate).

Run: ``python benchmarks/nonlocal_model.py [--N 1e7] [--dim 3] [--k 4] [--ranks 64]``;
writes ``benchmarks/results/nonlocal_model.md``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
GRAPH_PARTS = ("graph", "flow", "certificate")
BAND_PARTS = ("cover", "layer", "perimeter", "smoothing", "distances")
MESH_PARTS = ("gather", "scatter", "other")


def default_rows(rows):
    """The 1-rank rows of the default configuration (pseudoflow, isotropic mixture)."""
    return [r for r in rows if r.get("ranks") == 1 and r.get("solver") == "pseudoflow"
            and r.get("discretization") == "isotropic" and "steps" in r]


def representative(row):
    """The steps that represent a row: the later ones (2 and 3) in 2D; in 3D the first (the ball vanishes
    in the second, an extinction step)."""
    return row["steps"][1:] if row["dim"] == 2 else row["steps"][:1]


def later_steps(rows):
    """(row, step) for the representative steps of the default rows that carry the parts of a step."""
    for r in default_rows(rows):
        for s in representative(r):
            if "times" in s and s["band_vertices"] > 0:
                yield r, s


def power_fit(x, y):
    """(a, b) of y = a x^b by least squares in log-log."""
    b, log_a = np.polyfit(np.log(x), np.log(y), 1)
    return float(np.exp(log_a)), float(b)


def fit(rows):
    """The model's coefficients (module docstring) from the measured rows."""
    pairs = list(later_steps(rows))
    if len(pairs) < 4:
        raise SystemExit("nonlocal_model: fewer than 4 measured later steps with parts: run make bench-nonlocal")
    arcs = np.array([s["graph_edges"] for _, s in pairs], float)
    band = np.array([s["band_vertices"] for _, s in pairs], float)
    verts = np.array([r["num_vertices"] for r, _ in pairs], float)

    def part_sum(parts):
        return np.array([sum(s["times"].get(p, 0.0) for p in parts) for _, s in pairs])

    model = {"graph": power_fit(arcs, part_sum(GRAPH_PARTS)), "band": power_fit(band, part_sum(BAND_PARTS)),
             "mesh": power_fit(verts, np.maximum(part_sum(MESH_PARTS), 1e-4)),
             "flow": power_fit(arcs, part_sum(("flow", "certificate"))), "points": len(pairs)}
    for dim in (2, 3):
        sel = [i for i, (r, _) in enumerate(pairs) if r["dim"] == dim]
        k = np.array([pairs[i][0]["eps_over_h"] for i in sel], float)
        if np.unique(k).size >= 2:
            model[f"arcs_per_band_{dim}"] = power_fit(k, arcs[sel] / band[sel])
        elif sel:  # one eps/h measured: constant in it
            model[f"arcs_per_band_{dim}"] = (float(np.mean(arcs[sel] / band[sel])) / k[0], 1.0)
    mem = [(r["num_vertices"], max(s["graph_edges"] for s in r["steps"]), r["peak_rss_gb"])
           for r in default_rows(rows) if "times" in r["steps"][0]]
    lhs = np.array([[1.0, n, a] for n, a, _ in mem])
    model["memory"] = tuple(float(c) for c in np.linalg.lstsq(lhs, np.array([m for *_, m in mem]), rcond=None)[0])
    fem = [(r["num_vertices"], r["fem_step"]) for r in default_rows(rows) if "fem_step" in r and r["dim"] == 2]
    model["fem"] = power_fit(*map(np.array, zip(*fem)))
    fem3 = [r["fem_step"] / r["num_vertices"] for r in default_rows(rows) if "fem_step" in r and r["dim"] == 3]
    model["fem_3d_per_vertex"] = float(np.mean(fem3)) if fem3 else None
    model["band_rows"] = {}  # (dim, eps/h): (vertices, band vertices) of the largest row
    for r in sorted(default_rows(rows), key=lambda r: r["num_vertices"]):
        band = float(np.mean([s["band_vertices"] for s in representative(r)]))
        model["band_rows"][(r["dim"], r["eps_over_h"])] = (r["num_vertices"], band)
    return model


def path_band(model, N, dim, k):
    """Band vertices along the path eps/h and tau/h fixed, from the largest measured row of this dimension
    and the nearest eps/h: the band is then a fixed number of cells wide (about 2 eps/h + 4 + 1.5 delta/h)
    and its vertices grow as the interface's, N^((d-1)/d); another eps/h: its width in proportion."""
    k0 = min((kk for d, kk in model["band_rows"] if d == dim), key=lambda kk: abs(np.log(kk / k)))
    n0, b0 = model["band_rows"][(dim, k0)]
    return b0 * (N / n0) ** ((dim - 1) / dim) * (2 * k + 6) / (2 * k0 + 6)


def predict(model, N, dim, band, arcs, ranks):
    """Seconds of the step's parts on rank 0, of its flow and certificate, of the step with all but the
    flow spread over ``ranks``, of the level-set step on ``ranks`` ranks, and rank 0's memory [GB]."""
    t = {"graph + flow + certificate": model["graph"][0] * arcs ** model["graph"][1],
         "band parts": model["band"][0] * band ** model["band"][1],
         "mesh parts": model["mesh"][0] * N ** model["mesh"][1]}
    flow = model["flow"][0] * arcs ** model["flow"][1]
    if dim == 3 and model["fem_3d_per_vertex"]:  # one 3D size measured: linear in the vertices
        fem = model["fem_3d_per_vertex"] * N / ranks
    else:
        fem = model["fem"][0] * (N / ranks) ** model["fem"][1]
    m0, m1, m2 = model["memory"]
    return {"step": sum(t.values()), "flow": flow, "spread": flow + (sum(t.values()) - flow) / ranks, "fem": fem,
            "memory": m0 + m1 * N + m2 * arcs}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--N", type=float, default=1e7)
    parser.add_argument("--dim", type=int, default=3)
    parser.add_argument("--k", type=float, default=4)
    parser.add_argument("--ranks", type=int, default=64)
    args = parser.parse_args(argv)
    data = json.loads((RESULTS / "nonlocal_step.json").read_text())
    model = fit(data["rows"])
    lines = [f"Model fitted on {model['points']} later steps of `benchmarks/results/nonlocal_step.json` "
             f"({data['meta']['date']}); `python benchmarks/nonlocal_model.py --N {args.N:g} --dim {args.dim} "
             f"--k {args.k:g} --ranks {args.ranks}`.", "",
             "| fit | a | b |", "|---|---|---|"]
    for name, key in (("graph + flow + certificate [s] vs arcs", "graph"), ("flow + certificate [s] vs arcs", "flow"),
                      ("band parts [s] vs band vertices", "band"), ("mesh parts [s] vs vertices", "mesh"),
                      ("arcs per band vertex vs eps/h, 2D", "arcs_per_band_2"),
                      ("arcs per band vertex vs eps/h, 3D", "arcs_per_band_3"),
                      ("level-set step [s] vs vertices (1 rank)", "fem")):
        if key in model:
            lines.append(f"| {name} | {model[key][0]:.3g} | {model[key][1]:.3f} |")
    m0, m1, m2 = model["memory"]
    lines += ["", f"Rank 0's peak memory [GB] = {m0:.3g} + {m1 * 1e6:.3g}e-6 N + {m2 * 1e9:.3g}e-9 arcs.", "",
              "The fits against the measured rows (their own band and arcs; 3D: the first step):", "",
              "| vertices | d | eps/h | band vertices | arcs | step [s] | model [s] | peak RSS [GB] | model [GB] |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in default_rows(data["rows"]):
        steps = [s for s in representative(r) if "times" in s and s["band_vertices"] > 0]
        if not steps:
            continue
        band = float(np.mean([s["band_vertices"] for s in steps]))
        arcs = float(np.mean([s["graph_edges"] for s in steps]))
        p = predict(model, r["num_vertices"], r["dim"], band, arcs, 1)
        lines.append(f"| {r['num_vertices']} | {r['dim']} | {r['eps_over_h']} | {band:.0f} | {arcs:.3g} "
                     f"| {np.mean([s['step_time'] for s in steps]):.2f} | {p['step']:.2f} | {r['peak_rss_gb']:.2f} "
                     f"| {p['memory']:.2f} |")
    band = path_band(model, args.N, args.dim, args.k)
    a, b = model[f"arcs_per_band_{args.dim}"]
    arcs = band * a * args.k**b
    lines += ["", f"Prediction along the path eps/h = {args.k:g}, tau/h fixed (band {band:.3g} vertices, "
              f"{arcs:.3g} arcs; the parts' fits are those of the later steps, which the 3D first step above "
              f"exceeds: a later step):", "",
              "| N | d | ranks | step on rank 0 [s] | of it flow + certificate [s] "
              "| all but the flow spread over the ranks [s] | level-set step [s] | step / level-set | "
              "rank 0 memory [GB] |", "|---|---|---|---|---|---|---|---|---|"]
    for ranks in (1, args.ranks):
        p = predict(model, args.N, args.dim, band, arcs, ranks)
        lines.append(f"| {args.N:.3g} | {args.dim} | {ranks} | {p['step']:.3g} | {p['flow']:.3g} | {p['spread']:.3g} "
                     f"| {p['fem']:.3g} | {p['step'] / p['fem']:.3g} | {p['memory']:.3g} |")
    text = "\n".join(lines) + "\n"
    (RESULTS / "nonlocal_model.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
