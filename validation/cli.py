r"""The ``advmcf`` command line.

::

    mpirun -n N advmcf run SUITE [--out DIR] [--resume]   # SUITE: a TOML file or a built-in name
    advmcf table DIR [--format md|tex|csv]
    advmcf plot DIR
    advmcf list
    advmcf mesh ...                                       # see meshes.cli

Every rank parses the arguments and loads the suite; a bad suite is reported
by rank 0 in one line and every rank exits with code 2 before any mesh is
made.  Runs are collective; rank 0 prints progress and writes the files.
``advmcf run`` exits with 1 if any run failed (the others are still run and
tabulated), 2 on a bad suite, 0 otherwise.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from meshes.cli import add_mesh_parser, run_mesh_command

__all__ = ["main"]


def _parser():
    p = argparse.ArgumentParser(prog="advmcf", description=(
        "Adversarial training as weighted mean curvature flow: validation suites, error tables "
        "and meshes (run under mpirun for parallel runs)."))
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a validation suite (collective; rank 0 writes)")
    r.add_argument("suite", help="a suite TOML file or the name of a built-in suite (see 'advmcf list')")
    r.add_argument("--out", type=Path, default=None, help="output folder (default results/<suite name>)")
    r.add_argument("--resume", action="store_true", help="reuse runs recorded in --out with the same inputs (parameters, case, mesh file, code); recompute the rest")
    r.add_argument("--quiet", action="store_true", help="no progress lines")
    r.add_argument("--vtx", action="store_true", help="also write every run's sets to DIR/vtx/<run>.bp (ParaView)")
    t = sub.add_parser("table", help="print the error tables of a finished suite")
    t.add_argument("dir", type=Path)
    t.add_argument("--format", choices=("md", "tex", "csv"), default="md")
    pl = sub.add_parser("plot", help="write the figures of a finished suite into DIR")
    pl.add_argument("dir", type=Path)
    sub.add_parser("list", help="list the built-in suites, density kinds, shapes and schemes")
    add_mesh_parser(sub)
    return p


def _list() -> int:
    from validation.cases import REFERENCES, SHAPES
    from validation.densities import DENSITY_KINDS
    from validation.schemes import SCHEMES
    from validation.suites import builtin_suites, load_suite

    print("Built-in suites:")
    for name, path in sorted(builtin_suites().items()):
        try:
            suite = load_suite(path)
            print(f"  {name:8s} {len(suite.runs):3d} runs  {suite.description}")
            for case in suite.cases.values():
                print(f"           case {case.name}: dim {case.dim}, {case.density.label}, "
                      f"initial {case.initial['shape']}, T = {case.T:g}, reference {case.reference_kind}")
        except ValueError as err:
            print(f"  {name:8s} invalid: {err}")
    print("Density kinds: " + ", ".join(DENSITY_KINDS))
    print("Initial shapes: " + ", ".join(SHAPES + ("bayes",)))
    print("Schemes: " + ", ".join(f"{k} (options: {', '.join(s.options) or 'none'})" for k, s in SCHEMES.items()))
    print("References: " + ", ".join(REFERENCES))
    return 0


def _run(args, comm) -> int:
    from validation.runner import run_suite
    from validation.suites import SuiteError, load_suite

    try:
        suite = load_suite(args.suite)
    except SuiteError as err:
        if comm.rank == 0:
            print(f"advmcf: error: {err}", file=sys.stderr)
        return 2
    out = args.out if args.out is not None else Path("results") / suite.name
    if comm.rank == 0:
        logging.info("suite %s: %d runs on %d rank(s), output %s", suite.name, len(suite.runs), comm.size, out)
    doc = run_suite(suite, out, comm, resume=args.resume, vtx=args.vtx)
    failed = [r["run"]["id"] for r in doc["runs"] if r["status"] != "ok"]
    if comm.rank == 0:
        from validation.plots import plot_all

        plot_all(out)
        print((out / "table.md").read_text())
        if failed:
            print(f"advmcf: {len(failed)} of {len(doc['runs'])} runs failed (reasons in the table and "
                  f"{out / 'results.json'})", file=sys.stderr)
    return 1 if failed else 0


def main(argv=None) -> int:
    from meshes.stack import init_petsc, split_petsc_args

    argv, petsc_args = split_petsc_args(sys.argv[1:] if argv is None else argv)
    if petsc_args:  # before anything imports petsc4py.PETSc: PETSc's own initialization reads them
        init_petsc(petsc_args)
    from mpi4py import MPI

    from meshes.mpi import install_abort_hook

    comm = MPI.COMM_WORLD
    install_abort_hook(comm)
    args = _parser().parse_args(argv)
    quiet = getattr(args, "quiet", False)
    logging.basicConfig(level=logging.WARNING if (quiet or comm.rank != 0) else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    if args.command == "run":
        return _run(args, comm)
    if args.command == "mesh":
        return run_mesh_command(args, comm)
    if comm.rank != 0:
        return 0
    if args.command == "list":
        return _list()
    from validation.results import load_results

    try:
        doc = load_results(args.dir)
    except ValueError as err:
        print(f"advmcf: error: {err}", file=sys.stderr)
        return 2
    if args.command == "table":
        from validation.tables import render

        print(render(doc, args.format), end="")
        return 0
    from validation.plots import plot_all

    for path in plot_all(args.dir):
        print(path)
    return 0
