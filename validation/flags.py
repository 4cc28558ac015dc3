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
"""

from __future__ import annotations

import math

__all__ = ["run_flags", "FLAG_CODES"]

#: Flag codes in the order tables list them.
FLAG_CODES = ("extinct_early", "nan_metric", "pinned", "under_resolved", "uncertified")


def _flag(code, message):
    return {"code": code, "message": message}


def run_flags(spec, metrics: dict, ratios: dict, reference, evolutions: dict, vertex_sets: bool) -> list[dict]:
    """The flags of a finished run (see the module docstring); ``[]`` for a plain result.

    Args:
        spec: the run (:class:`advmcf.validation.suites.RunSpec`).
        metrics, ratios: what the runner measured.
        reference: the case's :class:`advmcf.validation.cases.Reference` (``flow`` runs).
        evolutions: the evolutions the run computed (label -> Evolution).
        vertex_sets: whether a scheme of the run moves its set through mesh vertices.
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
    return flags
