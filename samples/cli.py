r"""The ``advmcf risk`` command (registered by :mod:`advmcf.validation.cli`).

::

    advmcf risk DATA --eps 0,0.5,1 [--norm l2|linf] [--selection minimal|maximal] [-o DIR]

DATA is a CSV file (:mod:`advmcf.samples.csvfile`) or a bundled data set
(``digits:3,8``, ``breast_cancer``: :mod:`advmcf.samples.datasets`).  Writes
into DIR (default ``results/risk``):

- ``risk.csv``: one row per budget, columns ``eps, risk, n0, n1`` (the
  class sizes), ``lost0, lost1`` (the points of each class the optimal
  classifier loses), ``conflicts`` (points with a conflict), ``arcs`` (of the
  max-flow graph), ``lower_bound``, ``certified``, ``seconds``;
- ``labels.csv``: one row per point: ``point, label``, then for each budget
  ``robust@ε`` (1 if the optimal classifier gets the point right under every
  perturbation) and ``label@ε`` (the robust label, the optimal classifier's
  label of the point);
- ``risk.png`` and ``risk.pdf``: the curve.

Rank 0 reads, computes and writes; every rank returns the same exit code
(2 with one line on bad input).
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
COMMANDS = ("risk",)

_RISK_EXAMPLES = """examples:
  advmcf risk digits:3,8 --eps 0:0.5:11 --norm linf -o results/risk-38   # bundled digits, pixels in [0, 1]
  advmcf risk data.csv --eps 0,0.5,1                                      # columns x1..xd, label[, weight]
  advmcf risk breast_cancer --eps 0:2:21 --selection maximal"""


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


def add_samples_parsers(sub, parents) -> None:
    """Add ``risk`` to the subparsers ``sub`` of the ``advmcf`` command."""
    fmt = argparse.RawDescriptionHelpFormatter
    r = sub.add_parser("risk", parents=parents, formatter_class=fmt, epilog=_RISK_EXAMPLES,
                       help="the optimal adversarial risk R*(eps) of a labelled data set",
                       description="The optimal adversarial 0-1 risk R*(eps) of labelled points under an l2 or "
                                   "linf budget, exactly (one certified max-flow per budget), with the robust "
                                   "labels.  Writes risk.csv, labels.csv and risk.png.")
    r.add_argument("data", help="a CSV file (columns x1..xd, label[, weight]) or digits:A,B or breast_cancer")
    r.add_argument("--eps", required=True, help="budgets: 0,0.5,1 or a:b:n (n equally spaced from a to b)")
    r.add_argument("--norm", choices=("l2", "linf"), default="l2", help="the norm of the budget (default l2)")
    r.add_argument("--selection", choices=("minimal", "maximal"), default="minimal",
                   help="which optimal classifier gives the robust labels (default minimal)")
    r.add_argument("-o", "--out", type=Path, default=Path("results") / "risk", help="output folder")


def run_samples_command(args, comm) -> int:
    """Run ``advmcf risk`` (collective; rank 0 works); the exit code on every rank."""
    from advmcf.meshes.mpi import on_root

    try:
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
