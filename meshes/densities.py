r"""Evaluating a density callable and checking it, shared by every scheme.

A density is a plain callable ``rho(x)``, ``x`` of shape ``(3, num_points)``,
returning ``(num_points,)`` values (see :mod:`advmcf.meshes`).  The schemes need it
finite and positive (bounded below by a positive constant on Ω).
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from advmcf.meshes import checks

__all__ = ["density_values"]


def density_values(name: str, rho, points: np.ndarray, comm: MPI.Comm | None = None,
                   where: str = "the mesh vertices") -> np.ndarray:
    r"""``rho(points)`` as a ``(num_points,)`` array, checked finite and positive.

    Args:
        name: the argument's name for the message (``"rho"``, ``"rho0"``...).
        rho: the density callable.
        points: ``(3, num_points)`` coordinates (local to this rank; may be empty).
        comm: if given, the check is collective: every rank raises together,
            and the message names the global minimum and where it is.
        where: what the points are, for the message.

    Raises:
        ValueError: one line naming the smallest (or a non-finite) value and
            its point, e.g. ``rho1 must be finite and positive on the mesh
            vertices, but rho1(x) = -0.5 at x = (1, 0, 0): ...``.
    """
    checks.density_callable(name, rho)
    values = np.asarray(rho(points), dtype=np.float64)
    try:
        values = np.broadcast_to(values, (points.shape[1],)).copy()
    except ValueError:
        raise ValueError(f"{name}: returned an array of shape {values.shape} for {points.shape[1]} points; "
                         "it must map x of shape (3, n) to n values") from None
    keyed = np.where(np.isfinite(values), values, -np.inf)
    local_min = float(keyed.min()) if keyed.size else np.inf
    point = points[:, int(np.argmin(keyed))].tolist() if keyed.size else None
    if comm is not None:
        local_min, owner = comm.allreduce((local_min, comm.rank), op=MPI.MINLOC)
        point = comm.bcast(point, root=owner)
    if not local_min > 0:
        value = "not finite" if local_min == -np.inf else f"{local_min:g}"
        raise ValueError(
            f"{name} must be finite and positive on {where}, but {name}(x) = {value} at "
            f"x = ({', '.join(f'{c:g}' for c in point)}): use a density bounded below by a positive constant")
    return values
