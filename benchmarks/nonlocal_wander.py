r"""Diagnosis: why the adversarial flow of a disc wanders on unstructured meshes, measured.

Case: ρ0 = ρ1 = 1/2, a disc R0 = 1 in the box [-L, L]², τ = ε = 0.05 (the
paper's diagonal), h = ε/k (nominal; the crossed structured mesh, gmsh's
frontal and Delaunay meshes of the box).  Every number in units of the
largest edge h_max of the mesh (and of ε).

1. **Flow** (``flow`` rows): five steps of ``AdversarialScheme`` (isotropic
   by default); after steps 1 and 5 the *out-of-roundness* of the interface
   (largest minus smallest distance of its points from the centre), its
   *wander* (the range of the interface radius averaged over arcs of length
   ε and then over five neighbouring arcs: the part at the scale of ε, not of
   a cell) and the *lag* of the area radius behind the exact disc recursion
   r+ = (r + √(r² − 4τ))/2, in % of the distance travelled.
2. **Energy roughness** (``roughness`` rows): the vertex set of the disc
   r0 = 0.9 with a smooth outward bump of arc length ℓ = 10ε and height δ,
   δ ∈ [−2 h_max, 2 h_max] (21 values), at 12 positions around the circle;
   Per_ε(δ) minus its quadratic fit is the random part of the energy that a
   patch of the interface sees when it moves.  Its standard deviation s,
   against the fidelity's restoring energy ℓη²/(3τ) of a bump of height η,
   gives the wander it can drive, η = √(3τs/ℓ).  Measured for the isotropic
   mixture, the plain ε-ball, and, as a control of the diagnosis, a
   *counting* neighbourhood that no scheme of advmcf uses: the pairwise
   kernel :math:`\sum_{i,j} K(|x_i - x_j|) m_i m_j |u_i - u_j|/\varepsilon`
   with K uniform on the disc of radius 1.7ε (normalized to Per = 1 per unit
   length), which counts every vertex of the other phase near a vertex
   instead of asking whether its ball reaches one.
3. **Pinning** (``pinning`` rows): one step on the Delaunay mesh at k = 4 with
   τ = ε/4 … 2ε at fixed h: out-of-roundness and wander against the step's
   displacement τ/R in units of h_max.

Run: ``python benchmarks/nonlocal_wander.py [--meshes crossed frontal
delaunay] [--k 4 8 12] [--parts flow roughness pinning]``; writes
``benchmarks/results/nonlocal_wander.json`` (rows merged by key) and the
tables ``nonlocal_wander.md``.  Serial (rank 0 does the step's work on any
number of ranks).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

from mpi4py import MPI

import numpy as np
from scipy.spatial import cKDTree

from advmcf.meshes import box, disc, gmsh_mesh, interface, level_set, mesh_stats, p1_space, volume
from advmcf.nonlocal_ import AdversarialScheme, Vertices
from advmcf.nonlocal_.functional import vertex_perimeter
from advmcf.nonlocal_.mixture import fitted, plain

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
EPS, R0 = 0.05, 1.0
KERNEL_RADIUS = 1.7  # in units of eps: the uniform disc kernel whose two moments match Per_eps (2D)


def _mesh(kind, k, L):
    comm, h = MPI.COMM_SELF, EPS / k
    if kind == "crossed":
        return box(comm, [-L, -L], [L, L], h=h)
    return gmsh_mesh(comm, "box", h, lower=[-L, -L], upper=[L, L], algorithm=kind)


def _half(x):
    return np.full(x.shape[1], 0.5)


def _shape_errors(phi, h_max):
    """Out-of-roundness and wander (module docstring) of the interface of phi, in units of h_max."""
    pts = interface(phi).gathered().reshape(-1, 2)
    r, th = np.linalg.norm(pts, axis=1), np.arctan2(pts[:, 1], pts[:, 0])
    nb = int(2 * math.pi * r.mean() / EPS)
    b = ((th + math.pi) / (2 * math.pi) * nb).astype(int) % nb
    rb = np.bincount(b, r, minlength=nb) / np.maximum(np.bincount(b, minlength=nb), 1)
    smooth = sum(np.roll(rb, s) for s in range(-2, 3)) / 5
    return float(np.ptp(r) / h_max), float(np.ptp(smooth) / h_max)


def flow_row(kind, k, steps, L):
    msh = _mesh(kind, k, L)
    h_max = mesh_stats(msh).h_max
    phi = level_set(msh, disc([0.0, 0.0], R0))
    scheme = AdversarialScheme(phi.function_space, _half, _half, EPS)
    r_exact, hint, row = R0, None, {"part": "flow", "mesh": kind, "k": k, "h_max": h_max, "eps_over_hmax": EPS / h_max}
    t0 = time.perf_counter()
    for s in range(1, steps + 1):
        phi, info = scheme.step(phi, EPS, displacement_hint=hint)
        hint = info["displacement"]
        r_exact = (r_exact + math.sqrt(r_exact**2 - 4 * EPS)) / 2
        if s in (1, steps):
            oor, wander = _shape_errors(phi, h_max)
            lag = (math.sqrt(volume(phi) / math.pi) - r_exact) / (R0 - r_exact)
            row[f"step{s}"] = {"oor": oor, "wander": wander, "lag": lag}
    row["seconds"] = time.perf_counter() - t0
    return row


def roughness_row(kind, k, L):
    msh = _mesh(kind, k, L)
    h_max = mesh_stats(msh).h_max
    verts = Vertices(p1_space(msh))
    x, m = verts.x, verts.m
    rad, th = np.linalg.norm(x, axis=1), np.arctan2(x[:, 1], x[:, 0])
    r0, tau, ell = 0.9, EPS, 10 * EPS
    half = ell / r0 / 2
    mixtures = {"isotropic": fitted(x, verts.boundary, EPS), "plain": plain(EPS)}
    R = KERNEL_RADIUS * EPS
    strength = EPS / (2 * R**3 / 3)  # 2 int_0^R K r^2 dr = eps
    deltas = np.linspace(-2 * h_max, 2 * h_max, 21)
    per = {name: [] for name in (*mixtures, "pair kernel")}
    for c in np.linspace(-math.pi, math.pi, 12, endpoint=False):
        dth = np.angle(np.exp(1j * (th - c)))
        bump = np.where(np.abs(dth) < half, np.cos(math.pi * dth / (2 * half)) ** 2, 0.0)
        near = np.flatnonzero((np.abs(dth) < half + 4 * EPS / r0) & (np.abs(rad - r0) < 0.5))
        xs, ms, rs, gs = x[near], m[near], rad[near], bump[near]
        c0 = ms * 0.5 / EPS
        for name, mixture in mixtures.items():
            per[name].append([vertex_perimeter(xs, rs < r0 + d * gs, c0, c0, mixture) for d in deltas])
        i, j = cKDTree(xs).query_pairs(R, output_type="ndarray").T
        w = strength * ms[i] * ms[j] / EPS
        per["pair kernel"].append([float(np.sum(w[(rs[i] < r0 + d * gs[i]) != (rs[j] < r0 + d * gs[j])]))
                                   for d in deltas])
    row = {"part": "roughness", "mesh": kind, "k": k, "h_max": h_max, "eps_over_hmax": EPS / h_max}
    for name, values in per.items():
        resid = [v - np.polyval(np.polyfit(deltas, v, 2), deltas) for v in np.array(values)]
        s = float(np.std(resid))
        eta = math.sqrt(3 * tau * s / ell)
        row[name] = {"roughness": s, "eta_hmax": eta / h_max, "eta_eps": eta / EPS}
    return row


def pinning_rows(L):
    msh = _mesh("delaunay", 4, L)
    h_max = mesh_stats(msh).h_max
    phi0 = level_set(msh, disc([0.0, 0.0], R0))
    scheme = AdversarialScheme(phi0.function_space, _half, _half, EPS)
    rows = []
    for tau_over_eps in (0.25, 0.5, 1.0, 2.0):
        tau = tau_over_eps * EPS
        phi, info = scheme.step(phi0, tau)
        oor, wander = _shape_errors(phi, h_max)
        rows.append({"part": "pinning", "mesh": "delaunay", "k": 4, "tau_over_eps": tau_over_eps, "h_max": h_max,
                     "move_hmax": tau / R0 / h_max, "oor": oor, "wander": wander})
    return rows


def _key(row):
    return f"{row['part']}/{row['mesh']}/{row['k']}/{row.get('tau_over_eps', '')}"


def write(rows):
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "nonlocal_wander.json"
    old = {_key(r): r for r in json.loads(path.read_text())} if path.exists() else {}
    old.update({_key(r): r for r in rows})
    rows = sorted(old.values(), key=_key)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(rows, indent=1))
    os.replace(tmp, path)
    lines = ["# The adversarial flow of a disc on three kinds of mesh (benchmarks/nonlocal_wander.py)", "",
             f"rho0 = rho1 = 1/2, R0 = {R0}, tau = eps = {EPS}, isotropic mixture. oor = out-of-roundness, "
             "wander = its part at the scale of eps, both in h_max; lag in % of the distance travelled.", "",
             "| mesh | eps/h nominal | eps/h_max | oor step 1 | wander step 1 | oor step 5 | wander step 5 | "
             "oor step 5 / eps | lag step 5 |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["part"] == "flow" and "step5" in r:
            a, b = r["step1"], r["step5"]
            lines.append(f"| {r['mesh']} | {r['k']:g} | {r['eps_over_hmax']:.2f} | {a['oor']:.2f} | {a['wander']:.2f} | "
                         f"{b['oor']:.2f} | {b['wander']:.2f} | {b['oor'] * r['h_max'] / EPS:.2f} | "
                         f"{100 * b['lag']:+.2f} % |")
    lines += ["", "Energy roughness of a patch (l = 10 eps) moved by delta in [-2, 2] h_max, and the wander "
              "eta = sqrt(3 tau s / l) it can drive:", "",
              "| mesh | eps/h | isotropic s | eta [h_max] | plain s | eta [h_max] | pair kernel s | eta [h_max] |",
              "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["part"] == "roughness":
            cells = " | ".join(f"{r[n]['roughness']:.2e} | {r[n]['eta_hmax']:.2f}"
                               for n in ("isotropic", "plain", "pair kernel"))
            lines.append(f"| {r['mesh']} | {r['k']:g} | {cells} |")
    lines += ["", "One step on the Delaunay mesh (eps/h = 4) against tau at fixed h:", "",
              "| tau/eps | move tau/R [h_max] | oor [h_max] | wander [h_max] |", "|---|---|---|---|"]
    for r in rows:
        if r["part"] == "pinning":
            lines.append(f"| {r['tau_over_eps']:g} | {r['move_hmax']:.2f} | {r['oor']:.2f} | {r['wander']:.2f} |")
    (RESULTS / "nonlocal_wander.md").write_text("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--meshes", nargs="+", default=["crossed", "frontal", "delaunay"])
    ap.add_argument("--k", nargs="+", type=float, default=[4, 8, 12])
    ap.add_argument("--parts", nargs="+", default=["flow", "roughness", "pinning"])
    ap.add_argument("--steps", type=int, default=5)
    args = ap.parse_args()
    for part in args.parts:
        if part == "pinning":
            write(pinning_rows(1.5))
            continue
        for kind in args.meshes:
            for k in args.k:
                L = 1.5 if k <= 4 else 1.25
                row = flow_row(kind, k, args.steps, L) if part == "flow" else roughness_row(kind, k, L)
                write([row])
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
