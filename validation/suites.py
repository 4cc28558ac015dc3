r"""Validation suites in TOML: loading, strict checking, and the list of runs.

A suite is a TOML file (read with :mod:`tomllib`) with three parts::

    [suite]
    name = "quick"
    description = "radial Gaussian, level-set FEM and nonlocal, tau = eps"

    [[cases]]                     # see advmcf.validation.cases for every key
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
diagram of a scheme, :mod:`advmcf.validation.plots`).  Observed orders are taken
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
:mod:`advmcf.validation.perimeter_study`).

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
each run's actual mesh (:mod:`advmcf.validation.mesh_checks`): ε/h_max below
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


from advmcf.meshes.checks import plain_name
from advmcf.meshes.evolution import MAX_STEPS, time_steps
from advmcf.meshes.files import LIMITS, read_bytes
from advmcf.meshes.generate import box_plan, check_mesh_size
from advmcf.validation.case_tables import make_case
from advmcf.validation.cases import Case
from advmcf.validation.expressions import Expression
from advmcf.validation.mesh_checks import check_densities, check_eps_resolution, check_initial_set, check_run_memory
from advmcf.validation.schemes import SCHEMES, scheme_label

__all__ = ["SuiteError", "Suite", "RunSpec", "load_suite", "builtin_suites", "PATHS", "KINDS"]

PATHS = ("diagonal", "eps_to_zero", "tau_to_zero", "grid", "phase")
#: The most nested pairs a comparison study may evolve (each is two flows).
MAX_PAIRS = 10**4
KINDS = ("flow", "one_step", "comparison", "versus", "perimeter")
_TAU_VARIABLES = ("eps", "h", "tau")  # a scheme's own time-step rule may use these


class SuiteError(ValueError):
    """A suite that cannot run: one line per problem, each naming the key and the reason.

    ``problems`` is the list of lines; the message is their concatenation.
    """

    def __init__(self, problems):
        self.problems = [problems] if isinstance(problems, str) else list(dict.fromkeys(problems))
        super().__init__("\n".join(self.problems))


class _Problems:
    """Problems found so far; :meth:`attempt` runs a check and records its lines instead of stopping."""

    def __init__(self):
        self.lines = []

    def attempt(self, fn, *args, prefix: str = ""):
        """``fn(*args)``, or :data:`_BAD` after recording what it raised (SuiteError or ValueError)."""
        try:
            return fn(*args)
        except SuiteError as err:
            self.lines += [prefix + line for line in err.problems]
        except ValueError as err:
            self.lines += [prefix + line for line in str(err).splitlines()]
        return _BAD

    def raise_if_any(self):
        if self.lines:
            raise SuiteError(self.lines)


_BAD = object()  # what a failed check returns


class _StudyProblems(SuiteError):
    """A study's problems, with the runs it could still list (their meshes are checked in the same round)."""

    def __init__(self, problems, runs):
        super().__init__(problems)
        self.runs = runs


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
    folder = resources.files("advmcf.validation") / "suites"
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


def _scheme_entries(value, key, schemes, problems: _Problems):
    """(name, options) of each entry of a study's ``schemes``: a name or a table with ``name``.  A bad
    option is recorded in ``problems`` and left out, so that the study's runs are still checked."""
    if not isinstance(value, list) or not value:
        _fail(key, f"must be a non-empty list of scheme names or tables, got {value!r}")
    out = []
    for i, entry in enumerate(value):
        got = problems.attempt(_scheme_entry, entry, f"{key}[{i}]", schemes, problems)
        if got is not _BAD:
            out.append(got)
    return out


