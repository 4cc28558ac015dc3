r"""The ``advmcf`` command line.

::

    mpirun -n N advmcf run SUITE [-o DIR] [--resume] [--vtx] [--xdmf] [--sequential] [--shard I/N] [PETSc options]
    advmcf table DIR [-f md|tex|csv] [--columns K,...] [--study NAME] [-o FILE]
    advmcf plot DIR [-o DIR]
    advmcf list
    advmcf mesh box|disc|ball|convert|info ...             # see advmcf.meshes.cli
    advmcf risk DATA --eps ... [--norm l2|linf] [-o DIR]   # see advmcf.samples.cli
    mpirun -n N advmcf train DATA --eps E --T T [-o DIR]   # see advmcf.samples.cli
    advmcf --version

Every subcommand takes ``-v``/``-q`` (repeatable; :mod:`advmcf.validation.progress`)
and ``-h`` with examples.  PETSc options (``-level_set_ksp_monitor``,
``-log_view``, ...) go after the other arguments and are passed to PETSc's
initialization (:mod:`advmcf.meshes.stack`).

Every rank parses the arguments and loads the suite; a bad suite is reported
by rank 0 in one line and every rank exits with code 2 before any mesh is
made.  Under ``mpirun`` independent runs go at the same time on lanes of
ranks (:mod:`advmcf.validation.lanes`; ``--sequential``: one after another on
all ranks); the first rank of each lane prints its runs' progress and writes
their records, rank 0 the tables.
``advmcf run`` exits with 1 if any run failed (the others are still run and
tabulated), 2 on a bad suite, 0 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from pathlib import Path

from advmcf.meshes.cli import add_mesh_parser, run_mesh_command
from advmcf.samples.cli import COMMANDS as SAMPLES_COMMANDS, add_samples_parsers, run_samples_command

__all__ = ["main"]

_RUN_EXAMPLES = """examples:
  advmcf run quick                                  # the demo suite, output in results/quick
  mpirun -n 2 advmcf run paper -o results/paper     # a built-in suite on 2 ranks
  advmcf run my_suite.toml -o out --resume          # reuse the runs already in out/
  advmcf run quick --vtx                            # also ParaView time series in results/quick/vtx/
  advmcf run quick -level_set_ksp_monitor -log_view # PETSc options last (prefix level_set_)
  advmcf run exact -o out --shard 0/2                # half the runs (another job runs --shard 1/2)
  advmcf run exact -o out --resume                   # then: the tables of both halves

PETSc options also come from PETSC_OPTIONS and a suite's [petsc_options] table."""
_TABLE_EXAMPLES = """examples:
  advmcf table results/quick                           # Markdown on stdout
  advmcf table results/quick -o errors.tex             # LaTeX (booktabs + siunitx), format from the suffix
  advmcf table results/paper --study diagonal -f tex   # one study
  advmcf table results/quick --columns scheme,eps,h,radius_error,radius_error_order
  advmcf table results/quick --columns help            # list the column keys"""
_PLOT_EXAMPLES = """examples:
  advmcf plot results/quick                  # figures (PNG and PDF) into results/quick
  advmcf plot results/quick -o figures/      # elsewhere"""


def _shard(text: str) -> tuple[int, int]:
    """``I/N`` with 0 <= I < N: the shard of ``--shard``."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not I/N (e.g. 0/4)") from None
    if not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"{text!r}: need 0 <= I < N")
    return i, n


def _common():
    """-v/-q, shared by every subcommand."""
    c = argparse.ArgumentParser(add_help=False)
    g = c.add_argument_group("verbosity")
    g.add_argument("-v", "--verbose", action="count", default=0,
                   help="more messages (-v: every module's information, -vv: debug)")
    g.add_argument("-q", "--quiet", action="count", default=0,
                   help="fewer messages (-q: no progress, warnings only; -qq: errors only)")
    return c


class _Version(argparse.Action):
    """``--version``: advmcf's version and the stack's, read when asked (DOLFINx is imported then)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib import metadata
        import platform

        import dolfinx
        from petsc4py import PETSc

        try:
            version = metadata.version("advmcf")
        except metadata.PackageNotFoundError:
            version = "unknown (not installed)"
        petsc = ".".join(map(str, PETSc.Sys.getVersion()))
        print(f"advmcf {version} (DOLFINx {dolfinx.__version__}, PETSc {petsc}, "
              f"Python {platform.python_version()})")
        parser.exit()


