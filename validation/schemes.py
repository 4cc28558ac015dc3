r"""The schemes a suite can run: a registry of name -> :class:`Scheme`.

Each :class:`Scheme` runs ``run(case, phi0, eps, tau, T, options, output_times,
progress) -> advmcf.meshes.evolution.Evolution`` on the case's mesh (the mesh of
``phi0``) with the time step ``tau`` it is given: the suite has already fixed
the step that runs (the study's τ, a scheme's own rule, Allen–Cahn's
default tied to δ) and made it divide T (:mod:`advmcf.validation.suites`), so
the τ of a table is the τ that ran.  Every scheme is a stepper of the one time
loop :func:`advmcf.meshes.evolution.run_flow`.

- ``level_set``: :func:`advmcf.fem_mcf.level_set_flow` with ρ = ρ0 + ρ1 (ε unused);
  options ``degree`` (P2 starts from the P2 interpolant of the case's
  initial shape), ``time_order`` (1 Euler, 2 BDF2; default in suites
  :data:`LEVEL_SET_TIME_ORDER`), ``redistance_every``.
- ``thresholding``: :func:`advmcf.fem_mcf.thresholding_flow` with ρ = ρ0 + ρ1 and the
  thresholding step τ (ε unused); option ``substeps`` (default
  :data:`THRESHOLDING_SUBSTEPS`).  Regime column h/√τ (pinned when ≳ 1).
- ``allen_cahn``: :func:`advmcf.fem_mcf.allen_cahn_flow` with ρ = ρ0 + ρ1 (ε
  unused); options ``delta`` (the interface width: a number or an expression
  in h, eps and tau, default :data:`ALLEN_CAHN_DELTA`, h the mesh's h_max) and
  ``tau_over_delta2``: unless the scheme has its own ``tau`` or the study
  refines τ (path ``tau_to_zero``), its step is min(τ, tau_over_delta2·δ²)
  (default :data:`ALLEN_CAHN_TAU_OVER_DELTA2`).  Regime columns δ/h (the
  profile is resolved when ≳ 4) and τ/δ².
- ``parametric``: :func:`advmcf.fem_mcf.parametric_mesh_flow` on the exact initial curve
  sampled at spacing ≈ h_min/2, with :math:`\nabla\log\rho` in closed form where
  the densities have one (2D, smooth initial shapes; ε unused).
- ``nonlocal``: :func:`advmcf.nonlocal_.adversarial_flow`; options ``p`` (1: the
  paper's scheme, 0: plain iterated adversarial training, the negative
  control), ``selection`` (``minimal`` or ``maximal``) and
  ``discretization`` (``isotropic``, the default, or ``plain``: the vertex
  ball of radius ε, for comparison; :mod:`advmcf.nonlocal_.mixture`) and
  ``boundary`` (``window``, the default: R^d outside Ω is outside the set,
  which is held off ∂Ω; ``neumann``: balls cut off by Ω, for sets that cross
  ∂Ω by design such as a half space; :mod:`advmcf.nonlocal_.step`).

How each scheme treats ∂Ω: the finite-element schemes (level set, thresholding,
Allen–Cahn) have natural boundary conditions; the parametric curves do not see
∂Ω; the adversarial scheme counts the outside of Ω as outside the set (the
default, :ref:`theory-scheme`).  Every run measures how close its set comes to
∂Ω (:mod:`advmcf.meshes.boundary`) and is flagged when it gets there
(:mod:`advmcf.validation.flags`).

The schemes are imported when a run starts, so suites load and validate even
where a scheme is not installed yet; such a run is recorded as failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import math

import numpy as np

from advmcf.meshes import checks
from advmcf.validation.expressions import Expression

__all__ = ["Scheme", "SCHEMES", "scheme_label", "scheme_title", "allen_cahn_delta",
           "THRESHOLDING_SUBSTEPS", "ALLEN_CAHN_DELTA", "ALLEN_CAHN_TAU_OVER_DELTA2", "LEVEL_SET_TIME_ORDER"]

#: Thresholding: implicit Euler substeps per step (m = 1 has an anomalously large error, m >= 2 does not).
THRESHOLDING_SUBSTEPS = 2
#: Allen-Cahn: the default interface width rule.
ALLEN_CAHN_DELTA = "4*h"
#: Allen-Cahn: the default time step over δ² (the largest with the fully linearized well, S_i = W'').
ALLEN_CAHN_TAU_OVER_DELTA2 = 0.25
#: Level set: the time stepper a suite runs unless it says otherwise (BDF2: see the docs' schemes page).
LEVEL_SET_TIME_ORDER = 2
_RULE_VARIABLES = ("h", "eps", "tau")


def _int_at_least(lo):
    def check(v):
        try:
            checks.integer("", v, minimum=lo)
        except ValueError as err:
            raise ValueError(str(err).lstrip()) from None
    return check


def _one_of(*values):
    def check(v):
        try:
            checks.choice("", v, values)
        except ValueError as err:
            raise ValueError(str(err).lstrip()) from None
    return check


def _positive_number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < float("inf"):
        raise ValueError(f"must be a positive number, got {v!r}")


def _length_rule(v):
    """A positive number, or an expression in h, eps and tau (checked when parsed)."""
    if isinstance(v, str):
        Expression(v, _RULE_VARIABLES)
    else:
        _positive_number(v)


@dataclass(frozen=True)
class Scheme:
    """A named scheme: its runner, its option validators, whether it uses ε, and its regime columns.

    ``vertex_sets``: its sets move through mesh vertices, so a step that moves
    the boundary by less than a cell can pin it (flagged when h/(τ|V|) ≥ 1,
    :mod:`advmcf.validation.flags`).  ``title``: its name in figures, as papers
    call it.  ``defaults``: options a suite runs it with unless it gives them.
    ``time_step(h, eps, tau, options)`` (if given): the step the scheme takes
    when neither the scheme's own ``tau`` nor a τ-refining path sets it
    (Allen–Cahn's is tied to δ); the suite fixes it before anything runs.
    ``regime(h, eps, tau, options)`` (if given) returns the ratios that show
    whether the run is resolved (e.g. ``{"h_over_sqrt_tau": ...}``), added to
    the run's ``ratios`` beside h/ε and h/(τ|V|).  ``spreads``: a run computes
    on every rank of its communicator (the finite-element schemes); otherwise
    on one (the adversarial step works on rank 0, the parametric curves are
    computed alike on every rank), so a suite on lanes of ranks gives it one
    (:mod:`advmcf.validation.lanes`).  ``cost``: its work per vertex and step
    relative to the level-set FEM's, for planning the lanes.
    """

    name: str
    run: Callable
    options: dict
    uses_eps: bool
    needs_smooth_2d: bool = False
    vertex_sets: bool = False
    title: str = ""
    regime: Callable | None = None
    time_step: Callable | None = None
    defaults: dict = field(default_factory=dict)
    spreads: bool = True
    cost: float = 1.0


def _mesh_h(phi0) -> float:
    from advmcf.meshes.stats import mesh_stats

    return mesh_stats(phi0.function_space.mesh).h_max


def allen_cahn_delta(h: float, eps: float, tau: float, options: dict) -> float:
    """δ of an Allen–Cahn run: its rule (option ``delta``) at (h, ε, τ), h the mesh's h_max."""
    rule = options.get("delta", ALLEN_CAHN_DELTA)
    delta = float(Expression(rule, _RULE_VARIABLES)(h=h, eps=eps, tau=tau)) if isinstance(rule, str) else float(rule)
    if not (delta > 0 and math.isfinite(delta)):
        raise ValueError(f"allen_cahn: delta = {rule!r} gives {delta!r} at h = {h:g}, eps = {eps:g}, tau = {tau:g}; "
                         "it must be positive")
    return delta


def _allen_cahn_step(h, eps, tau, options):
    """Allen–Cahn's default step min(τ, c δ²), c = ``tau_over_delta2``."""
    return min(tau, options.get("tau_over_delta2", ALLEN_CAHN_TAU_OVER_DELTA2) * allen_cahn_delta(h, eps, tau, options)**2)


def _thresholding(case, phi0, eps, tau, T, options, output_times, progress):
    from advmcf.fem_mcf import thresholding_flow

    return thresholding_flow(phi0, case.density.rho, tau, T, output_times=output_times, progress=progress,
                             substeps=options.get("substeps", THRESHOLDING_SUBSTEPS))


def _allen_cahn(case, phi0, eps, tau, T, options, output_times, progress):
    from advmcf.fem_mcf import allen_cahn_flow

    return allen_cahn_flow(phi0, case.density.rho, tau, T, delta=allen_cahn_delta(_mesh_h(phi0), eps, tau, options),
                           output_times=output_times, progress=progress)


def _thresholding_regime(h, eps, tau, options):
    return {"h_over_sqrt_tau": h / math.sqrt(tau)}


def _allen_cahn_regime(h, eps, tau, options):
    delta = allen_cahn_delta(h, eps, tau, options)
    return {"delta_over_h": delta / h, "tau_over_delta2": tau / delta**2}


def _level_set(case, phi0, eps, tau, T, options, output_times, progress):
    from advmcf.fem_mcf import level_set_flow

    shape = case.shape() if options.get("degree") == 2 and case.initial["shape"] != "bayes" else None
    return level_set_flow(phi0, case.density.rho, tau, T, output_times=output_times,
                          progress=progress, shape=shape, **options)


def _nonlocal(case, phi0, eps, tau, T, options, output_times, progress):
    from advmcf.nonlocal_ import adversarial_flow

    return adversarial_flow(phi0, case.density.rho0, case.density.rho1, eps, T, tau=tau,
                            output_times=output_times, progress=progress, **options)


def _parametric(case, phi0, eps, tau, T, options, output_times, progress):
    from advmcf.fem_mcf import parametric_mesh_flow
    from advmcf.meshes.stats import mesh_stats

    boundary = case.boundary()
    h = mesh_stats(phi0.function_space.mesh).h_min
    length = np.sum(np.linalg.norm(np.diff(boundary.sample(4096), axis=0), axis=1))
    curve = boundary.sample(max(64, int(np.ceil(2 * length / h))))
    density = case.density
    return parametric_mesh_flow(phi0.function_space, [curve], density.rho, tau, T, output_times=output_times,
                                grad_log_rho=density.grad_log_rho if density.closed_form else None,
                                progress=progress)


#: The built-in schemes by name.
SCHEMES = {
    "level_set": Scheme("level_set", _level_set,
                        {"degree": _one_of(1, 2), "time_order": _one_of(1, 2),
                         "redistance_every": _int_at_least(0)}, False, title="level-set FEM",
                        defaults={"time_order": LEVEL_SET_TIME_ORDER}),
    "thresholding": Scheme("thresholding", _thresholding, {"substeps": _int_at_least(1)}, False,
                           title="thresholding (MBO)", regime=_thresholding_regime),
    "allen_cahn": Scheme("allen_cahn", _allen_cahn,
                         {"delta": _length_rule, "tau_over_delta2": _positive_number}, False,
                         title="Allen–Cahn", regime=_allen_cahn_regime, time_step=_allen_cahn_step),
    "parametric": Scheme("parametric", _parametric, {}, False, needs_smooth_2d=True,
                         title="parametric FEM (BGN)", spreads=False, cost=0.02),
    # the cost: a nonlocal step at eps/h = 4-6 against a level-set step on the same mesh (quick suite, 1 rank)
    "nonlocal": Scheme("nonlocal", _nonlocal,
                       {"p": _one_of(0, 1), "selection": _one_of("minimal", "maximal"),
                        "discretization": _one_of("isotropic", "plain"),
                        "boundary": _one_of("window", "neumann")}, True,
                       vertex_sets=True, title="adversarial scheme", spreads=False, cost=5.0),
}


def scheme_label(name: str, options: dict) -> str:
    """A short label such as ``nonlocal(p=0,selection=maximal)`` for tables and run ids."""
    if not options:
        return name
    return name + "(" + ",".join(f"{k}={v}" for k, v in sorted(options.items())) + ")"


def scheme_title(name: str, options: dict) -> str:
    """A scheme's name for figures: its :attr:`Scheme.title` and its options (with the defaults it
    runs with) in words, e.g. ``adversarial scheme, p = 0, maximal minimizer``."""
    scheme = SCHEMES.get(name)
    title = scheme.title if scheme is not None and scheme.title else name.replace("_", " ")
    words = []
    options = {**(scheme.defaults if scheme is not None else {}), **options}
    for key, value in sorted(options.items()):
        if key == "selection":
            words.append(f"{value} minimizer")
        elif key == "degree":
            words.append(f"P{value}")
        elif key == "time_order":
            words.append({1: "semi-implicit Euler", 2: "BDF2"}.get(value, f"time order {value}"))
        elif key == "tau":
            words.append(f"τ = {str(value).replace('**2', '²').replace('*', '')}")
        elif key == "delta":
            words.append(f"δ = {value}")
        elif key == "redistance_every":
            words.append(f"redistanced every {value} steps" if value else "no redistancing")
        else:
            words.append(f"{key} = {value}")
    return ", ".join([title] + words)
