"""Fixtures of the hostile-input tests: a folder every rank sees, and ``advmcf`` run in-process.

Each test module here holds one class of bad input; a class is closed when several of its
members end in one line naming the field and the fix (exit code 2 on the command line), on
every rank, with nothing half-written and no number changed.
"""

import re
from pathlib import Path

import pytest
from mpi4py import MPI

COMM = MPI.COMM_WORLD


@pytest.fixture
def shared(tmp_path):
    """A folder every rank sees (rank 0's tmp_path)."""
    return Path(COMM.bcast(str(tmp_path), root=0))


def _on_root(fn):
    COMM.barrier()
    if COMM.rank == 0:
        fn()
    COMM.barrier()


@pytest.fixture
def on_root():
    """``on_root(fn)``: ``fn()`` on rank 0 once every rank got there, then a barrier (no rank looks at
    a file while rank 0 changes it)."""
    return _on_root


@pytest.fixture
def cli(capsys):
    """``cli(argv, code=2) -> lines``: ``advmcf ARGV`` in-process; asserts the exit code (argparse's
    SystemExit included) on every rank and returns the lines rank 0 wrote to stderr (the other ranks
    must write none)."""
    from advmcf.validation.cli import main

    def run(argv, code=2):
        try:
            got = main([str(a) for a in argv])
        except SystemExit as exit_:
            got = exit_.code
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        if COMM.rank != 0:
            assert lines == [], lines
        assert got == code, (got, lines)
        return lines

    return run


def _one_line(lines, match):
    if COMM.rank != 0:
        return
    assert len(lines) == 1 and re.search(match, lines[0]), lines
    assert lines[0].startswith("advmcf"), lines


@pytest.fixture
def one_line():
    """``one_line(lines, match)``: assert (on rank 0) that ``lines`` is one line starting with
    ``advmcf`` that matches ``match``."""
    return _one_line
