r"""Checks of a case on the vertices of the very mesh each run will use, before any run.

The mesh of a run is the case's box at the run's h, or the case's mesh file;
:meth:`advmcf.validation.cases.Case.plan` gives its vertices (all of them: the
crossed box's cell centres too) and its h_max without making it.  On them:

- :func:`check_densities`: ρ0 and ρ1 finite and positive at every vertex
  (:func:`advmcf.meshes.densities.density_values`, the check every scheme makes);
- :func:`check_initial_set`: the initial set neither empty (no vertex inside)
  nor the whole mesh (every vertex inside): either way no scheme can move it
  and every error would read 0;
- :func:`check_eps_resolution`: ε against the mesh's measured h_max, by the
  one rule of the nonlocal scheme (:func:`advmcf.nonlocal_.check_eps_resolution`);
- :func:`check_run_memory`: the memory the run would need
  (:func:`advmcf.meshes.memory.check_memory`), for the adversarial scheme with
  its graph on the vertices within :func:`band_width` of the initial set.

Each raises ValueError whose message starts with the case key it concerns
(``density``, ``initial``) and names the mesh.
"""

from __future__ import annotations

import numpy as np

from advmcf.meshes.densities import density_values

__all__ = ["check_densities", "check_initial_set", "check_eps_resolution", "check_run_memory", "band_width",
           "mesh_label"]


def mesh_label(case, plan, h) -> str:
    """How a message names the mesh: the file, or the box at h (if given) with its measured h_max."""
    if case.mesh_file is not None:
        return f"the mesh file {case.mesh_file.name} (h_max = {plan.h_max:.4g})"
    kind = "box mesh" if case.mesh_type == "crossed" else f"{case.mesh_type} mesh of the box"
    return f"the {kind}{f' at h = {h:g}' if h is not None else ''} (h_max = {plan.h_max:.4g})"


def check_densities(case, plan, h) -> None:
    """ValueError ``density: ...`` (or ``rho0``/``rho1``) unless both densities are finite and
    positive at every vertex of the plan."""
    key = "density" if "density" in case.spec else None
    for x in plan.chunks():
        for name, f in (("rho0", case.density.rho0), ("rho1", case.density.rho1)):
            try:
                density_values(name, f, x, where=mesh_label(case, plan, h))
            except ValueError as err:
                raise ValueError(f"{key or name}: {err}") from None


def check_initial_set(case, plan, h) -> None:
    """ValueError ``initial: ...`` if no vertex, or every vertex, lies in the initial set."""
    indicator = case.initial_indicator()
    inside = outside = False
    # a sample of about 4096 vertices first (a set with an interface is found at once), then all
    for stride in dict.fromkeys((max(1, plan.num_vertices // 4096), 1)):
        for x in plan.chunks():
            with np.errstate(all="ignore"):
                v = np.asarray(indicator(x[:, ::stride]), dtype=float)
            inside |= bool(np.any(v < 0))
            outside |= bool(np.any(v >= 0))
            if inside and outside:
                return
    what = "the Bayes classifier {rho1 > rho0}" if case.initial["shape"] == "bayes" else f"the {case.initial['shape']}"
    if not inside:
        raise ValueError(f"initial: {what} is empty on {mesh_label(case, plan, h)}: no vertex lies inside it "
                         "(every error would read 0); move it into the domain or enlarge it")
    raise ValueError(f"initial: {what} covers {mesh_label(case, plan, h)}: every vertex lies inside it "
                     "(nothing can move); make it smaller than the domain")


def check_eps_resolution(eps: float, plan, min_cells: float) -> None:
    """ValueError unless ε/h_max ≥ ``min_cells`` (and the scheme's own floor) on the plan's mesh."""
    from advmcf.nonlocal_ import check_eps_resolution as rule

    rule(eps, plan.h_max, min_cells)


def band_width(eps: float, h_max: float) -> float:
    """The half-width of the adversarial step's band and collar around the interface that the memory
    estimate counts vertices in: 4ε + 4 h_max (the step's first band is 2 reach + max(4h, 1.5 τ|V|),
    its collar one reach more; the reach of the isotropic ε-neighbourhood is about ε)."""
    return 4 * eps + 4 * h_max


def check_run_memory(case, plan, eps: float, uses_eps: bool) -> None:
    """ValueError (one line, :func:`advmcf.meshes.memory.check_memory`) if a run on the plan's mesh would need
    more memory than this machine has: a FEM run, or the adversarial scheme at ε with its graph on the
    vertices within :func:`band_width` of the initial set (counted only if all vertices would not fit;
    all vertices for ``bayes``, whose indicator is not a distance)."""
    from advmcf.meshes.memory import check_memory, estimate, memory_limit

    if not uses_eps:
        check_memory(plan.num_vertices, plan.gdim, f"a run on {mesh_label(case, plan, None)}", "h", kind="fem")
        return
    band = plan.num_vertices
    k = eps / plan.h_max
    if estimate(band, plan.gdim, "nonlocal", eps_over_h=k) > memory_limit() and case.initial["shape"] != "bayes":
        indicator, width, band = case.initial_indicator(), band_width(eps, plan.h_max), 0
        for x in plan.chunks():
            with np.errstate(all="ignore"):
                band += int(np.count_nonzero(np.abs(np.asarray(indicator(x), dtype=float)) <= width))
    check_memory(plan.num_vertices, plan.gdim, f"the adversarial step at eps = {eps:g} on "
                 f"{mesh_label(case, plan, None)}", "eps", kind="nonlocal", band_vertices=band, eps_over_h=k)
