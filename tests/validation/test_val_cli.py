"""The command line's surface: --version, help with examples on every subcommand, -v/-q levels, progress."""

import io
import logging

import pytest
from mpi4py import MPI

from advmcf.validation.cli import _parser, main
from advmcf.validation.progress import LOGGER, SuiteProgress, configure_logging


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("advmcf 0.1.0 (DOLFINx 0.11") and "PETSc 3." in out and "Python 3." in out


@pytest.mark.parametrize("argv", [["run"], ["table"], ["plot"], ["mesh", "box"], ["mesh", "disc"],
                                  ["mesh", "ball"], ["mesh", "convert"], ["mesh", "info"]])
def test_every_subcommand_has_examples_and_verbosity(argv, capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(argv + ["-h"])
    out = capsys.readouterr().out
    assert "examples:\n  " in out and "advmcf " + " ".join(argv) in out
    assert "-v, --verbose" in out and "-q, --quiet" in out


def test_outputs_are_all_dash_o():
    """Every subcommand that writes takes -o: run (folder), table (file), plot (folder), mesh (file)."""
    p = _parser()
    assert p.parse_args(["run", "quick", "-o", "d"]).out == "d"
    assert p.parse_args(["table", "d", "-o", "t.tex"]).output.name == "t.tex"
    assert p.parse_args(["plot", "d", "-o", "figs"]).out == "figs"
    assert p.parse_args(["mesh", "convert", "in.msh", "-o", "out.xdmf"]).output == "out.xdmf"
    args = p.parse_args(["run", "quick", "-vv", "-q"])
    assert args.verbose - args.quiet == 1


@pytest.fixture
def records():
    """Log records reaching the root logger's handlers (configure_logging sets the levels)."""
    got = []

    class Keep(logging.Handler):
        def emit(self, record):
            got.append(record)

    h = Keep(level=logging.DEBUG)
    logging.getLogger().addHandler(h)
    yield got
    logging.getLogger().removeHandler(h)
    configure_logging(0)


def test_verbosity_levels(records):
    inner = logging.getLogger("advmcf.nonlocal_.step")
    for v, expect_inner, expect_progress in ((-1, False, False), (0, False, True), (1, True, True)):
        records.clear()
        configure_logging(v, rank=0)
        inner.info("band too narrow, widening")
        logging.getLogger(LOGGER).info("[1/2] run: ok")
        shown = [r.getMessage() for r in records]  # a logger creates a record only at its level
        assert ("band too narrow, widening" in shown) == expect_inner, (v, shown)
        assert ("[1/2] run: ok" in shown) == expect_progress, (v, shown)
    configure_logging(0, rank=1)  # other ranks: errors only
    assert not logging.getLogger(LOGGER).isEnabledFor(logging.WARNING)
    configure_logging(2, rank=0)  # -vv: advmcf's debug messages, not matplotlib's font search or numba's
    assert logging.getLogger("advmcf.nonlocal_.step").isEnabledFor(logging.DEBUG)
    for name in ("matplotlib.font_manager", "PIL.PngImagePlugin", "numba.core.ssa"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name


def test_progress_lines_have_totals_and_eta(records):
    configure_logging(0, rank=0)
    progress = SuiteProgress(MPI.COMM_SELF, [1.0, 3.0], every=0.0, stream=io.StringIO())
    progress.start_run(0, "[1/2] s/x", 4)
    for k in range(1, 5):
        progress(k, 0.1 * k)
    progress.end_run(0)
    progress.close()
    lines = [r.getMessage() for r in records if r.name == LOGGER]
    assert len(lines) == 4 and "step 2/4, t = 0.2, run ETA " in lines[1] and "suite 12% ETA " in lines[1], lines
    assert all(line.startswith("[1/2] s/x: step ") for line in lines), lines  # the run's prefix once
    records.clear()
    configure_logging(-1, rank=0)  # -q: no progress
    quiet = SuiteProgress(MPI.COMM_SELF, [1.0], every=0.0, stream=io.StringIO())
    quiet.start_run(0, "x", 2)
    quiet(1, 0.1)
    assert not [r for r in records if r.name == LOGGER]