def _parser():
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(prog="advmcf", formatter_class=fmt, description=(
        "Adversarial training as weighted mean curvature flow: validation suites, error tables, "
        "figures and meshes (run under mpirun for parallel runs)."),
        epilog="Run 'advmcf COMMAND -h' for the options and examples of a command.")
    p.add_argument("--version", action=_Version, help="print advmcf's version and the stack's, and exit")
    common = _common()
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    r = sub.add_parser("run", parents=[common], formatter_class=fmt, epilog=_RUN_EXAMPLES,
                       help="run a validation suite (collective; rank 0 writes)",
                       description="Run a validation suite: every run, then tables and figures.")
    r.add_argument("suite", help="a suite TOML file or the name of a built-in suite (see 'advmcf list')")
    r.add_argument("-o", "--out", default=None, help="output folder (default results/<suite name>)")
    r.add_argument("--resume", action="store_true",
                   help="reuse runs recorded in --out with the same inputs (parameters, case, mesh file, code); "
                        "recompute the rest")
    r.add_argument("--force", action="store_true",
                   help="replace the results of another suite in --out (the folder is emptied first)")
    r.add_argument("--vtx", action="store_true",
                   help="also write every run at every step to OUT/vtx/<run>.bp (ADIOS2; ParaView time series "
                        "of phi = signed distance, phi_reference, rho0, rho1)")
    r.add_argument("--xdmf", action="store_true", help="the same as XDMF: OUT/xdmf/<run>.xdmf and .h5")
    r.add_argument("--sequential", action="store_true",
                   help="under mpirun, every run on all ranks one after another (default: independent runs at "
                        "the same time on lanes of ranks)")
    r.add_argument("--shard", type=_shard, default=None, metavar="I/N",
                   help="only the runs whose index is I modulo N (one of N jobs writing to the same --out); "
                        "'advmcf run SUITE -o OUT --resume' without --shard then writes the tables")
    t = sub.add_parser("table", parents=[common], formatter_class=fmt, epilog=_TABLE_EXAMPLES,
                       help="print or write the error tables of a finished suite",
                       description="The error tables of a finished suite, with observed orders.")
    t.add_argument("dir", type=Path, help="the suite's output folder")
    t.add_argument("-f", "--format", choices=("md", "tex", "csv"), default=None,
                   help="md (default), tex (booktabs + siunitx) or csv (one row per run); "
                        "default from the suffix of -o")
    t.add_argument("--columns", default=None, help="comma-separated column keys, in order ('help' lists them)")
    t.add_argument("--study", action="append", default=None, help="only this study (repeatable)")
    t.add_argument("-o", "--output", type=Path, default=None, help="write to this file instead of stdout")
    pl = sub.add_parser("plot", parents=[common], formatter_class=fmt, epilog=_PLOT_EXAMPLES,
                        help="write the figures of a finished suite",
                        description="Write the figures of a finished suite (PNG and vector PDF).")
    pl.add_argument("dir", type=Path, help="the suite's output folder")
    pl.add_argument("-o", "--out", default=None, help="folder for the figures (default DIR)")
    sub.add_parser("list", parents=[common], help="list the built-in suites, density kinds, shapes and schemes",
                   description="List the built-in suites, density kinds, initial shapes, schemes and references.")
    add_mesh_parser(sub, parents=[common])
    add_samples_parsers(sub, parents=[common])
    return p


