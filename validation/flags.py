r"""Degenerate runs: results that are numbers but not measurements of convergence.

A run whose result is degenerate is recorded with status ``"flagged"`` and
a list of flags (code and one-line message); its table row carries a marker
and a footnote, never a plain row.  The flags:

- ``extinct_early``: the computed set vanished more than one step τ before
  the reference's set does (or the reference survives to T): the errors then
  measure the distance to the empty set, not the scheme's accuracy.
- ``nan_metric``: a metric that applies is undefined (NaN), e.g. the
  Hausdorff distance when one set is empty, or an extinction error when
  only one of the two vanished.
- ``pinned``: h/(τ|V|) ≥ 1 for a scheme whose set moves through mesh
  vertices (the nonlocal scheme): one step moves the boundary by less than
  a cell, so it may not move at all (:ref:`theory-convergence`: h ≪ τ|V| is needed).
  For thresholding the same happens when h/√τ ≥ 1 (the heat step diffuses
  over less than a cell; MBO pinning).
- ``under_resolved``: an Allen–Cahn run with δ/h < 2: the diffuse interface
  spans too few cells (at δ = h the constant-density disc moves 13% too
  little, see :mod:`advmcf.fem_mcf.allen_cahn`).
- ``uncertified``: a step of the nonlocal scheme whose cut is not certified
  optimal (max-flow ≠ min-cut beyond the rounding bound).
- ``boundary``: the set came to the domain boundary: some step's
  ``near_boundary`` (its boundary margin below the scheme's reach: ε for the
  adversarial scheme, two cells for the level set, more for the diffuse
  schemes; :mod:`advmcf.meshes.evolution`, :mod:`advmcf.meshes.boundary`)
  while the initial set was clear of ∂Ω.  The window Ω then acts on the set,
  and the paper's problem in :math:`\mathbb R^d` has no such wall.  A set that
  meets ∂Ω from the start (a half space) does so by the case's choice and
  is not flagged.
- ``jump``: a step moved the set far beyond what the flow allows: its
  ``displacement`` (the adversarial scheme's largest distance to ∂A_k of a
  vertex that changed side) exceeds :math:`3\tau_k V_k + 2h_{max}`,
  :math:`V_k` the reference's largest speed over the step
  (:attr:`advmcf.validation.cases.Reference.speed_at`).

Flagged runs are left out of every observed order and every fitted line
(tables and figures), and the tables say which rows were left out.
"""

from __future__ import annotations

import math

__all__ = ["run_flags", "FLAG_CODES"]

#: Flag codes in the order tables list them.
FLAG_CODES = ("extinct_early", "nan_metric", "pinned", "under_resolved", "uncertified", "boundary", "jump")


def _flag(code, message):
    return {"code": code, "message": message}


def run_flags(spec, metrics: dict, ratios: dict, reference, evolutions: dict, vertex_sets: bool,
              h_max: float = 0.0) -> list[dict]:
    """The flags of a finished run (see the module docstring); ``[]`` for a plain result.

    Args:
        spec: the run (:class:`advmcf.validation.suites.RunSpec`).
        metrics, ratios: what the runner measured.
        reference: the case's :class:`advmcf.validation.cases.Reference` (``flow`` runs).
        evolutions: the evolutions the run computed (label -> Evolution).
        vertex_sets: whether a scheme of the run moves its set through mesh vertices.
        h_max: the mesh's longest edge (the slack of the ``jump`` test).
    """
    flags = []
    if spec.kind == "flow" and reference is not None and reference.kind != "none":
        t_ref = reference.extinction_time
        for ev in evolutions.values():
            t_h = ev.extinction_time
            if t_h is not None and (t_ref is None or t_ref > spec.T or t_h < t_ref - spec.tau * (1 + 1e-9)):
                when = (f"more than one step (τ = {spec.tau:g}) before the reference's extinction at "
                        f"t = {t_ref:.4g}" if t_ref is not None and t_ref <= spec.T
                        else f"while the reference survives to T = {spec.T:g}")
                flags.append(_flag("extinct_early", f"the set vanished at t = {t_h:.4g}, {when}"))
    nan = [k for k, v in metrics.items() if v is None or (isinstance(v, float) and math.isnan(v))]
    if nan:
        flags.append(_flag("nan_metric", f"undefined (NaN): {', '.join(nan)}"))
    r = ratios.get("h_over_tau_V")
    if vertex_sets and r is not None and math.isfinite(r) and r >= 1:
        flags.append(_flag("pinned", f"h/(τ|V|) = {r:.3g} ≥ 1: a step moves the boundary by less than a "
                                     f"cell, the set may be pinned"))
    r = ratios.get("h_over_sqrt_tau")
    if r is not None and math.isfinite(r) and r >= 1:
        flags.append(_flag("pinned", f"h/√τ = {r:.3g} ≥ 1: the heat step diffuses over less than a cell, "
                                     f"thresholding may be pinned"))
    r = ratios.get("delta_over_h")
    if r is not None and math.isfinite(r) and r < 2:
        flags.append(_flag("under_resolved", f"δ/h = {r:.3g} < 2: the diffuse interface spans too few cells"))
    uncertified = sum(1 for ev in evolutions.values() for d in ev.diagnostics if d.get("certified") is False)
    if uncertified:
        flags.append(_flag("uncertified", f"{uncertified} step(s) with an uncertified cut"))
    for label, ev in evolutions.items():
        who = f"{label}: " if label else ""
        diags = ev.diagnostics
        if diags and not diags[0].get("near_boundary", False):
            near = next((d for d in diags[1:] if d.get("near_boundary")), None)
            if near is not None:
                flags.append(_flag("boundary", f"{who}the set came to the domain boundary at t = {near['t']:.4g} "
                                               f"(margin {near['boundary_margin']:.3g}); the window acts on it"))
        speed_at = getattr(reference, "speed_at", None)
        if speed_at is not None:
            for before, d in zip(diags, diags[1:]):
                if "displacement" not in d:
                    continue
                allowed = 3 * d["tau"] * max(speed_at(before["t"]), speed_at(d["t"])) + 2 * h_max
                if d["displacement"] > allowed:
                    flags.append(_flag("jump", f"{who}the step to t = {d['t']:.4g} moved the set by "
                                               f"{d['displacement']:.3g}, beyond 3τ|V| + 2h = {allowed:.3g}"))
                    break
    return flags
