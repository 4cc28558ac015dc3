"""Shared test configuration.

Serial tests are unmarked; tests that must agree on 1 and 2 ranks are marked
``@pytest.mark.parallel([1, 2])`` (mpi-pytest).  ``make test`` runs
``pytest -m "parallel[1]"`` and then ``mpiexec -n 2 pytest -m "parallel[2]"``.
"""

import dolfinx_solver  # noqa: F401  (loads MPI before dolfinx/petsc4py)
from mpi4py import MPI

from meshes.mpi import install_abort_hook

install_abort_hook(MPI.COMM_WORLD)