def _list() -> int:
    from advmcf.validation.cases import REFERENCES, SHAPES
    from advmcf.validation.class_densities import DENSITY_KINDS
    from advmcf.validation.schemes import SCHEMES
    from advmcf.validation.suites import builtin_suites, load_suite

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
    import logging

    from advmcf.fem_mcf import PetscOptionError
    from advmcf.validation.progress import LOGGER
    from advmcf.meshes.mpi import RankDivergenceError, agreed, on_root
    from advmcf.validation.runner import OutputFolderError, check_resumable, run_suite
    from advmcf.validation.suites import SuiteError, load_suite

    try:
        if args.resume and args.out is not None:  # before the suite's checks, which can take minutes
            on_root(comm, check_resumable, args.out)
    except OutputFolderError as err:
        if comm.rank == 0:
            print(f"advmcf: error: {err}", file=sys.stderr)
        return 2
    try:  # loaded on every rank: the outcome and the suite's text agreed (a file that differs between nodes)
        suite = agreed(comm, f"the suite {args.suite}", None, load_suite, args.suite)
        agreed(comm, f"the text of the suite {args.suite}", suite.source)
    except RankDivergenceError as err:
        if comm.rank == 0:
            print(f"advmcf: error: {err}", file=sys.stderr)
        return 2
    except SuiteError as err:
        if comm.rank == 0:
            for line in err.problems:
                print(f"advmcf: error: {line}", file=sys.stderr)
            if len(err.problems) > 1:
                print(f"advmcf: {len(err.problems)} errors in {args.suite}: nothing was run", file=sys.stderr)
        return 2
    if args.out is not None and not args.out.strip():
        if comm.rank == 0:
            print("advmcf: error: --out: an empty folder name (it would be the working folder): give a folder",
                  file=sys.stderr)
        return 2
    out = args.out = Path(args.out) if args.out is not None else Path("results") / suite.name
    logging.getLogger(LOGGER).info("suite %s: %d runs on %d rank(s), output %s", suite.name, len(suite.runs),
                                   comm.size, out)
    try:
        doc = run_suite(suite, out, comm, resume=args.resume, vtx=args.vtx, xdmf=args.xdmf, force=args.force,
                        concurrent=False if args.sequential else None, shard=args.shard)
    except (OutputFolderError, PetscOptionError) as err:
        if comm.rank == 0:
            print(f"advmcf: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a write into the output folder failed (a full disk, a link in its place)
        if comm.rank == 0:
            print(f"advmcf: error: cannot write {err.filename or out}: {err.strerror or err}", file=sys.stderr)
        return 2
    failed = [r["run"]["id"] for r in doc["runs"] if r["status"] == "failed"]
    if len(doc["runs"]) < len(suite.runs):  # a shard, before every shard has finished: no tables yet
        return 1 if failed else 0
    if comm.rank == 0:
        from advmcf.validation.plots import plot_all
        from advmcf.validation.tables import render

        plot_all(out)
        if args.quiet < 2:
            print(render(doc, "md"))
        if failed:
            print(f"advmcf: {len(failed)} of {len(doc['runs'])} runs failed (reasons in the table and "
                  f"{out / 'results.json'})", file=sys.stderr)
    return 1 if failed else 0


def _table(args, doc) -> int:
    from advmcf.validation.results import atomic_write_text
    from advmcf.validation.tables import column_keys, render

    if args.columns is not None and args.columns.strip() == "help":
        print("column keys: " + ", ".join(column_keys(doc)))
        return 0
    fmt = args.format
    if fmt is None:
        suffix = args.output.suffix.lstrip(".") if args.output is not None else ""
        fmt = suffix if suffix in ("md", "tex", "csv") else "md"
    columns = None if args.columns is None else [c.strip() for c in args.columns.split(",") if c.strip()]
    studies = None if args.study is None else [s for arg in args.study for s in arg.split(",") if s]
    try:
        text = render(doc, fmt, columns=columns, studies=studies)
    except ValueError as err:
        print(f"advmcf table: error: {err}", file=sys.stderr)
        return 2
    if args.output is None:
        print(text, end="")
        return 0
    try:
        atomic_write_text(args.output, text)
    except OSError as err:
        print(f"advmcf table: error: -o {args.output}: cannot write ({err.strerror or err})", file=sys.stderr)
        return 2
    print(args.output)
    return 0


def main(argv=None) -> int:
    from advmcf.meshes.stack import init_petsc, split_petsc_args

    import os

    from mpi4py import MPI  # (before PETSc: advmcf.meshes loaded it already)

    from advmcf.meshes.mpi import RankDivergenceError, agreed

    argv, petsc_args = split_petsc_args(sys.argv[1:] if argv is None else argv)
    comm = MPI.COMM_WORLD
    try:  # every rank must be given the same command (mpirun -n 1 advmcf A : -n 1 advmcf B hangs otherwise)
        agreed(comm, "the command line and PETSC_OPTIONS", [argv, petsc_args, os.environ.get("PETSC_OPTIONS", "")])
        problem = _options_files(petsc_args)
    except RankDivergenceError as err:
        problem = str(err)
    if problem is not None:  # PETSc would read a device or a huge file until memory runs out
        if comm.rank == 0:
            print(f"advmcf: error: {problem}", file=sys.stderr)
        return 2
    if petsc_args:  # before anything imports petsc4py.PETSc: PETSc's own initialization reads them
        init_petsc(petsc_args)

    from advmcf.meshes.mpi import install_abort_hook
    from advmcf.validation.progress import configure_logging

    install_abort_hook(comm)
    from petsc4py import PETSc  # initializes PETSc; its signal handlers are replaced below

    if not PETSc.Options().hasName("options_left"):  # advmcf run reports unused options itself, in one line
        PETSc.Options()["options_left"] = "0"
    if hasattr(signal, "SIGPIPE"):  # 'advmcf list | head': end quietly, as a Unix tool does
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = _parser().parse_args(argv)
    configure_logging(args.verbose - args.quiet, comm.rank)
    previous = signal.signal(signal.SIGTERM, _terminated)  # the one-line message of Ctrl-C, not PETSc's crash report
    try:
        with _signals_reach_native_code(comm.rank):
            return _command(args, comm)
    except KeyboardInterrupt as stop:
        return _interrupted(args, comm, 143 if isinstance(stop, Terminated) else 130)
    finally:  # main() called in-process (tests, notebooks) leaves the caller's handler
        signal.signal(signal.SIGTERM, previous)


#: Seconds a process stuck in native code (an MPI collective another rank never joins) is given to
#: handle Ctrl-C or SIGTERM in Python before it leaves without it.
SIGNAL_GRACE = 5.0


@contextlib.contextmanager
def _signals_reach_native_code(rank: int):
    """Ctrl-C and SIGTERM end the process even while its main thread is in native code that never returns
    (Python runs signal handlers only between bytecodes): Python's C-level handler writes each signal to
    a wakeup pipe (:func:`signal.set_wakeup_fd`) that a thread watches; if the main thread has not
    handled the signal within :data:`SIGNAL_GRACE` seconds, the thread writes the one line (rank 0) and
    ends the process with 130 or 143.  Hand-written: the standard library has no such watchdog."""
    import os
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read, write = os.pipe()
    os.set_blocking(write, False)
    previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    done = threading.Event()

    def watch():
        while (byte := os.read(read, 1)) and not done.is_set():
            if byte[0] in (signal.SIGINT, signal.SIGTERM) and not done.wait(SIGNAL_GRACE):
                code, what = (143, "terminated") if byte[0] == signal.SIGTERM else (130, "interrupted")
                if rank == 0:
                    os.write(2, f"advmcf: {what} (inside a solver or an MPI call: nothing more written)\n".encode())
                os._exit(code)

    watcher = threading.Thread(target=watch, name="advmcf-signals", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        os.close(write)  # the watcher reads the end of the pipe and returns
        watcher.join()
        os.close(read)


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a batch system's time limit), handled as Ctrl-C is, with exit code 143."""


def _terminated(signum, frame):
    raise Terminated()


def _options_files(petsc_args) -> str | None:
    """The problem with a file PETSc would read at initialization (``-options_file FILE`` on the command
    line or in ``PETSC_OPTIONS``), or None: it must be a regular file of at most 1 MiB
    (:func:`advmcf.meshes.files.check_regular_file`)."""
    import os
    import shlex

    from advmcf.meshes.files import LIMITS, check_regular_file

    try:
        tokens = list(petsc_args) + shlex.split(os.environ.get("PETSC_OPTIONS", ""))
    except ValueError:
        return "PETSC_OPTIONS: its quotes do not match"
    for flag, value in zip(tokens, tokens[1:] + [None]):
        if flag in ("-options_file", "-options_file_yaml"):
            if value is None or value.startswith("-"):
                return f"{flag}: give the file"
            try:
                check_regular_file(value, LIMITS["options"], flag)
            except OSError as err:
                return f"{flag} {value}: cannot read ({err.strerror})"
            except ValueError as err:
                return str(err)
    return None


def _interrupted(args, comm, code: int = 130) -> int:
    """Ctrl-C (or SIGTERM): one line saying what is kept, exit code ``code`` (130, 143 for SIGTERM).  Under
    MPI another rank may be waiting
    in a collective that never completes, so the process leaves without MPI_Finalize (mpiexec then
    ends the others); rank 0 says it, another rank only if rank 0 did not end it within a second."""
    import os
    import time

    where = getattr(args, "out", None) if args.command == "run" else None
    hint = f": finished runs are kept in {where}/runs, add --resume to go on" if where is not None else ""
    what = "terminated" if code == 143 else "interrupted"
    if comm.size == 1:
        print(f"advmcf: {what}{hint}", file=sys.stderr)
        return code
    if comm.rank != 0:
        time.sleep(1.0)
    print(f"advmcf: {what}{hint}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(code)


def _command(args, comm) -> int:
    if args.command == "run":
        return _run(args, comm)
    if args.command == "mesh":
        return run_mesh_command(args, comm)
    if args.command in SAMPLES_COMMANDS:
        return run_samples_command(args, comm)
    # the others read files and print: rank 0 does it, every rank exits with its code
    code = _on_rank0(args) if comm.rank == 0 else None
    return comm.bcast(code, root=0)


def _on_rank0(args) -> int:
    if args.command == "list":
        return _list()
    from advmcf.validation.results import load_results

    try:
        doc = load_results(args.dir)
    except ValueError as err:
        print(f"advmcf: error: {err}", file=sys.stderr)
        return 2
    try:
        return _table(args, doc) if args.command == "table" else _plot(args)
    except (KeyError, TypeError, IndexError, AttributeError) as err:  # a field of a shape the checks let through
        logging.getLogger(__name__).info("advmcf %s on %s", args.command, args.dir, exc_info=True)
        print(f"advmcf {args.command}: error: {Path(args.dir) / 'results.json'}: a field of an unexpected shape "
              f"({type(err).__name__}: {err}): run the suite again, with --resume (-v shows where)", file=sys.stderr)
        return 2


def _plot(args) -> int:
    from advmcf.meshes import checks
    from advmcf.validation.plots import plot_all

    try:
        checks.writable_folder("-o" if args.out is not None else "the folder", args.dir if args.out is None else args.out)
    except ValueError as err:
        print(f"advmcf plot: error: {err}", file=sys.stderr)
        return 2
    try:
        paths = plot_all(args.dir, args.out)
    except OSError as err:
        print(f"advmcf plot: error: cannot write {err.filename}: {err.strerror or err}", file=sys.stderr)
        return 2
    except ValueError as err:  # a run's figure data that is not one (advmcf.validation.plots.figure_data)
        print(f"advmcf plot: error: {err}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0
