"""The shared density check: values, and one-line errors naming the minimum and where it is."""

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.meshes.densities import density_values


def test_values_and_broadcast_constant():
    x = np.zeros((3, 4))
    x[0] = [0.0, 1.0, 2.0, 3.0]
    assert np.array_equal(density_values("rho", lambda x: 1 + x[0], x), [1.0, 2.0, 3.0, 4.0])
    assert np.array_equal(density_values("rho", lambda x: 2.0, x), [2.0] * 4)


@pytest.mark.parallel([1, 2])
def test_collective_error_names_the_global_minimum():
    comm = MPI.COMM_WORLD
    x = np.zeros((3, 3))
    x[0] = np.array([0.0, 1.0, 2.0]) + 10 * comm.rank  # the minimum lives on the last rank
    last = 10 * (comm.size - 1)
    with pytest.raises(ValueError, match=rf"rho0 must be finite and positive on the mesh vertices, "
                                         rf"but rho0\(x\) = -{last + 2:g} at x = \({last + 2:g}, 0, 0\)"):
        density_values("rho0", lambda x: -x[0], x, comm)
    with pytest.raises(ValueError, match=r"rho1\(x\) = not finite"):
        density_values("rho1", lambda x: np.where(x[0] > 1.5, np.nan, 1.0), x, comm)


def test_wrong_shape():
    with pytest.raises(ValueError, match=r"rho: returned an array of shape \(2,\) for 3 points"):
        density_values("rho", lambda x: np.ones(2), np.zeros((3, 3)))