def _scheme_entry(entry, k, schemes, problems: _Problems):
    opts = {}
    if isinstance(entry, dict):
        if "name" not in entry:
            _fail(f"{k}.name", f"missing: a scheme table needs a name (known: {', '.join(schemes)})")
        opts = {a: b for a, b in entry.items() if a != "name"}
        entry = entry["name"]
    if not isinstance(entry, str):
        _fail(k, f"must be a scheme name or a table with a name, got {entry!r}")
    if entry not in schemes:
        _fail(k, f"unknown scheme {entry!r} (known: {', '.join(schemes)})")
    good = {}
    for name, v in opts.items():
        if name == "tau":
            ok = problems.attempt(_check_tau_rule, v, f"{k}.tau")
        elif name not in schemes[entry].options:
            allowed = ", ".join(schemes[entry].options) or "none"
            ok = problems.attempt(_fail, f"{k}.{name}", f"unknown option of scheme {entry!r} (allowed: {allowed})")
        else:
            ok = problems.attempt(schemes[entry].options[name], v, prefix=f"{k}.{name}: ")
        if ok is not _BAD:
            good[name] = v
    return entry, tuple(sorted(good.items()))


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
        check_mesh_size(plan.num_vertices, f"the box {_box_text(lo, hi)} at h = {h:g}", "h", case.dim)
    except ValueError as err:
        _fail(f"{key}.h", str(err).removeprefix("h: "))
    return plan, h


def _box_text(lo, hi) -> str:
    return " x ".join(f"[{a:g}, {b:g}]" for a, b in zip(lo, hi))


def _check_meshes(runs, cases, labels, problems: _Problems) -> None:
    """The densities and the initial set of each case on the vertices of every mesh its runs use
    (a case's first problem on each check only: its finer meshes would repeat it)."""
    failed = set()
    for name, h in dict.fromkeys((r.case, r.h) for r in runs):
        case = cases[name]
        plan = case.plan(None if case.mesh_file is not None else h)
        for check in (check_densities, check_initial_set):
            if (name, check) not in failed and problems.attempt(check, case, plan, h,
                                                                prefix=f"{labels[name]}.") is _BAD:
                failed.add((name, check))


_STUDY_KEYS = ("name", "case", "kind", "path", "schemes", "eps", "tau", "h", "min_cells_per_eps",
               "pairs", "amplitude", "seed", "tau_over_eps", "eps_over_h")


def _study_name(name, key, seen_names):
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        _fail(f"{key}.name", f"{name!r} must be a string of letters, digits, '_' and '-'")
    if name in seen_names:
        _fail(f"{key}.name", f"{name!r} is used by two studies")
    seen_names.add(name)
    return name


def _study_case(name, cases, key):
    if not isinstance(name, str):
        _fail(f"{key}.case", f"must be the name of a case, got {name!r}")
    if name not in cases:
        _fail(f"{key}.case", f"no case named {name!r} (cases: {', '.join(cases) or 'none valid'})")
    return cases[name]


