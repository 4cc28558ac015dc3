r"""Validation suites in TOML: loading, strict checking, and the list of runs.

A suite is a TOML file (read with :mod:`tomllib`) with three parts::

    [suite]
    name = "quick"
    description = "radial Gaussian, level-set FEM and nonlocal, tau = eps"

    [[cases]]                     # see validation.cases for every key
    name = "gauss_disc"
    dim = 2
    domain = [[-1.0, -1.0], [1.0, 1.0]]
    T = 0.02
    density = { kind = "gaussian", sigma = 0.5 }
    initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }

    [[studies]]
    name = "diagonal"
    case = "gauss_disc"
    kind = "flow"                 # flow | one_step | comparison | versus | perimeter
    path = "diagonal"             # diagonal | eps_to_zero | tau_to_zero | grid | phase
    schemes = ["level_set", { name = "nonlocal", p = 1, selection = "minimal" }]
    # a scheme may carry its own time step, an expression in eps, h and the study's tau:
    # { name = "level_set", time_order = 2, tau = "h/2" }; tables show the tau it ran with
    eps = [0.2, 0.1, 0.05]        # a list, or one number for tau_to_zero
    # tau = 0.01                  # one number (eps_to_zero) or a list (tau_to_zero, grid); never for diagonal
    h = "eps/8"                   # a number, or an expression in eps and tau
    min_cells_per_eps = 4         # ε/h_max must be at least this (h_max the mesh's longest edge)

Refinement paths: ``diagonal`` τ = ε (the paper's scheme); ``eps_to_zero``
τ fixed, ε over the list; ``tau_to_zero`` ε fixed, τ over the list; ``grid``
every (ε, τ); ``phase`` ε fixed (one number), every τ = ε·``tau_over_eps``
and h = ε/``eps_over_h`` (two lists instead of ``tau`` and ``h``: the phase
diagram of a scheme, :mod:`validation.plots`).  Observed orders are taken
along ε (along τ for ``tau_to_zero``, along h for ``phase``), within groups
of equal scheme and, on a grid or a phase diagram, equal τ.

Study kinds: ``flow`` runs to T and measures the error at T;
``one_step`` makes one step of size τ from a smooth initial set and measures
the consistency error (normal displacement/τ against V); ``comparison``
evolves ``pairs`` nested pairs (random smooth perturbations of the initial
disc, one inside the other; keys ``pairs``, ``amplitude``, ``seed``) and
counts comparison-principle violations; ``versus`` runs exactly two schemes
on the same mesh and initial set and measures the distance between their
sets at T (ρ-symmetric difference and Hausdorff); ``perimeter`` measures the
discrete Per_ε itself against exact values on its own meshes of [−1, 1]^d
and needs no case (keys ``mesh``, ``dim``, ``eps``, ``eps_over_h``,
``discretizations``, ``shapes``, ``angles``, ``offsets``, ``positions``:
:mod:`validation.perimeter_study`).

PETSc options for the suite's solvers go in an optional table, names with
the solver's options prefix (``level_set_`` for the level-set FEM) and
without the dash::

    [petsc_options]
    level_set_ksp_rtol = 1e-8
    level_set_ksp_converged_reason = true     # a flag

They apply while the suite runs, except where the command line or
``PETSC_OPTIONS`` set the same option (those win).

Everything is checked before anything runs: unknown keys, wrong types and
impossible values (ε ≤ 0, τ ≤ 0, T ≤ 0, h ≤ 0, a missing mesh file or one of
the other dimension, a scheme that does not apply), and on the vertices of
each run's actual mesh (:mod:`validation.mesh_checks`): ε/h_max below
``min_cells_per_eps``, a density not positive, an initial set that is empty
or covers the mesh, a box too fine for memory.  Each raises
:class:`SuiteError` with one line naming the key and the reason.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path


from meshes.generate import box_plan, check_mesh_size
from validation.cases import Case, make_case
from validation.expressions import Expression
from validation.mesh_checks import check_densities, check_eps_resolution, check_initial_set
from validation.schemes import SCHEMES, scheme_label

__all__ = ["SuiteError", "Suite", "RunSpec", "load_suite", "builtin_suites", "PATHS", "KINDS"]

PATHS = ("diagonal", "eps_to_zero", "tau_to_zero", "grid", "phase")
KINDS = ("flow", "one_step", "comparison", "versus", "perimeter")
_TAU_VARIABLES = ("eps", "h", "tau")  # a scheme's own time-step rule may use these


class SuiteError(ValueError):
    """A suite that cannot run; the message is one line naming the key and the reason."""


@dataclass(frozen=True)
class RunSpec:
    """One run of a suite: a scheme on a case at (ε, τ, h).

    ``param`` is the refinement variable of its study (``eps`` or ``tau``) and
    ``group`` the key of the runs an observed order is taken over.  ``h`` is
    the study's cell size for a box (the id names it), or a mesh file's
    h_max; ``h_max`` is the measured longest edge of the run's mesh (what
    the tables print as h).
    """

    id: str
    study: str
    kind: str
    path: str
    case: str
    scheme: str
    options: tuple
    eps: float
    tau: float
    h: float
    T: float
    param: str
    group: tuple
    extra: tuple = ()
    h_max: float = float("nan")

    @property
    def label(self) -> str:
        return dict(self.extra).get("label") or scheme_label(self.scheme, dict(self.options))

    def as_dict(self) -> dict:
        """The run's parameters as plain JSON data (so a record read back compares equal)."""
        return json.loads(json.dumps({"id": self.id, "study": self.study, "kind": self.kind, "path": self.path,
                "case": self.case, "scheme": self.scheme, "scheme_label": self.label,
                "options": dict(self.options), "eps": self.eps, "tau": self.tau, "h": self.h, "h_max": self.h_max,
                "T": self.T, "param": self.param, "group": list(self.group), "extra": dict(self.extra)}))


