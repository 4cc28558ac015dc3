r"""Validation of advmcf: cases, exact references, error metrics, TOML suites, tables, plots.

Modules (one concept each):

- :mod:`validation.expressions`: safe arithmetic expressions (densities, mesh rules).
- :mod:`validation.densities`: named class densities ρ0, ρ1 and ∇log ρ.
- :mod:`validation.references`: closed forms, the radial ODE, the discrete disc recursion.
- :mod:`validation.boundaries`: exact smooth initial boundaries (normals, curvatures).
- :mod:`validation.cases`: a case (domain, mesh, densities, initial set, T, reference).
- :mod:`validation.schemes`: the schemes a suite runs, behind one signature.
- :mod:`validation.metrics`: errors against the reference, consistency, comparison.
- :mod:`validation.orders`: observed orders.
- :mod:`validation.suites`: TOML suites, strict checks, the list of runs.
- :mod:`validation.runner`: running a suite under MPI, atomic records, resume.
- :mod:`validation.results`: ``results.json`` (schema) and atomic writes.
- :mod:`validation.tables`, :mod:`validation.plots`: tables (md, tex, csv) and figures.
- :mod:`validation.cli`: the ``advmcf`` command.

Conventions are those of :mod:`meshes` (sets {φ < 0}, ν outward, κ = div ν,
V positive outward, ρ0 outside, ρ1 inside).
"""
