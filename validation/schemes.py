r"""The schemes a suite can run, behind one signature.

Each :class:`Scheme` runs ``run(case, phi0, eps, tau, T, options, output_times,
progress) -> meshes.evolution.Evolution`` on the case's mesh (the mesh of
``phi0``):

- ``level_set``: :func:`fem_mcf.level_set_flow` with ρ = ρ0 + ρ1 (ε unused);
  options ``degree``, ``redistance_every``.
- ``parametric``: :func:`fem_mcf.parametric_flow` on the exact initial curve
  sampled at spacing ≈ h/2, mapped back to a P1 level set with
  :func:`fem_mcf.curves_to_level_set` (2D, smooth initial shapes; ε unused).
- ``nonlocal``: :func:`nonlocal_.adversarial_flow`; options ``p`` (1: the
  paper's scheme, 0: plain iterated adversarial training, the negative
  control) and ``selection`` (``minimal`` or ``maximal``).

The schemes are imported when a run starts, so suites load and validate even
where a scheme is not installed yet; such a run is recorded as failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Scheme", "SCHEMES", "scheme_label", "scheme_title"]


def _int_at_least(lo):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise ValueError(f"must be an integer >= {lo}, got {v!r}")
    return check


def _one_of(*values):
    def check(v):
        if v not in values or isinstance(v, bool):
            raise ValueError(f"must be one of {', '.join(map(repr, values))}, got {v!r}")
    return check


@dataclass(frozen=True)
class Scheme:
    """A named scheme: its runner, its option validators and whether it uses ε.

    ``vertex_sets``: its sets move through mesh vertices, so a step that moves
    the boundary by less than a cell can pin it (flagged when h/(τ|V|) ≥ 1,
    :mod:`validation.flags`).  ``title``: its name in figures, as papers
    call it.
    """

    name: str
    run: Callable
    options: dict
    uses_eps: bool
    needs_smooth_2d: bool = False
    vertex_sets: bool = False
    title: str = ""


def _level_set(case, phi0, eps, tau, T, options, output_times, progress):
    from fem_mcf import level_set_flow

    return level_set_flow(phi0, case.density.rho, tau, T, output_times=output_times,
                          progress=progress, **options)


def _nonlocal(case, phi0, eps, tau, T, options, output_times, progress):
    from nonlocal_ import adversarial_flow

    return adversarial_flow(phi0, case.density.rho0, case.density.rho1, eps, T, tau=tau,
                            output_times=output_times, progress=progress, **options)


def _parametric(case, phi0, eps, tau, T, options, output_times, progress):
    from fem_mcf import curves_to_level_set, parametric_flow

    from meshes.evolution import Evolution
    from meshes.stats import mesh_stats

    msh = phi0.function_space.mesh
    boundary = case.boundary()
    h = mesh_stats(msh).h_min
    length = np.sum(np.linalg.norm(np.diff(boundary.sample(4096), axis=0), axis=1))
    curve = boundary.sample(max(64, int(np.ceil(2 * length / h))))
    res = parametric_flow([curve], case.density.rho, tau, T, output_times=output_times, comm=msh.comm)
    sets = [curves_to_level_set(c, phi0.function_space) for c in res.curves]
    return Evolution(list(res.times), sets, [], res.extinction_time, "parametric")


#: The built-in schemes by name.
SCHEMES = {
    "level_set": Scheme("level_set", _level_set,
                        {"degree": _int_at_least(1), "redistance_every": _int_at_least(0)}, False,
                        title="level-set FEM"),
    "parametric": Scheme("parametric", _parametric, {}, False, needs_smooth_2d=True,
                         title="parametric FEM (BGN)"),
    "nonlocal": Scheme("nonlocal", _nonlocal,
                       {"p": _one_of(0, 1), "selection": _one_of("minimal", "maximal")}, True,
                       vertex_sets=True, title="adversarial scheme"),
}


def scheme_label(name: str, options: dict) -> str:
    """A short label such as ``nonlocal(p=0,selection=maximal)`` for tables and run ids."""
    if not options:
        return name
    return name + "(" + ",".join(f"{k}={v}" for k, v in sorted(options.items())) + ")"


def scheme_title(name: str, options: dict) -> str:
    """A scheme's name for figures: its :attr:`Scheme.title` and its options in words, e.g.
    ``adversarial scheme, p = 0, maximal minimizer``."""
    scheme = SCHEMES.get(name)
    title = scheme.title if scheme is not None and scheme.title else name.replace("_", " ")
    words = []
    for key, value in sorted(options.items()):
        if key == "selection":
            words.append(f"{value} minimizer")
        elif key == "degree":
            words.append(f"P{value}")
        elif key == "redistance_every":
            words.append(f"redistanced every {value} steps" if value else "no redistancing")
        else:
            words.append(f"{key} = {value}")
    return ", ".join([title] + words)
