import pytest
from mpi4py import MPI

from advmcf.meshes.mpi import on_root


@pytest.mark.parallel([1, 2])
def test_on_root_broadcasts_result():
    comm = MPI.COMM_WORLD
    assert on_root(comm, lambda: 40 + comm.rank + 2) == 42


@pytest.mark.parallel([1, 2])
def test_on_root_raises_on_every_rank():
    comm = MPI.COMM_WORLD

    def fail():
        raise ValueError("mesh file 'x.msh': does not parse")

    with pytest.raises(ValueError, match="does not parse"):
        on_root(comm, fail)