@dataclass
class Suite:
    """A checked suite: its cases by name, its studies' runs in order, and the source."""

    name: str
    description: str
    cases: dict
    runs: list
    source: str
    studies: list = field(default_factory=list)
    petsc_options: dict = field(default_factory=dict)


def builtin_suites() -> dict:
    """Built-in suite names -> paths of their TOML files (package data ``validation/suites``)."""
    folder = resources.files("validation") / "suites"
    return {p.name[:-5]: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml")}


def _fail(key, msg):
    raise SuiteError(f"{key}: {msg}")


def _number_list(value, key, scalar_ok):
    vals = value if isinstance(value, list) else [value]
    if not isinstance(value, list) and not scalar_ok:
        _fail(key, f"must be a list of numbers, got {value!r}")
    if isinstance(value, list) and not value:
        _fail(key, "must not be empty")
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            _fail(key, f"{v!r} is not a number")
        if v <= 0:
            _fail(key, f"{key.rsplit('.', 1)[-1]} = {v!r} must be positive")
    return [float(v) for v in vals]


def _scheme_entries(value, key, schemes):
    if not isinstance(value, list) or not value:
        _fail(key, f"must be a non-empty list of scheme names or tables, got {value!r}")
    out = []
    for i, entry in enumerate(value):
        k = f"{key}[{i}]"
        opts = {}
        if isinstance(entry, dict):
            opts = {a: b for a, b in entry.items() if a != "name"}
            entry = entry.get("name")
        if entry not in schemes:
            _fail(k, f"unknown scheme {entry!r} (known: {', '.join(schemes)})")
        for name, v in opts.items():
            if name == "tau":
                _check_tau_rule(v, f"{k}.tau")
                continue
            if name not in schemes[entry].options:
                allowed = ", ".join(schemes[entry].options) or "none"
                _fail(f"{k}.{name}", f"unknown option of scheme {entry!r} (allowed: {allowed})")
            try:
                schemes[entry].options[name](v)
            except ValueError as err:
                _fail(f"{k}.{name}", str(err))
        out.append((entry, tuple(sorted(opts.items()))))
    return out


def _check_tau_rule(value, key):
    if isinstance(value, str):
        try:
            Expression(value, _TAU_VARIABLES)
        except ValueError as err:
            _fail(key, str(err))
    elif isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        _fail(key, f"must be a positive number or an expression in {', '.join(_TAU_VARIABLES)}, got {value!r}")


def _scheme_tau(opts, e, t, h, key):
    """The run's time step: the scheme's own ``tau`` rule at (ε, h, τ of the study), else τ."""
    rule = dict(opts).get("tau")
    if rule is None:
        return t
    try:
        value = float(Expression(rule, _TAU_VARIABLES)(eps=e, h=h, tau=t)) if isinstance(rule, str) else float(rule)
    except (ValueError, ZeroDivisionError, ArithmeticError) as err:
        _fail(key, f"cannot evaluate at eps = {e:g}, h = {h:g}, tau = {t:g}: {err}")
    if not value > 0 or not math.isfinite(value):
        _fail(key, f"tau = {value!r} at eps = {e:g}, h = {h:g}, tau = {t:g}: must be positive")
    return value


def _h_rule(value, key):
    if isinstance(value, str):
        try:
            expr = Expression(value, ("eps", "tau"))
        except ValueError as err:
            _fail(key, str(err))
        return lambda eps, tau: float(expr(eps=eps, tau=tau))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(key, f"must be a number or an expression in eps and tau, got {value!r}")
    if not value > 0:
        _fail(key, f"h = {value!r} must be positive")
    return lambda eps, tau: float(value)


def _mesh_of_run(case: Case, h_rule, eps: float, tau: float, key: str):
    """The plan of a run's mesh and its h: the box at the study's h (checked to fit in memory), or
    the case's mesh file (h = its measured h_max)."""
    if case.mesh_file is not None:
        plan = case.plan(None)
        return plan, plan.h_max
    try:
        h = h_rule(eps, tau)
    except (ValueError, ZeroDivisionError, ArithmeticError) as err:
        _fail(f"{key}.h", f"cannot evaluate at eps = {eps:g}, tau = {tau:g}: {err}")
    if not h > 0 or not math.isfinite(h):
        _fail(f"{key}.h", f"h = {h!r} at eps = {eps:g}, tau = {tau:g}: must be positive")
    lo, hi = case.domain
    try:
        plan = case.plan(h)
        check_mesh_size(plan.num_vertices, f"the box {_box_text(lo, hi)} at h = {h:g}")
    except ValueError as err:
        _fail(f"{key}.h", str(err).removeprefix("h: "))
    return plan, h


def _box_text(lo, hi) -> str:
    return " x ".join(f"[{a:g}, {b:g}]" for a, b in zip(lo, hi))


def _check_meshes(runs, cases, labels) -> None:
    """The densities and the initial set of each case on the vertices of every mesh its runs use."""
    for name, h in dict.fromkeys((r.case, r.h) for r in runs):
        case = cases[name]
        plan = case.plan(None if case.mesh_file is not None else h)
        for check in (check_densities, check_initial_set):
            try:
                check(case, plan, h)
            except ValueError as err:
                raise SuiteError(f"{labels[name]}.{err}") from None


def _study_runs(i, st, cases, schemes, seen_names):
    key = f"studies[{i}]"
    allowed = {"name", "case", "kind", "path", "schemes", "eps", "tau", "h", "min_cells_per_eps",
               "pairs", "amplitude", "seed", "tau_over_eps", "eps_over_h"}
    if not isinstance(st, dict):
        _fail(key, "must be a table")
    unknown = set(st) - allowed - (_PERIMETER_KEYS if st.get("kind") == "perimeter" else set())
    if unknown:
        _fail(f"{key}.{sorted(unknown)[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
    if "name" not in st:
        _fail(f"{key}.name", "missing")
    name = st["name"]
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        _fail(f"{key}.name", f"{name!r} must be a string of letters, digits, '_' and '-'")
    if name in seen_names:
        _fail(f"{key}.name", f"{name!r} is used by two studies")
    seen_names.add(name)
    if st.get("kind") == "perimeter":
        return _perimeter_runs(key, name, st)
    for req in ("case", "schemes", "eps"):
        if req not in st:
            _fail(f"{key}.{req}", "missing")
    if st["case"] not in cases:
        _fail(f"{key}.case", f"no case named {st['case']!r} (cases: {', '.join(cases)})")
    case = cases[st["case"]]
    kind = st.get("kind", "flow")
    if kind not in KINDS:
        _fail(f"{key}.kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    path = st.get("path", "diagonal")
    if path not in PATHS:
        _fail(f"{key}.path", f"{path!r} is not one of {', '.join(PATHS)}")
    entries = _scheme_entries(st["schemes"], f"{key}.schemes", schemes)
    eps_list = _number_list(st["eps"], f"{key}.eps", scalar_ok=path in ("tau_to_zero", "phase"))
    phase_keys = [k for k in ("tau_over_eps", "eps_over_h") if k in st]
    if path != "phase" and phase_keys:
        _fail(f"{key}.{phase_keys[0]}", "only for path = 'phase'")
    if path == "phase":
        for k in ("tau", "h"):
            if k in st:
                _fail(f"{key}.{k}", f"path 'phase' takes tau_over_eps and eps_over_h: remove {k}")
        if len(eps_list) != 1:
            _fail(f"{key}.eps", "path 'phase' keeps eps fixed: give one number")
        for k in ("tau_over_eps", "eps_over_h"):
            if k not in st:
                _fail(f"{key}.{k}", "missing (path 'phase' needs tau_over_eps and eps_over_h)")
        tau_ratios = _number_list(st["tau_over_eps"], f"{key}.tau_over_eps", scalar_ok=False)
        h_ratios = _number_list(st["eps_over_h"], f"{key}.eps_over_h", scalar_ok=False)
        pairs = [(eps_list[0], eps_list[0] * r) for r in tau_ratios]
        h_rule_values = {r: eps_list[0] / r for r in h_ratios}
    elif path == "diagonal":
        if "tau" in st:
            _fail(f"{key}.tau", "the diagonal path sets tau = eps: remove tau")
        pairs = [(e, e) for e in eps_list]
    else:
        if "tau" not in st:
            _fail(f"{key}.tau", f"missing (path {path!r} needs it)")
        tau_list = _number_list(st["tau"], f"{key}.tau", scalar_ok=path == "eps_to_zero")
        if path == "eps_to_zero" and len(tau_list) != 1:
            _fail(f"{key}.tau", "path 'eps_to_zero' keeps tau fixed: give one number")
        if path == "tau_to_zero" and len(eps_list) != 1:
            _fail(f"{key}.eps", "path 'tau_to_zero' keeps eps fixed: give one number")
        pairs = [(e, t) for t in tau_list for e in eps_list]
    for e, t in pairs:
        if case.reference_kind == "disc_recursion" and abs(case.T / t - round(case.T / t)) > 1e-9:
            _fail(f"{key}.eps" if path == "diagonal" else f"{key}.tau",
                  f"tau = {t:g} does not divide T = {case.T:g}: the disc recursion compares whole steps")
        if t > case.T:
            _fail(f"{key}.tau", f"tau = {t:g} exceeds the final time T = {case.T:g} of case {case.name!r}")
    if case.mesh_file is not None and "h" in st:
        _fail(f"{key}.h", f"case {case.name!r} reads its mesh from {case.mesh_file.name}: remove h "
                          f"(the tables report the file's h_max = {case.plan(None).h_max:.4g})")
    h_rule = _h_rule(st.get("h", "eps/8"), f"{key}.h")
    h_list = list(h_rule_values.values()) if path == "phase" else [None]
    min_cells = st.get("min_cells_per_eps", 4)
    if isinstance(min_cells, bool) or not isinstance(min_cells, (int, float)) or not min_cells > 0:
        _fail(f"{key}.min_cells_per_eps", f"{min_cells!r} must be a positive number")
    extra = ()
    if kind == "comparison":
        extra = _comparison_keys(st, key, case)
    elif any(k in st for k in ("pairs", "amplitude", "seed")):
        k = next(k for k in ("pairs", "amplitude", "seed") if k in st)
        _fail(f"{key}.{k}", "only for kind = 'comparison'")
    if kind == "one_step" and case.boundary() is None:
        _fail(f"{key}.kind", f"'one_step' needs a smooth initial shape with a known boundary "
                             f"(disc, ball, ellipse, flower, a Bayes ball); case {case.name!r} has {case.initial['shape']!r}")
    units = [(s, o, scheme_label(s, dict(o)), extra) for s, o in entries]
    if kind == "versus":
        if len(entries) != 2:
            _fail(f"{key}.schemes", f"kind 'versus' compares exactly two schemes, got {len(entries)}")
        (a, oa), (b, ob) = entries
        if "tau" in dict(oa) or "tau" in dict(ob):
            _fail(f"{key}.schemes", "kind 'versus' runs both schemes with the same tau: remove the schemes' tau")
        label = f"{scheme_label(a, dict(oa))} vs {scheme_label(b, dict(ob))}"
        units = [(a, oa, label, (("label", label), ("versus", b), ("versus_options", dict(ob))))]
    runs = []
    for scheme, opts, label, extra in units:
        used = [schemes[scheme]] + ([schemes[dict(extra)["versus"]]] if kind == "versus" else [])
        for sch in used:
            if sch.needs_smooth_2d and (case.dim != 2 or case.boundary() is None):
                _fail(f"{key}.schemes", f"scheme {sch.name!r} needs a smooth 2D initial shape; case {case.name!r} is not")
        for (e, t), h_fixed in ((p, hh) for p in pairs for hh in h_list):
            rule = h_rule if h_fixed is None else (lambda eps, tau, h=h_fixed: h)
            plan, h = _mesh_of_run(case, rule, e, t, key)
            if any(u.uses_eps for u in used):
                try:
                    check_eps_resolution(e, plan, min_cells)
                except ValueError as err:
                    _fail(f"{key}.eps" if case.mesh_file is not None else f"{key}.h", str(err))
            t = _scheme_tau(opts, e, t, h, f"{key}.schemes.{scheme}.tau")
            if kind != "one_step" and t > case.T:
                _fail(f"{key}.schemes.{scheme}.tau", f"tau = {t:g} exceeds the final time T = {case.T:g} of case {case.name!r}")
            T = t if kind == "one_step" else case.T
            param = {"tau_to_zero": "tau", "phase": "h"}.get(path, "eps")
            group = (label,) + ((f"tau={t:.6g}",) if path in ("grid", "phase") else ())
            rid = f"{name}/{label}/eps={e:.6g}/tau={t:.6g}/h={h:.6g}"
            runs.append(RunSpec(rid, name, kind, path, case.name, scheme, opts, e, t, h, T, param, group, extra,
                                plan.h_max))
    ids = [r.id for r in runs]
    if len(set(ids)) != len(ids):
        dup = next(x for x in ids if ids.count(x) > 1)
        _fail(f"{key}", f"run {dup!r} appears twice (repeated scheme or eps/tau values)")
    return runs


_PERIMETER_KEYS = {"mesh", "dim", "discretizations", "eps_over_h", "shapes", "angles", "offsets", "positions"}


def _int_key(st, key, name, default, lo, hi):
    v = st.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        _fail(f"{key}.{name}", f"{v!r} must be an integer in [{lo}, {hi}]")
    return v


def _perimeter_runs(key, name, st):
    """The runs of a ``perimeter`` study (:mod:`validation.perimeter_study`): one per discretization and
    ε/h, on the box [-1, 1]^dim, refinement parameter h (ε fixed)."""
    from nonlocal_ import DISCRETIZATIONS

    from validation.perimeter_study import MESHES, SHAPES

    allowed = {"name", "kind", "eps"} | _PERIMETER_KEYS
    unknown = set(st) - allowed
    if unknown:
        _fail(f"{key}.{sorted(unknown)[0]}", f"unknown key for kind 'perimeter' (allowed: {', '.join(sorted(allowed))})")
    for req in ("mesh", "eps", "eps_over_h"):
        if req not in st:
            _fail(f"{key}.{req}", "missing (kind 'perimeter' needs mesh, eps and eps_over_h)")
    mesh = st["mesh"]
    if mesh not in MESHES:
        _fail(f"{key}.mesh", f"{mesh!r} is not one of {', '.join(MESHES)}")
    dim = st.get("dim", 2)
    if dim not in (2, 3) or isinstance(dim, bool):
        _fail(f"{key}.dim", f"{dim!r} must be 2 or 3")
    eps = st["eps"]
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps <= (0.17 if dim == 2 else 0.25):
        _fail(f"{key}.eps", f"{eps!r} must be a number in (0, {0.17 if dim == 2 else 0.25}] (the shapes "
                            f"and windows fit in [-1, 1]^dim)")
    ratios = _number_list(st["eps_over_h"], f"{key}.eps_over_h", scalar_ok=True)
    if any(r < 2 for r in ratios):
        _fail(f"{key}.eps_over_h", "every ratio must be at least 2")
    discs = st.get("discretizations", list(DISCRETIZATIONS))
    if not isinstance(discs, list) or not discs or any(d not in DISCRETIZATIONS for d in discs):
        _fail(f"{key}.discretizations", f"{discs!r} must be a list of {', '.join(DISCRETIZATIONS)}")
    shapes = st.get("shapes", list(SHAPES[dim]))
    if not isinstance(shapes, list) or not shapes or any(sh not in SHAPES[dim] for sh in shapes):
        _fail(f"{key}.shapes", f"{shapes!r} must be a list of {', '.join(SHAPES[dim])} ({dim}D)")
    extra = (("mesh", mesh), ("dim", dim), ("shapes", tuple(shapes)),
             ("angles", _int_key(st, key, "angles", 16, 1, 360)), ("offsets", _int_key(st, key, "offsets", 12, 1, 100)),
             ("positions", _int_key(st, key, "positions", 8, 1, 100)))
    runs = []
    for disc in discs:
        for r in ratios:
            h = float(eps) / r
            if mesh == "crossed":
                plan = box_plan([-1.0] * dim, [1.0] * dim, h=h)
                try:
                    check_mesh_size(plan.num_vertices, f"the box [-1, 1]^{dim} at h = {h:g}")
                except ValueError as err:
                    _fail(f"{key}.eps_over_h", str(err).removeprefix("h: "))
                h_max = plan.h_max
            else:
                h_max = float("nan")
            rid = f"{name}/{disc}/{mesh}/eps_over_h={r:.6g}"
            runs.append(RunSpec(rid, name, "perimeter", "h_to_zero", "", disc, (), float(eps),
                                float("nan"), h, 0.0, "h", (disc,), extra, h_max))
    return runs


def _comparison_keys(st, key, case):
    if case.initial["shape"] not in ("disc",) or case.dim != 2:
        _fail(f"{key}.kind", f"'comparison' perturbs a 2D disc; case {case.name!r} starts from {case.initial['shape']!r}")
    pairs = st.get("pairs", 3)
    if isinstance(pairs, bool) or not isinstance(pairs, int) or pairs < 1:
        _fail(f"{key}.pairs", f"{pairs!r} must be an integer >= 1")
    amp = st.get("amplitude", 0.1)
    if isinstance(amp, bool) or not isinstance(amp, (int, float)) or not 0 < amp < 0.5:
        _fail(f"{key}.amplitude", f"{amp!r} must be a number in (0, 0.5) (relative radius perturbation)")
    seed = st.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        _fail(f"{key}.seed", f"{seed!r} must be an integer")
    return (("amplitude", float(amp)), ("pairs", pairs), ("seed", seed))


def _petsc_options(table) -> dict:
    """The ``[petsc_options]`` table: option names (with their solver's prefix, no dash) -> string values.

    ``true`` is a flag without a value (``level_set_ksp_monitor = true``),
    ``false`` leaves the option out.
    """
    if not isinstance(table, dict):
        _fail("petsc_options", f"must be a table of PETSc options, got {table!r}")
    out = {}
    for name, value in table.items():
        key = f"petsc_options.{name}"
        if name.startswith("-"):
            _fail(key, f"write the option without its dash: {name.lstrip('-')} = ...")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            _fail(key, "not a PETSc option name (letters, digits and '_', e.g. level_set_ksp_rtol)")
        if isinstance(value, bool):
            if value:
                out[name] = ""
        elif isinstance(value, (int, float, str)):
            out[name] = str(value)
        else:
            _fail(key, f"must be a string, a number or true/false, got {value!r}")
    return out


def load_suite(suite: str | Path, schemes: dict | None = None) -> Suite:
    """Load and check a suite: a TOML file, or the name of a built-in suite.

    ``schemes`` maps names to :class:`validation.schemes.Scheme` (default:
    :data:`validation.schemes.SCHEMES`).  Raises :class:`SuiteError` (one line)
    on any problem; nothing is computed on a mesh.
    """
    schemes = SCHEMES if schemes is None else schemes
    builtins = builtin_suites()
    path = Path(suite)
    if not path.is_file():
        if str(suite) in builtins:
            path = builtins[str(suite)]
        else:
            raise SuiteError(f"suite: {str(suite)!r} is neither a file nor a built-in suite "
                             f"(built-in: {', '.join(sorted(builtins))})")
    text = path.read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SuiteError(f"{path}: not valid TOML: {err}") from None
    unknown = set(data) - {"suite", "cases", "studies", "petsc_options"}
    if unknown:
        _fail(sorted(unknown)[0], "unknown top-level key (allowed: suite, cases, studies, petsc_options)")
    petsc_options = _petsc_options(data.get("petsc_options", {}))
    head = data.get("suite", {})
    if not isinstance(head, dict):
        _fail("suite", "must be a table")
    bad = set(head) - {"name", "description"}
    if bad:
        _fail(f"suite.{sorted(bad)[0]}", "unknown key (allowed: name, description)")
    for k in ("name", "description"):
        if k in head and not isinstance(head[k], str):
            _fail(f"suite.{k}", f"must be a string, got {head[k]!r}")
    study_tables = data.get("studies")
    if not isinstance(study_tables, list) or not study_tables:
        _fail("studies", "missing: a suite needs at least one [[studies]] table")
    case_tables = data.get("cases", [])
    only_perimeter = all(isinstance(st, dict) and st.get("kind") == "perimeter" for st in study_tables)
    if not isinstance(case_tables, list) or not (case_tables or only_perimeter):
        _fail("cases", "missing: a suite needs at least one [[cases]] table")
    cases, labels = {}, {}
    for i, spec in enumerate(case_tables):
        label = f"cases[{i}]" + (f" ({spec['name']})" if isinstance(spec, dict) and isinstance(spec.get("name"), str) else "")
        if not isinstance(spec, dict):
            _fail(label, "must be a table")
        try:
            case = make_case(spec, path.parent)
        except ValueError as err:
            raise SuiteError(f"{label}.{err}") from None
        if case.name in cases:
            _fail(f"{label}.name", f"{case.name!r} is used by two cases")
        cases[case.name] = case
        labels[case.name] = label
    runs, names = [], set()
    for i, st in enumerate(study_tables):
        runs += _study_runs(i, st, cases, schemes, names)
    _check_meshes([r for r in runs if r.kind != "perimeter"], cases, labels)
    return Suite(head.get("name", path.stem), head.get("description", ""), cases, runs, text,
                 [st["name"] for st in study_tables], petsc_options)
