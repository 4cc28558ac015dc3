r"""What the fem_mcf schemes share around the time loop: argument checks and the mesh size.

Each scheme is a stepper (:class:`advmcf.meshes.evolution.Stepper`) run by the
one time loop of every scheme, :func:`advmcf.meshes.evolution.run_flow`.
"""

from __future__ import annotations

import dolfinx
import numpy as np
from dolfinx import fem
from mpi4py import MPI

from advmcf.meshes.evolution import check_times
from advmcf.meshes.mpi import agreed

__all__ = ["check_flow_args", "max_cell_diameter"]


def check_flow_args(phi0, tau, T, output_times) -> list[float]:
    """Check the arguments every scheme shares (τ, T and the output times by
    :func:`advmcf.meshes.evolution.check_times`, agreed by every rank: :func:`advmcf.meshes.mpi.agreed`);
    return the output times."""
    if not isinstance(phi0, fem.Function) or phi0.function_space.element.basix_element.degree != 1 \
            or phi0.function_space.value_size != 1:
        raise ValueError("phi0: must be a scalar P1 dolfinx.fem.Function (the set {phi0 < 0})")
    # every rank raises together, also when the arguments differ between ranks (a hang otherwise)
    return agreed(phi0.function_space.mesh.comm, "tau, T and output_times", (tau, T, output_times),
                  check_times, tau, T, output_times)[2]


def max_cell_diameter(msh: dolfinx.mesh.Mesh) -> float:
    """The global maximum cell diameter of ``msh``."""
    tdim = msh.topology.dim
    num_cells = msh.topology.index_map(tdim).size_local
    local = msh.h(tdim, np.arange(num_cells, dtype=np.int32))
    return msh.comm.allreduce(float(local.max()) if local.size else 0.0, op=MPI.MAX)
