"""Checking a density callable before a solver uses it."""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

__all__ = ["checked_density_values"]


def checked_density_values(rho, points: np.ndarray, comm: MPI.Comm, where: str) -> np.ndarray:
    r"""Evaluate ``rho`` at ``points`` and require it finite and positive everywhere.

    Args:
        rho: a density callable ``rho(x)``, ``x`` of shape ``(3, num_points)``,
            returning ``(num_points,)`` values.
        points: ``(3, num_points)`` coordinates local to this rank (may be empty).
        comm: the communicator over which the check is collective.
        where: a short description of the points, for the error message.

    Returns:
        The local values, shape ``(num_points,)``.

    Raises:
        ValueError: on every rank together if rho is not finite and positive at
            some point of some rank; the message gives the global minimum and
            the point where it is attained.
    """
    values = np.asarray(rho(points), dtype=float).reshape(-1)
    if values.shape[0] != points.shape[1]:
        raise ValueError(
            f"rho: returned {values.shape[0]} values for {points.shape[1]} points; "
            "it must map x of shape (3, n) to n values")
    bad = ~np.isfinite(values)
    keyed = np.where(bad, -np.inf, values)
    local_min = float(keyed.min()) if keyed.size else np.inf
    global_min, owner = comm.allreduce((local_min, comm.rank), op=MPI.MINLOC)
    if not global_min > 0:
        point = None
        if comm.rank == owner:
            point = points[:, int(np.argmin(keyed))].tolist()
        point = comm.bcast(point, root=owner)
        value = "a non-finite value" if global_min == -np.inf else f"min {global_min:.6g}"
        raise ValueError(
            f"rho: must be finite and positive on {where}, got {value} at x = {np.round(point, 6).tolist()}")
    return values
