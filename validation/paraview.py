r"""A run as a ParaView time series: ``advmcf run --vtx`` (ADIOS2) or ``--xdmf``.

For every evolution of a run (both schemes of a ``versus`` run, each in its
own file) one time series on the run's mesh, the mesh written once, with P1
fields at every output time:

- ``phi``: the signed distance to the scheme's interface (negative inside
  the set), whatever the scheme returned (the nonlocal scheme's level set is
  a clipped ±1.25h indicator, the level-set FEM's drifts from a distance):
  :func:`advmcf.meshes.distance.signed_distance`, clipped to ± the mesh's diameter
  (an empty set is +diameter everywhere);
- ``phi_reference``: the same for the reference set at that time (the
  exact or computed reference of the case: a radial ODE's disc, a
  half-space, a parametric run's curve), where the case has one;
- ``rho0``, ``rho1``: the class densities (ρ0 outside, ρ1 inside).

The set is the region ``phi < 0``: in ParaView, a Contour filter at 0 on
``phi`` and on ``phi_reference`` draws both interfaces, and the time
controls animate them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write_run_series", "FORMATS"]

#: Formats and their file suffixes.
FORMATS = {"vtx": ".bp", "xdmf": ".xdmf"}


def _diameter(msh) -> float:
    """The diameter of the mesh's bounding box (global)."""
    from mpi4py import MPI

    x = msh.geometry.x[:, : msh.geometry.dim]
    lo = x.min(axis=0) if x.size else np.full(msh.geometry.dim, np.inf)
    hi = x.max(axis=0) if x.size else np.full(msh.geometry.dim, -np.inf)
    glo, ghi = np.empty_like(lo), np.empty_like(hi)
    msh.comm.Allreduce(lo, glo, op=MPI.MIN)
    msh.comm.Allreduce(hi, ghi, op=MPI.MAX)
    return float(np.linalg.norm(ghi - glo))


def _clipped(f, cutoff):
    f.x.array[:] = np.clip(f.x.array, -cutoff, cutoff)
    return f


def write_run_series(folder, base: str, evolutions: dict, case, reference, fmt: str = "vtx") -> list[Path]:
    """Write ``folder/<base>[-<label>].bp`` (or ``.xdmf``) for each evolution (collective).

    Args:
        folder: the output folder (``DIR/vtx`` or ``DIR/xdmf``).
        base: the run's file stem.
        evolutions: label -> :class:`advmcf.meshes.evolution.Evolution` (label ``""``
            for a run's only evolution).
        case: the run's :class:`advmcf.validation.cases.Case` (its densities).
        reference: the case's :class:`advmcf.validation.cases.Reference`, or None.
        fmt: ``vtx`` or ``xdmf``.

    Returns the paths written.
    """
    from advmcf.meshes.distance import signed_distance
    from advmcf.meshes.io import write_time_series
    from advmcf.meshes.sets import level_set

    folder = Path(folder)
    paths = []
    for label, ev in evolutions.items():
        V = ev.sets[0].function_space
        comm = V.mesh.comm
        if comm.rank == 0:
            folder.mkdir(parents=True, exist_ok=True)
        comm.barrier()
        cutoff = _diameter(V.mesh)
        series = {"phi": [_clipped(signed_distance(phi, cutoff=cutoff), cutoff) for phi in ev.sets]}
        if reference is not None and reference.shape_at is not None:
            refs = []
            for shape in case.reference_shapes(reference, ev.times):
                if shape is None:
                    psi = level_set(V, lambda x: np.full(x.shape[1], cutoff))
                else:
                    psi = level_set(V, shape)
                refs.append(_clipped(psi, cutoff))
            series["phi_reference"] = refs
        static = {"rho0": level_set(V, case.density.rho0), "rho1": level_set(V, case.density.rho1)}
        name = base + (f"-{label}" if label else "") + FORMATS[fmt]
        paths.append(write_time_series(folder / name, ev.times, series, static, fmt))
    return paths
