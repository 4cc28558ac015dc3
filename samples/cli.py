r"""The ``advmcf risk`` and ``advmcf train`` commands (registered by :mod:`advmcf.validation.cli`).

::

    advmcf risk DATA --eps 0,0.5,1 [--norm l2|linf] [--selection minimal|maximal] [-o DIR]
    mpirun -n N advmcf train DATA --eps E [--tau TAU] --T T [--h H] [-o DIR] ...

DATA is a CSV file (:mod:`advmcf.samples.csvfile`) or a bundled data set
(``digits:3,8``, ``breast_cancer``: :mod:`advmcf.samples.datasets`).

``advmcf risk`` writes into DIR (default ``results/risk``):

- ``risk.csv``: one row per budget, columns ``eps, risk, n0, n1`` (the
  class sizes), ``lost0, lost1`` (the points of each class the optimal
  classifier loses), ``conflicts`` (points with a conflict), ``arcs`` (of the
  max-flow graph), ``lower_bound``, ``certified``, ``seconds``;
- ``labels.csv``: one row per point: ``point, label``, then for each budget
  ``robust@ε`` (1 if the optimal classifier gets the point right under every
  perturbation) and ``label@ε`` (the robust label, the optimal classifier's
  label of the point);
- ``risk.png`` and ``risk.pdf``: the curve.

``advmcf train`` runs the adversarial scheme with the data's empirical
class measures (:mod:`advmcf.samples.scheme`) on a structured mesh of the
data's bounding box widened by 2ε + 4h (cell size ``--h``, default ε/4);
data in more than three dimensions are first projected on their first two
principal components (the share of the variance they hold is printed).  It
starts from the kernel plug-in classifier of bandwidth ε
(:func:`~advmcf.samples.scheme.kernel_classifier`) and writes into DIR
(default ``results/train``):

- ``train.csv``: one row per step: ``step, t, risk, adversarial_risk,
  perimeter_eps, fidelity, volume, free_vertices, graph_edges, certified,
  seconds`` (risks over the total weight; ``adversarial_risk`` = risk + ε Per_ε);
- ``boundary.png`` and ``.pdf`` (2D data and projections only; in 3D the
  ParaView series shows the boundary): the decision boundary at every step
  over the points;
- ``labels.csv``: the points (as trained on, projected if they were) with
  their label and the final classifier's label ``prediction``;
- ``train.bp``: the level sets at every step, a ParaView time series
  (``phi`` < 0 is class 1).

``risk``: rank 0 reads, computes and writes.  ``train`` is collective (the
scheme runs on every rank, rank 0 writes the tables and figures).  Every
rank returns the same exit code (2 with one line on bad input).
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from pathlib import Path

import numpy as np

__all__ = ["add_samples_parsers", "run_samples_command", "COMMANDS", "parse_budgets"]

#: the subcommands this module adds to ``advmcf``
COMMANDS = ("risk", "train")

_RISK_EXAMPLES = """examples:
  advmcf risk digits:3,8 --eps 0:0.5:11 --norm linf -o results/risk-38   # bundled digits, pixels in [0, 1]
  advmcf risk data.csv --eps 0,0.5,1                                      # columns x1..xd, label[, weight]
  advmcf risk breast_cancer --eps 0:2:21 --selection maximal"""
_TRAIN_EXAMPLES = """examples:
  advmcf train data.csv --eps 0.2 --T 1 -o results/train        # tau = eps (the paper's scheme), h = eps/4
  mpirun -n 2 advmcf train digits:1,7 --eps 0.3 --tau 0.1 --T 0.6  # 64-d digits: first two principal components
  advmcf train data.csv --eps 0.1 --T 0.5 --h 0.02 --selection maximal --p 0"""


def parse_budgets(text: str) -> np.ndarray:
    """``"0,0.5,1"`` (a list) or ``"a:b:n"`` (n equally spaced budgets from a to b) as an array of
    budgets ≥ 0; one-line ValueError otherwise."""
    try:
        if ":" in text:
            a, b, n = text.split(":")
            if int(n) < 1:
                raise ValueError
            eps = np.linspace(float(a), float(b), int(n))
        else:
            eps = np.array([float(v) for v in text.split(",") if v.strip()])
    except ValueError:
        raise ValueError(f"--eps {text}: give budgets as 0,0.5,1 or as a:b:n (n equally spaced)") from None
    if eps.size == 0 or not np.all(np.isfinite(eps)) or np.any(eps < 0):
        raise ValueError(f"--eps {text}: budgets must be finite numbers >= 0")
    return eps


def _data_and_out(parser, command: str) -> None:
    """The arguments every samples command takes: the data and the output folder ``results/<command>``."""
    parser.add_argument("data", help="a CSV file (columns x1..xd, label[, weight]) or digits:A,B or breast_cancer")
    parser.add_argument("-o", "--out", type=Path, default=Path("results") / command, help="output folder")


def add_samples_parsers(sub, parents) -> None:
    """Add ``risk`` and ``train`` to the subparsers ``sub`` of the ``advmcf`` command."""
    fmt = argparse.RawDescriptionHelpFormatter
    r = sub.add_parser("risk", parents=parents, formatter_class=fmt, epilog=_RISK_EXAMPLES,
                       help="the optimal adversarial risk R*(eps) of a labelled data set",
                       description="The optimal adversarial 0-1 risk R*(eps) of labelled points under an l2 or "
                                   "linf budget, exactly (one certified max-flow per budget), with the robust "
                                   "labels.  Writes risk.csv, labels.csv and risk.png.")
    _data_and_out(r, "risk")
    r.add_argument("--eps", required=True, help="budgets: 0,0.5,1 or a:b:n (n equally spaced from a to b)")
    r.add_argument("--norm", choices=("l2", "linf"), default="l2", help="the norm of the budget (default l2)")
    r.add_argument("--selection", choices=("minimal", "maximal"), default="minimal",
                   help="which optimal classifier gives the robust labels (default minimal)")
    t = sub.add_parser("train", parents=parents, formatter_class=fmt, epilog=_TRAIN_EXAMPLES,
                       help="adversarial training on data: the scheme with the data's class measures (collective)",
                       description="Run the adversarial minimizing-movements scheme with the empirical class "
                                   "measures of labelled points, on a mesh of the data's window.  Writes "
                                   "train.csv, boundary.png, labels.csv and the ParaView series train.bp.")
    _data_and_out(t, "train")
    t.add_argument("--eps", required=True, type=float, help="the budget eps > 0")
    t.add_argument("--tau", type=float, default=None, help="the time step (default eps, the paper's scheme)")
    t.add_argument("--T", required=True, type=float, help="the final time")
    t.add_argument("--h", type=float, default=None, help="the mesh's cell size (default eps/4)")
    t.add_argument("--p", type=int, choices=(0, 1), default=1, help="fidelity weight dist^p (default 1)")
    t.add_argument("--selection", choices=("minimal", "maximal"), default="minimal",
                   help="which minimizer every step takes (default minimal)")


def run_samples_command(args, comm) -> int:
    """Run ``advmcf risk`` or ``advmcf train`` (collective); the exit code on every rank."""
    from advmcf.meshes.mpi import on_root

    try:
        if args.command == "train":
            return _train(args, comm)
        return on_root(comm, _risk, args, comm)
    except ValueError as err:
        if comm.rank == 0:
            print(f"advmcf {args.command}: error: {err}", file=sys.stderr)
        return 2


def _risk(args, comm) -> int:
    from advmcf.meshes import checks
    from advmcf.validation.progress import LOGGER, SuiteProgress

    from .csvfile import duplicates
    from .datasets import dataset
    from .figures import plot_risk
    from .risk import optimal_risk

    eps = np.unique(parse_budgets(args.eps))
    out = checks.writable_folder("-o", args.out)
    points = dataset(args.data)
    log = logging.getLogger(LOGGER)
    repeated, both = duplicates(points)
    n0, n1 = points.counts
    log.info("%s: %d points in %d dimensions (%d of class 0, %d of class 1; %d repeated, %d locations with both "
             "labels)", points.source, points.n, points.dim, n0, n1, repeated, both)
    bar = SuiteProgress(comm, [eps.size], enabled=args.quiet == 0)
    bar.start_run(0, f"R*(eps), {eps.size} budgets", eps.size)
    try:
        curve = optimal_risk(points, eps, norm=args.norm, selection=args.selection,
                             progress=lambda k, K, e, s: bar(step=k, t=e))
    finally:
        bar.end_run(0)
        bar.close()
    _write_risk(out / "risk.csv", curve)
    _write_labels(out / "labels.csv", points, curve)
    plot_risk({f"{points.source}, {args.norm}": curve}, out / "risk.png",
              title=f"{points.source}: n = {points.n}, d = {points.dim}, {args.norm} budget")
    if args.quiet < 2:
        print(_markdown(curve))
    log.info("wrote %s, %s, %s", out / "risk.csv", out / "labels.csv", out / "risk.png")
    return 0


def _rows(curve):
    for k, e in enumerate(curve.eps):
        yield {"eps": f"{e:.6g}", "risk": f"{curve.risk[k]:.10g}", "n0": curve.n0, "n1": curve.n1,
               "lost0": int(curve.lost[k, 0]), "lost1": int(curve.lost[k, 1]), "conflicts": int(curve.conflicts[k]),
               "arcs": int(curve.arcs[k]), "lower_bound": f"{curve.lower_bound[k]:.10g}",
               "certified": int(curve.certified[k]), "seconds": f"{curve.seconds[k]:.3f}"}


def _write_risk(path, curve):
    rows = list(_rows(curve))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _write_labels(path, points, curve):
    cols = ["point", "label"] + [f"{kind}@{e:.6g}" for e in curve.eps for kind in ("robust", "label")]
    table = np.column_stack([np.arange(points.n), points.label]
                            + [a for k in range(curve.eps.size) for a in (curve.robust[k], curve.prediction[k])])
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        w.writerows(table.astype(np.int64).tolist())


def _markdown(curve) -> str:
    lines = ["| eps | R*(eps) | lost0 | lost1 | conflicts | certified | seconds |", "|---|---|---|---|---|---|---|"]
    for row in _rows(curve):
        lines.append(f"| {row['eps']} | {float(row['risk']):.4f} | {row['lost0']} | {row['lost1']} | "
                     f"{row['conflicts']} | {'yes' if row['certified'] else 'NO'} | {row['seconds']} |")
    return "\n".join(lines)


def _train(args, comm) -> int:
    from scipy.spatial import cKDTree

    from advmcf.meshes import box, box_plan, checks, p1_space
    from advmcf.meshes.io import write_time_series
    from advmcf.meshes.mpi import on_root
    from advmcf.nonlocal_ import Vertices, check_eps_resolution
    from advmcf.validation.progress import LOGGER, SuiteProgress

    from .datasets import dataset
    from .figures import plot_boundaries
    from .points import principal_components
    from .scheme import kernel_classifier, sample_flow

    eps = checks.positive("--eps", args.eps)
    tau = eps if args.tau is None else checks.positive("--tau", args.tau)
    T = checks.positive("--T", args.T)
    h = eps / 4 if args.h is None else checks.positive("--h", args.h)
    log = logging.getLogger(LOGGER)

    def load():
        out = checks.writable_folder("-o", args.out)
        points = dataset(args.data)
        if points.dim == 1:
            raise ValueError(f"{points.source}: one-dimensional data: the scheme runs on 2D or 3D meshes")
        if points.dim > 3:
            points, share = principal_components(points, 2)
            log.info("%s: %.1f %% of the variance", points.source, 100 * share.sum())
        return out, points

    out, points = on_root(comm, load)
    margin = 2 * eps + 4 * h
    lower, upper = points.x.min(axis=0) - margin, points.x.max(axis=0) + margin
    check_eps_resolution(eps, box_plan(lower, upper, h).h_max, name="--eps")  # before the mesh is made
    msh = box(comm, lower, upper, h)
    V = p1_space(msh)
    phi0 = kernel_classifier(V, points, eps)
    steps = int(np.ceil(T / tau - 1e-9))
    log.info("%s: %d points, mesh of %s, h = %g; eps = %g, tau = %g, %d steps", points.source, points.n,
             " x ".join(f"[{a:.3g}, {b:.3g}]" for a, b in zip(lower, upper)), h, eps, tau, steps)
    bar = SuiteProgress(comm, [steps], enabled=args.quiet == 0)
    bar.start_run(0, "train", steps)
    try:
        ev = sample_flow(phi0, points, eps, T, tau=tau, p=args.p, selection=args.selection,
                         progress=lambda k, t: bar(step=k, t=t))
    finally:
        bar.end_run(0)
        bar.close()
    write_time_series(out / "train.bp", ev.times, {"phi": ev.sets}, fmt="vtx")
    verts = Vertices(V)
    values = [verts.gather(phi) for phi in ev.sets]

    def write():  # rank 0; a failure raises on every rank (on_root)
        _write_train(out / "train.csv", ev)
        _, own = cKDTree(verts.x).query(points.x)
        prediction = (values[-1][own] < 0).astype(int)
        with open(out / "labels.csv", "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow([f"x{k + 1}" for k in range(points.dim)] + ["label", "prediction"])
            w.writerows([[repr(float(v)) for v in points.x[s]] + [int(points.label[s]), int(prediction[s])]
                         for s in range(points.n)])
        written = [out / "train.csv", out / "labels.csv", out / "train.bp"]
        if points.dim == 2:
            written += plot_boundaries(verts.x, values, ev.times, points, out / "boundary.png",
                                       title=f"{points.source}\neps = {eps:g}, tau = {tau:g}, h = {h:g}, n = {points.n}")
        if args.quiet < 2:
            print(_train_markdown(ev))
        log.info("wrote %s", ", ".join(map(str, written)))

    on_root(comm, write)
    return 0


_TRAIN_COLUMNS = ("risk", "adversarial_risk", "perimeter_eps", "fidelity", "volume", "free_vertices", "graph_edges",
                  "certified", "step_time")


def _write_train(path, ev):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["step", "t"] + [c if c != "step_time" else "seconds" for c in _TRAIN_COLUMNS])
        for k, (t, d) in enumerate(zip(ev.times[1:], ev.diagnostics), 1):
            w.writerow([k, f"{t:.10g}"] + [int(d[c]) if isinstance(d[c], (bool, np.bool_, int, np.integer))
                                           else f"{d[c]:.10g}" for c in _TRAIN_COLUMNS])


def _train_markdown(ev) -> str:
    lines = ["| step | t | risk | adversarial risk | eps Per_eps | certified | seconds |",
             "|---|---|---|---|---|---|---|"]
    for k, (t, d) in enumerate(zip(ev.times[1:], ev.diagnostics), 1):
        lines.append(f"| {k} | {t:.4g} | {d['risk']:.4f} | {d['adversarial_risk']:.4f} | "
                     f"{d['adversarial_risk'] - d['risk']:.4f} | {'yes' if d['certified'] else 'NO'} | "
                     f"{d['step_time']:.2f} |")
    return "\n".join(lines)