def _one_of(value, choices, key):
    if not isinstance(value, str) or value not in choices:
        _fail(key, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _min_cells(value, key):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
        _fail(key, f"{value!r} must be a positive number")
    return float(value)


def _eps_tau_pairs(st, key, path, problems):
    """The (ε, τ) pairs of a study along its path and its fixed mesh sizes (``[None]``: h from the
    study's rule; a phase diagram's h = ε/``eps_over_h``); :data:`_BAD` pairs after a problem."""
    bad = (_BAD, [None])
    eps_list = problems.attempt(_number_list, st["eps"], f"{key}.eps", path in ("tau_to_zero", "phase"))
    phase_keys = [k for k in ("tau_over_eps", "eps_over_h") if k in st]
    if path != "phase" and phase_keys:
        problems.attempt(_fail, f"{key}.{phase_keys[0]}", "only for path = 'phase'")
        return bad
    if path == "phase":
        return _phase_pairs(st, key, eps_list, problems)
    if path == "diagonal":
        if "tau" in st:
            problems.attempt(_fail, f"{key}.tau", "the diagonal path sets tau = eps: remove tau")
            return bad
        return (_BAD if eps_list is _BAD else [(e, e) for e in eps_list]), [None]
    if "tau" not in st:
        problems.attempt(_fail, f"{key}.tau", f"missing (path {path!r} needs it)")
        return bad
    tau_list = problems.attempt(_number_list, st["tau"], f"{key}.tau", path == "eps_to_zero")
    if eps_list is _BAD or tau_list is _BAD:
        return bad
    if path == "eps_to_zero" and len(tau_list) != 1:
        problems.attempt(_fail, f"{key}.tau", "path 'eps_to_zero' keeps tau fixed: give one number")
        return bad
    if path == "tau_to_zero" and len(eps_list) != 1:
        problems.attempt(_fail, f"{key}.eps", "path 'tau_to_zero' keeps eps fixed: give one number")
        return bad
    return [(e, t) for t in tau_list for e in eps_list], [None]


def _phase_pairs(st, key, eps_list, problems):
    """A phase diagram: ε fixed, τ = ε·``tau_over_eps`` and h = ε/``eps_over_h`` over two lists."""
    for k in ("tau", "h"):
        if k in st:
            problems.attempt(_fail, f"{key}.{k}", f"path 'phase' takes tau_over_eps and eps_over_h: remove {k}")
    if eps_list is not _BAD and len(eps_list) != 1:
        problems.attempt(_fail, f"{key}.eps", "path 'phase' keeps eps fixed: give one number")
    ratios = {}
    for k in ("tau_over_eps", "eps_over_h"):
        if k not in st:
            problems.attempt(_fail, f"{key}.{k}", "missing (path 'phase' needs tau_over_eps and eps_over_h)")
        else:
            ratios[k] = problems.attempt(_number_list, st[k], f"{key}.{k}", False)
    if eps_list is _BAD or len(eps_list) != 1 or len(ratios) != 2 or _BAD in ratios.values() \
            or "tau" in st or "h" in st:
        return _BAD, [None]
    eps = eps_list[0]
    return [(eps, eps * r) for r in ratios["tau_over_eps"]], [eps / r for r in ratios["eps_over_h"]]


def _check_kind(kind, case, key):
    if kind == "one_step" and case.boundary() is None:
        _fail(f"{key}.kind", f"'one_step' needs a smooth initial shape with a known boundary "
                             f"(disc, ball, ellipse, flower, a Bayes ball); case {case.name!r} has {case.initial['shape']!r}")


def _units(entries, kind, extra, case, schemes, key):
    """(scheme, options, label, extra) of each row group of the study; a versus study has one."""
    units = [(s, o, scheme_label(s, dict(o)), extra) for s, o in entries]
    if kind == "versus":
        if len(entries) != 2:
            _fail(f"{key}.schemes", f"kind 'versus' compares exactly two schemes, got {len(entries)}")
        (a, oa), (b, ob) = entries
        if "tau" in dict(oa) or "tau" in dict(ob):
            _fail(f"{key}.schemes", "kind 'versus' runs both schemes with the same tau: remove the schemes' tau")
        label = f"{scheme_label(a, dict(oa))} vs {scheme_label(b, dict(ob))}"
        units = [(a, oa, label, (("label", label), ("versus", b), ("versus_options", dict(ob))))]
    for scheme, _, _, ext in units:
        for name in (scheme, dict(ext).get("versus")):
            if name is not None and schemes[name].needs_smooth_2d and (case.dim != 2 or case.boundary() is None):
                _fail(f"{key}.schemes", f"scheme {name!r} needs a smooth 2D initial shape; case {case.name!r} is not")
    return units


def _run_tau(study, case, scheme, opts, eps, tau, h, h_max, key) -> float:
    """The time step a run takes: the scheme's own ``tau`` rule, else (unless the study refines τ)
    the scheme's default rule (:attr:`advmcf.validation.schemes.Scheme.time_step`), else the study's
    τ; then made to divide T.  Every scheme takes equal steps that land on T
    (:func:`advmcf.meshes.evolution.time_steps`): a τ the study gives that does not divide T is
    refused (the row would show a τ that did not run), a τ from a rule becomes T/⌈T/τ⌉."""
    given = tau
    if "tau" in dict(opts):
        tau = _scheme_tau(opts, eps, tau, h, f"{key}.schemes.{scheme.name}.tau")
    elif study["path"] != "tau_to_zero" and scheme.time_step is not None:
        tau = scheme.time_step(h_max, eps, tau, {k: v for k, v in opts if k != "tau"})
    if study["kind"] == "one_step":
        return tau
    where = f"{key}.schemes.{scheme.name}.tau" if tau != given else f"{key}.{'eps' if study['path'] == 'diagonal' else 'tau'}"
    if tau > case.T * (1 + 1e-12):
        _fail(where, f"tau = {tau:g} exceeds the final time T = {case.T:g} of case {case.name!r}")
    dt, n = time_steps(0.0, case.T, tau)
    if abs(dt - tau) > 1e-9 * tau:
        if tau == given:
            _fail(where, f"tau = {tau:g} does not divide T = {case.T:g} of case {case.name!r}: every scheme takes "
                         f"equal steps that land on T, so the run would take {n} steps of {dt:.6g}; give a tau "
                         f"that divides T (e.g. {case.T / max(1, round(case.T / tau)):.6g}) or another T")
        tau = dt
    return tau


def _run_memory(case, plan, eps, uses_eps, key) -> None:
    """:func:`advmcf.validation.mesh_checks.check_run_memory` as a SuiteError naming ``{key}.eps`` or ``{key}.h``."""
    try:
        check_run_memory(case, plan, eps, uses_eps)
    except ValueError as err:
        name, message = str(err).split(": ", 1)
        _fail(f"{key}.{name}", message)


def _run_spec(study, case, unit, eps, tau, h_rule, min_cells, schemes, key, problems: _Problems):
    """The :class:`RunSpec` of one (ε, τ) of a study, its mesh checked (size, ε against h_max) and its
    time step the one that runs (:func:`_run_tau`).  A problem with ε or τ goes to ``problems`` and
    the run is still returned, so that the checks on its mesh run in the same round."""
    scheme, opts, label, extra = unit
    plan, h = _mesh_of_run(case, h_rule, eps, tau, key)
    if schemes[scheme].uses_eps or ("versus" in dict(extra) and schemes[dict(extra)["versus"]].uses_eps):
        try:
            check_eps_resolution(eps, plan, min_cells)
        except ValueError as err:
            problems.attempt(_fail, f"{key}.eps" if case.mesh_file is not None else f"{key}.h", str(err))
    problems.attempt(_run_memory, case, plan, eps, schemes[scheme].uses_eps or (
        "versus" in dict(extra) and schemes[dict(extra)["versus"]].uses_eps), key)
    run_tau = problems.attempt(_run_tau, study, case, schemes[scheme], opts, eps, tau, h, plan.h_max, key)
    tau = tau if run_tau is _BAD else run_tau
    T = tau if study["kind"] == "one_step" else case.T
    if T / tau > MAX_STEPS * (1 + 1e-9):
        problems.attempt(_fail, f"{key}.schemes.{scheme}", f"T/tau = {T:g}/{tau:g} = {T / tau:.3g} steps at eps = "
                                                           f"{eps:g}: at most {MAX_STEPS:.0e} (take a larger tau or a smaller T)")
    param = {"tau_to_zero": "tau", "phase": "h"}.get(study["path"], "eps")
    group = (label,) + ((f"tau={tau:.6g}",) if study["path"] in ("grid", "phase") else ())
    rid = f"{study['name']}/{label}/eps={eps:.6g}/tau={tau:.6g}/h={plan.h_max:.6g}"  # h as the tables print it
    return RunSpec(rid, study["name"], study["kind"], study["path"], case.name, scheme, opts, eps, tau, h, T,
                   param, group, extra, plan.h_max)


def _study_runs(i, st, cases, schemes, seen_names, failed_cases=()):
    """The runs of the study table ``st`` (``studies[i]``); SuiteError with every problem found.

    A study of a case that failed to parse is checked only where it does not need the case.
    """
    key = f"studies[{i}]"
    if not isinstance(st, dict):
        _fail(key, "must be a table")
    p = _Problems()
    if st.get("kind") == "perimeter":  # no case, its own keys
        if "name" not in st:
            _fail(f"{key}.name", "missing")
        return _perimeter_runs(key, _study_name(st["name"], key, seen_names), st)
    for k in sorted(set(st) - set(_STUDY_KEYS)):
        p.attempt(_fail, f"{key}.{k}", f"unknown key (allowed: {', '.join(sorted(_STUDY_KEYS))})")
    for req in ("name", "case", "schemes", "eps"):
        if req not in st:
            p.attempt(_fail, f"{key}.{req}", "missing")
    name = p.attempt(_study_name, st["name"], key, seen_names) if "name" in st else _BAD
    if isinstance(st.get("case"), str) and st["case"] in failed_cases:
        case = None
    else:
        case = p.attempt(_study_case, st["case"], cases, key) if "case" in st else _BAD
    kind = p.attempt(_one_of, st.get("kind", "flow"), KINDS, f"{key}.kind")
    path = p.attempt(_one_of, st.get("path", "diagonal"), PATHS, f"{key}.path")
    entries = p.attempt(_scheme_entries, st["schemes"], f"{key}.schemes", schemes, p) if "schemes" in st else _BAD
    pairs, h_list = _eps_tau_pairs(st, key, path, p) if "eps" in st and path is not _BAD else (_BAD, [None])
    h_rule = p.attempt(_h_rule, st.get("h", "eps/8"), f"{key}.h")
    min_cells = p.attempt(_min_cells, st.get("min_cells_per_eps", 4), f"{key}.min_cells_per_eps")
    extra = ()
    if kind == "comparison":
        extra = p.attempt(_comparison_keys, st, key, case) if case not in (None, _BAD) else _BAD
    elif any(k in st for k in ("pairs", "amplitude", "seed")) and kind is not _BAD:
        k = next(k for k in ("pairs", "amplitude", "seed") if k in st)
        p.attempt(_fail, f"{key}.{k}", "only for kind = 'comparison'")
    if case is None:  # its own problems are reported with the case
        p.raise_if_any()
        return []
    if case is not _BAD:
        if case.mesh_file is not None and "h" in st:
            p.attempt(_fail, f"{key}.h", f"case {case.name!r} reads its mesh from {case.mesh_file.name}: remove h "
                                         f"(the tables report the file's h_max = {case.plan(None).h_max:.4g})")
        if kind is not _BAD:
            p.attempt(_check_kind, kind, case, key)
    if _BAD in (name, case, kind, path, entries, pairs, h_rule, min_cells, extra):
        p.raise_if_any()  # the runs cannot be listed; what was found is all that can be said
    units = p.attempt(_units, entries, kind, extra, case, schemes, key)
    study = {"name": name, "kind": kind, "path": path}
    # every run is checked, so that one round reports every problem (not the first of each study)
    runs = [r for unit in (units if units is not _BAD else []) for e, t in pairs for h in h_list
            if (r := p.attempt(_run_spec, study, case, unit, e, t, h_rule if h is None else (lambda *_, h=h: h),
                               min_cells, schemes, key, p)) is not _BAD]
    if p.lines:
        raise _StudyProblems(p.lines, runs)
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
    """The runs of a ``perimeter`` study (:mod:`advmcf.validation.perimeter_study`): one per discretization and
    ε/h, on the box [-1, 1]^dim, refinement parameter h (ε fixed)."""
    from advmcf.nonlocal_ import DISCRETIZATIONS

    from advmcf.validation.perimeter_study import MESHES, SHAPES

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
                    check_mesh_size(plan.num_vertices, f"the box [-1, 1]^{dim} at h = {h:g}", "h", dim)
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
    if isinstance(pairs, bool) or not isinstance(pairs, int) or not 1 <= pairs <= MAX_PAIRS:
        _fail(f"{key}.pairs", f"{pairs!r} must be an integer >= 1 and at most {MAX_PAIRS}")
    amp = st.get("amplitude", 0.1)
    if isinstance(amp, bool) or not isinstance(amp, (int, float)) or not 0 < amp < 0.5:
        _fail(f"{key}.amplitude", f"{amp!r} must be a number in (0, 0.5) (relative radius perturbation)")
    seed = st.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        _fail(f"{key}.seed", f"{seed!r} must be an integer >= 0 (the random generator's seed)")
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


def _read_toml(path: Path) -> tuple[str, dict]:
    try:
        raw = read_bytes(path, LIMITS["suite"], "suite")  # a regular file of at most 1 MiB
    except OSError as err:
        raise SuiteError(f"{path}: cannot read ({err.strerror})") from None
    except ValueError as err:
        raise SuiteError(str(err)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SuiteError(f"{path}: not a UTF-8 text file (byte {raw[err.start]:#04x} at offset {err.start}): "
                         "save the suite as UTF-8") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SuiteError(f"{path}: not valid TOML: {err}") from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise SuiteError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None


def _suite_head(head):
    if not isinstance(head, dict):
        _fail("suite", f"must be a table ([suite] with name and description), got {head!r}")
    p = _Problems()
    for k in sorted(set(head) - {"name", "description"}):
        p.attempt(_fail, f"suite.{k}", "unknown key (allowed: name, description)")
    for k in ("name", "description"):
        if k in head and not isinstance(head[k], str):
            p.attempt(_fail, f"suite.{k}", f"must be a string, got {head[k]!r}")
    if isinstance(head.get("name"), str):  # it names the default output folder, results/<name>
        p.attempt(plain_name, "suite.name", head["name"])
    p.raise_if_any()
    return head


def _tables(data, key, what):
    tables = data.get(key)
    if tables is None or tables == []:
        _fail(key, f"missing: a suite needs at least one [[{key}]] table ({what})")
    if not isinstance(tables, list):
        _fail(key, f"must be a list of [[{key}]] tables, got a {type(tables).__name__}")
    return tables


def load_suite(suite: str | Path, schemes: dict | None = None) -> Suite:
    """Load and check a suite: a TOML file, or the name of a built-in suite.

    ``schemes`` maps names to :class:`advmcf.validation.schemes.Scheme` (default:
    :data:`advmcf.validation.schemes.SCHEMES`).  Raises :class:`SuiteError` with
    every problem found (one line each: tables and keys that do not depend
    on each other are all checked); nothing is computed on a mesh.
    """
    schemes = SCHEMES if schemes is None else schemes
    builtins = builtin_suites()
    path = Path(suite)
    if not path.is_file():
        if str(suite) in builtins:
            path = builtins[str(suite)]
        elif path.is_dir():
            raise SuiteError(f"suite: {str(suite)!r} is a folder, not a suite file")
        elif path.exists():
            raise SuiteError(f"suite: {str(suite)!r} is a device, a pipe or a socket, not a suite file")
        else:
            raise SuiteError(f"suite: {str(suite)!r} is neither a file nor a built-in suite "
                             f"(built-in: {', '.join(sorted(builtins))})")
    text, data = _read_toml(path)
    p = _Problems()
    for k in sorted(set(data) - {"suite", "cases", "studies", "petsc_options"}):
        p.attempt(_fail, k, "unknown top-level key (allowed: suite, cases, studies, petsc_options)")
    petsc_options = p.attempt(_petsc_options, data.get("petsc_options", {}))
    head = p.attempt(_suite_head, data.get("suite", {}))
    cases, labels, failed = {}, {}, set()
    study_tables = p.attempt(_tables, data, "studies", "what to run on the cases")
    only_perimeter = study_tables is not _BAD and all(isinstance(st, dict) and st.get("kind") == "perimeter"
                                                     for st in study_tables)
    case_tables = [] if only_perimeter and "cases" not in data else \
        p.attempt(_tables, data, "cases", "the domain, densities, initial set and T")
    for i, spec in enumerate(case_tables if case_tables is not _BAD else []):
        name = spec.get("name") if isinstance(spec, dict) else None
        label = f"cases[{i}]" + (f" ({name})" if isinstance(name, str) else "")
        case = p.attempt(make_case, spec, path.parent, prefix=f"{label}.")
        if case is _BAD:
            if isinstance(name, str):
                failed.add(name)
        elif case.name in cases:
            p.attempt(_fail, f"{label}.name", f"{case.name!r} is used by two cases")
        else:
            cases[case.name], labels[case.name] = case, label
    runs, names = [], set()
    for i, st in enumerate(study_tables if study_tables is not _BAD else []):
        try:
            runs += _study_runs(i, st, cases, schemes, names, failed)
        except _StudyProblems as err:  # its problems, and the runs whose meshes can still be checked
            p.lines += err.problems
            runs += err.runs
        except SuiteError as err:
            p.lines += err.problems
        except ValueError as err:
            p.lines += str(err).splitlines()
    _check_meshes([r for r in runs if r.kind != "perimeter"], cases, labels, p)
    if head is not _BAD and "name" not in head:  # the file's name names the output folder
        p.attempt(plain_name, "suite.name (missing, so the file name is used)", path.stem)
    p.raise_if_any()
    return Suite(head.get("name", path.stem), head.get("description", ""), cases, runs, text,
                 [st["name"] for st in study_tables], petsc_options)
