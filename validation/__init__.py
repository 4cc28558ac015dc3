r"""Validation of advmcf: cases, exact references, error metrics, TOML suites, tables, plots.

Modules (one concept each):

- :mod:`advmcf.validation.expressions`: safe arithmetic expressions (densities, mesh rules).
- :mod:`advmcf.validation.class_densities`: class densities by name (TOML), built as :class:`advmcf.meshes.densities.ClassDensities`.
- :mod:`advmcf.validation.references`: closed forms, the radial ODE, the discrete disc recursion.
- :mod:`advmcf.validation.boundaries`: exact smooth initial boundaries (normals, curvatures).
- :mod:`advmcf.validation.cases`: a case (domain, mesh, densities, initial set, T) and its reference.
- :mod:`advmcf.validation.case_tables`: a case's TOML table, read and checked.
- :mod:`advmcf.validation.mesh_checks`: a case checked on the vertices of each run's mesh.
- :mod:`advmcf.validation.schemes`: the schemes a suite runs, behind one signature.
- :mod:`advmcf.validation.metrics`: errors against the reference, consistency, comparison.
- :mod:`advmcf.validation.orders`: observed orders.
- :mod:`advmcf.validation.suites`: TOML suites, strict checks, the list of runs.
- :mod:`advmcf.validation.runner`: running a suite under MPI (a registry of study kinds), atomic records, resume.
- :mod:`advmcf.validation.lanes`: independent runs at the same time on lanes of ranks.
- :mod:`advmcf.validation.fingerprint`: what determines a run, hashed (the resume key).
- :mod:`advmcf.validation.flags`: degenerate runs, flagged.
- :mod:`advmcf.validation.perimeter_study`: the discrete Per_ε against exact values.
- :mod:`advmcf.validation.results`: ``results.json`` (schema) and atomic writes.
- :mod:`advmcf.validation.tables`, :mod:`advmcf.validation.plots`: tables (md, tex, csv) and figures.
- :mod:`advmcf.validation.paraview`, :mod:`advmcf.validation.progress`: ParaView time series, progress lines.
- :mod:`advmcf.validation.cli`: the ``advmcf`` command.

Conventions are those of :mod:`advmcf.meshes` (sets {φ < 0}, ν outward, κ = div ν,
V positive outward, ρ0 outside, ρ1 inside).  The public API is re-exported
here (``from validation import load_suite, run_suite, render``), imported on
first use so that the command line starts quickly.
"""

#: The public API: name -> the module that holds it.
_EXPORTS = {
    **dict.fromkeys(("load_suite", "Suite", "RunSpec", "SuiteError", "builtin_suites"), "advmcf.validation.suites"),
    **dict.fromkeys(("run_suite", "prepare_output", "OutputFolderError", "STUDY_KINDS"), "advmcf.validation.runner"),
    **dict.fromkeys(("load_results", "compare_results", "RANK_RTOL"), "advmcf.validation.results"),
    **dict.fromkeys(("render", "study_tables"), "advmcf.validation.tables"),
    "plot_all": "advmcf.validation.plots",
    **dict.fromkeys(("Case", "Reference"), "advmcf.validation.cases"),
    "make_case": "advmcf.validation.case_tables",
    "make_density": "advmcf.validation.class_densities",
    **dict.fromkeys(("Scheme", "SCHEMES"), "advmcf.validation.schemes"),
    **dict.fromkeys(("flow_metrics", "consistency_metrics"), "advmcf.validation.metrics"),
    **dict.fromkeys(("pairwise_orders", "least_squares_order"), "advmcf.validation.orders"),
}
__all__ = list(_EXPORTS)

from advmcf.meshes._lazy import lazy_exports  # noqa: E402

__getattr__, __dir__ = lazy_exports("advmcf.validation", _EXPORTS)
