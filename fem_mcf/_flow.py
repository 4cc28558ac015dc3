r"""The time loop the fem_mcf schemes on a mesh share: output times, steps, diagnostics, extinction.

A *stepper* holds the state of one scheme on the mesh of the initial set and
exposes

- ``level_set``: the P1 level-set function of the current set {phi < 0};
- ``start(dt) -> dict``: the scheme's own diagnostics of the initial set
  (``dt`` is the size of the first step);
- ``step(dt) -> dict``: advance by one step of size ``dt``, update ``phi``,
  return the scheme's diagnostics of the new set;
- ``close()``: free the PETSc objects;
- ``label``: a short name of the scheme and its parameters.

:func:`run_flow` adds ``t``, ``area`` and ``perimeter`` (:math:`\int_{\partial A}\rho\,dH`)
to each diagnostics dict, stops when the set is empty and returns a
:class:`advmcf.meshes.evolution.Evolution`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import dolfinx
import numpy as np
from dolfinx import fem
from mpi4py import MPI

from advmcf.meshes.evolution import Evolution, check_times, time_steps
from advmcf.meshes.measures import SetMeasures

__all__ = ["check_flow_args", "run_flow", "max_cell_diameter"]

_log = logging.getLogger("advmcf.fem_mcf")


def check_flow_args(phi0, tau, T, output_times) -> list[float]:
    """Check the arguments every scheme shares (τ, T and the output times by
    :func:`advmcf.meshes.evolution.check_times`); return the output times."""
    if not isinstance(phi0, fem.Function) or phi0.function_space.element.basix_element.degree != 1 \
            or phi0.function_space.value_size != 1:
        raise ValueError("phi0: must be a scalar P1 dolfinx.fem.Function (the set {phi0 < 0})")
    return check_times(tau, T, output_times)[2]


def max_cell_diameter(msh: dolfinx.mesh.Mesh) -> float:
    """The global maximum cell diameter of ``msh``."""
    tdim = msh.topology.dim
    num_cells = msh.topology.index_map(tdim).size_local
    local = msh.h(tdim, np.arange(num_cells, dtype=np.int32))
    return msh.comm.allreduce(float(local.max()) if local.size else 0.0, op=MPI.MAX)


def _global_min(f: fem.Function) -> float:
    local = f.x.array[: f.function_space.dofmap.index_map.size_local]
    return f.function_space.mesh.comm.allreduce(float(local.min()) if local.size else np.inf, op=MPI.MIN)


def run_flow(stepper, rho: Callable, times: Sequence[float], tau: float, *, vtx_path=None,
             progress: Callable[[int, float], None] | None = None) -> Evolution:
    """Step ``stepper`` through the output ``times`` with steps of at most ``tau`` (collective).

    Between two output times the steps are equal (:func:`advmcf.meshes.evolution.time_steps`), so
    every output time is hit exactly.  When the set becomes empty (min φ > 0)
    the flow stops: ``extinction_time`` is the zero of the area interpolated
    linearly over the last step, and the remaining output sets are the last
    (empty) one.  ``progress(step, t)`` is called after every step.  The
    stepper is closed on return.
    """
    phi = stepper.level_set
    V1 = phi.function_space
    measures = SetMeasures(V1, rho)

    def diagnostics(t, extra):
        return {"t": t, "area": measures.volume(phi), "perimeter": measures.perimeter(phi), **extra}

    writer = None
    if vtx_path is not None:
        writer = dolfinx.io.VTXWriter(V1.mesh.comm, vtx_path, [phi], engine="BP4")
    sets, extinction_time = [], None
    t, step = 0.0, 0
    try:
        first = next((b for b in times if b > 0), None)
        diags = [diagnostics(0.0, stepper.start(time_steps(0.0, first, tau)[0] if first else tau))]
        for t_out in times:
            if extinction_time is None and t_out > t:
                t_start = t
                dt, n = time_steps(t_start, t_out, tau)
                for k in range(1, n + 1):
                    extra = stepper.step(dt)
                    t = t_out if k == n else t_start + k * dt
                    step += 1
                    diags.append(diagnostics(t, extra))
                    if _global_min(phi) > 0:
                        a0, a1 = diags[-2]["area"], diags[-1]["area"]
                        extinction_time = t - dt + dt * a0 / (a0 - a1) if a0 > a1 else t
                        _log.info("%s: the set vanished at t = %.6g", stepper.label, extinction_time)
                    if progress is not None:
                        progress(step, t)
                    if extinction_time is not None:
                        break
            out = fem.Function(V1, name="phi")
            out.x.array[:] = phi.x.array
            sets.append(out)
            if writer is not None:
                writer.write(t_out)
    finally:
        if writer is not None:
            writer.close()
        stepper.close()
    return Evolution(times=list(times), sets=sets, diagnostics=diags,
                     extinction_time=extinction_time, scheme=stepper.label)
