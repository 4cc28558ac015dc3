r"""Error metrics of a computed evolution against its reference (all global).

- ``radius_error`` :math:`|R_h - R(T)|`, with :math:`R_h = (|A_h|/\omega_d)^{1/d}`
  from the exact cut-cell volume of the computed set (radial references).
- ``symdiff_rho`` :math:`\int_{A_h \Delta A(T)} \rho\,dx`, A(T) the P1
  interpolant of the exact set's signed distance on the same mesh (so the
  reference itself carries an O(h²) interface error).
- ``hausdorff``: Hausdorff distance of the two interfaces (NaN if one has no
  interface: the set is empty or the whole domain).
- ``extinction_error`` :math:`|T^*_h - T^*|` when the reference or the scheme
  goes extinct before T (NaN if only one of them does).
- ``moved_rho`` :math:`\int_{A_h(T) \Delta A_h(0)}\rho\,dx`: how far the set
  moved at all (a pinned scheme, or the p = 0 control, gives ~0).
- ``travel_ratio`` :math:`(R(0) - R_h)/(R(0) - R(T))` (radial references):
  the computed radial displacement over the exact one; 1 is exact, 0 a
  pinned set.
- One-step consistency (:func:`consistency_metrics`): at the midpoints y of
  the computed interface after one step, the normal offset
  :math:`\delta = (y - x)\cdot\nu(x)` from the nearest point x of the exact
  initial boundary, and :math:`e = \delta/\tau - V(x)` with
  :math:`V = -\kappa - \nu\cdot\nabla\log\rho` analytic;
  ``consistency_max`` = :math:`\max|e|` and ``consistency_l2`` =
  :math:`(\int e^2\,dH^{d-1})^{1/2}` by the midpoint rule on the interface.
- Comparison principle (:func:`count_violations`): mesh vertices in the inner
  set but not in the outer one.
"""

from __future__ import annotations

import numpy as np

from advmcf.meshes import simplex_volumes
from advmcf.validation.references import sphere_volume_constant

__all__ = ["flow_metrics", "consistency_metrics", "count_violations", "has_interface"]


def has_interface(phi) -> bool:
    """Whether the zero level set of phi is non-empty (global): phi changes sign on some cell."""
    from advmcf.meshes.interface import interface

    return np.asarray(interface(phi).gathered()).size > 0


def _num_owned(phi) -> int:
    return phi.function_space.dofmap.index_map.size_local


def _empty_level_set(V):
    from dolfinx import fem

    psi = fem.Function(V)
    psi.x.array[:] = 1.0
    return psi


def flow_metrics(evolution, case, reference) -> dict:
    """The metrics at the last output time of ``evolution`` (see the module docstring)."""
    from advmcf.meshes.distance import hausdorff
    from advmcf.meshes.measures import symmetric_difference, volume
    from advmcf.meshes.sets import level_set

    phi, t = evolution.sets[-1], float(evolution.times[-1])
    V = phi.function_space
    d = case.dim
    out = {"moved_rho": symmetric_difference(phi, evolution.sets[0], case.density.rho)}
    if reference.radius is not None:
        R_h = (volume(phi) / sphere_volume_constant(d)) ** (1.0 / d)
        R0, RT = float(reference.radius(0.0)), float(reference.radius(t))
        out["radius_error"] = abs(R_h - RT)
        out["travel_ratio"] = (R0 - R_h) / (R0 - RT) if R0 != RT else float("nan")
    if reference.shape_at is not None:
        shape = reference.shape_at(t)
        psi = level_set(V, shape) if shape is not None else _empty_level_set(V)
        out["symdiff_rho"] = symmetric_difference(phi, psi, case.density.rho)
        out["hausdorff"] = hausdorff(phi, psi) if (has_interface(phi) and has_interface(psi)) else float("nan")
    t_ref, t_h = reference.extinction_time, evolution.extinction_time
    if reference.kind != "none" and (t_ref is not None and t_ref <= case.T or t_h is not None):
        out["extinction_error"] = abs(t_h - t_ref) if (t_h is not None and t_ref is not None) else float("nan")
    return {k: float(v) for k, v in out.items()}


def consistency_metrics(phi1, case, tau: float) -> dict:
    """One-step consistency of ``phi1`` (the set after one step of size ``tau`` from the case's initial set)."""
    from advmcf.meshes.interface import interface

    boundary = case.boundary()
    simplices = interface(phi1).gathered()
    if simplices.size == 0:
        return {"consistency_max": float("nan"), "consistency_l2": float("nan")}
    mid = simplices.mean(axis=1)
    w = simplex_volumes(simplices)
    x, nu, kappa, offset = boundary.project(mid)
    V = case.density.velocity(x, nu, kappa)
    err = offset / tau - V
    return {"consistency_max": float(np.max(np.abs(err))),
            "consistency_l2": float(np.sqrt(np.sum(w * err**2))),
            "mean_V": float(np.sum(w * V) / np.sum(w))}


def count_violations(phi_inner, phi_outer) -> int:
    """Global number of mesh vertices with phi_inner < 0 <= phi_outer (inner set not inside the outer)."""
    n = _num_owned(phi_inner)
    local = int(np.count_nonzero((phi_inner.x.array[:n] < 0) & (phi_outer.x.array[:n] >= 0)))
    return phi_inner.function_space.mesh.comm.allreduce(local)
