"""Shared test configuration.

Serial tests are unmarked; tests that must agree on 1 and 2 ranks are marked
``@pytest.mark.parallel([1, 2])`` (mpi-pytest).  ``make test`` runs
``pytest -m "parallel[1]"`` and then ``mpiexec -n 2 pytest -m "parallel[2]"``.
"""

import advmcf.meshes  # noqa: F401  (first: prepares the DOLFINx stack, see advmcf.meshes.stack)
import pytest
from mpi4py import MPI

from advmcf.meshes.mpi import install_abort_hook

install_abort_hook(MPI.COMM_WORLD)

_GOOD = """
[suite]
name = "t"

[[cases]]
name = "c"
dim = 2
domain = [[-1.0, -1.0], [1.0, 1.0]]
T = 0.1
density = { kind = "gaussian", sigma = 0.5 }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }

[[studies]]
name = "s"
case = "c"
schemes = ["level_set", "nonlocal"]
eps = [0.1, 0.05]
h = "eps/4"
"""


@pytest.fixture
def good():
    """A small valid suite (two schemes, two levels) that the bad-input tests edit."""
    return _GOOD


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """Under ``mpiexec -n N pytest``, only rank 0 reports (the asserts use
    global quantities, so every rank passes or fails together; a rank that
    fails alone still fails the run through its exit code)."""
    if MPI.COMM_WORLD.size > 1 and MPI.COMM_WORLD.rank > 0:
        reporter = config.pluginmanager.getplugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)


def pytest_sessionfinish(session, exitstatus):
    """Make rank 0 (the one that reports) fail when another rank failed."""
    comm = MPI.COMM_WORLD
    if comm.size == 1:
        return
    failed = comm.allgather(int(session.testsfailed))
    if comm.rank == 0 and any(failed[1:]):
        print(f"\nFAILED on other ranks: tests failed per rank {failed}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
