r"""Validation of advmcf: cases, exact references, error metrics, TOML suites, tables, plots.

Modules (one concept each):

- :mod:`validation.expressions`: safe arithmetic expressions (densities, mesh rules).
- :mod:`validation.class_densities`: named class densities ρ0, ρ1, ∇log ρ and the flow law.
- :mod:`validation.references`: closed forms, the radial ODE, the discrete disc recursion.
- :mod:`validation.boundaries`: exact smooth initial boundaries (normals, curvatures).
- :mod:`validation.cases`: a case (domain, mesh, densities, initial set, T) and its reference.
- :mod:`validation.case_tables`: a case's TOML table, read and checked.
- :mod:`validation.mesh_checks`: a case checked on the vertices of each run's mesh.
- :mod:`validation.schemes`: the schemes a suite runs, behind one signature.
- :mod:`validation.metrics`: errors against the reference, consistency, comparison.
- :mod:`validation.orders`: observed orders.
- :mod:`validation.suites`: TOML suites, strict checks, the list of runs.
- :mod:`validation.runner`: running a suite under MPI (a registry of study kinds), atomic records, resume.
- :mod:`validation.fingerprint`: what determines a run, hashed (the resume key).
- :mod:`validation.flags`: degenerate runs, flagged.
- :mod:`validation.perimeter_study`: the discrete Per_ε against exact values.
- :mod:`validation.results`: ``results.json`` (schema) and atomic writes.
- :mod:`validation.tables`, :mod:`validation.plots`: tables (md, tex, csv) and figures.
- :mod:`validation.paraview`, :mod:`validation.progress`: ParaView time series, progress lines.
- :mod:`validation.cli`: the ``advmcf`` command.

Conventions are those of :mod:`meshes` (sets {φ < 0}, ν outward, κ = div ν,
V positive outward, ρ0 outside, ρ1 inside).  The public API is re-exported
here (``from validation import load_suite, run_suite, render``), imported on
first use so that the command line starts quickly.
"""

#: The public API: name -> the module that holds it.
_EXPORTS = {
    **dict.fromkeys(("load_suite", "Suite", "RunSpec", "SuiteError", "builtin_suites"), "validation.suites"),
    **dict.fromkeys(("run_suite", "prepare_output", "OutputFolderError", "STUDY_KINDS"), "validation.runner"),
    **dict.fromkeys(("load_results", "compare_results", "RANK_RTOL"), "validation.results"),
    **dict.fromkeys(("render", "study_tables"), "validation.tables"),
    "plot_all": "validation.plots",
    **dict.fromkeys(("Case", "Reference"), "validation.cases"),
    "make_case": "validation.case_tables",
    **dict.fromkeys(("Density", "make_density"), "validation.class_densities"),
    **dict.fromkeys(("Scheme", "SCHEMES"), "validation.schemes"),
    **dict.fromkeys(("flow_metrics", "consistency_metrics"), "validation.metrics"),
    **dict.fromkeys(("pairwise_orders", "least_squares_order"), "validation.orders"),
}
__all__ = list(_EXPORTS)

from meshes._lazy import lazy_exports  # noqa: E402

__getattr__, __dir__ = lazy_exports("validation", _EXPORTS)
