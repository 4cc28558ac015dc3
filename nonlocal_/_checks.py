"""Argument checks shared by the public functions (one-line ValueErrors).

Scalar checks run on every rank before any collective call (the arguments are
the same everywhere); checks that need vertex data run on rank 0 and their
outcome is broadcast with :func:`advmcf.meshes.mpi.on_root`.
"""

from __future__ import annotations

from advmcf.meshes import checks

__all__ = ["check_positive", "check_choice", "check_eps_resolution", "check_eps_for_mesh", "MIN_EPS_OVER_H"]

#: The scheme's floor for ε/h_max: below it an ε-ball (diameter 2ε) spans fewer than 3 cells of
#: the largest size and the discrete Per_ε is meaningless.  Suites ask for more (min_cells_per_eps).
MIN_EPS_OVER_H = 1.5


def check_positive(name: str, value) -> float:
    """``value`` as a float; ValueError unless it is a finite number > 0 (:func:`advmcf.meshes.checks.positive`)."""
    return checks.positive(name, value)


def check_choice(name: str, value, choices) -> None:
    checks.choice(name, value, choices)


def check_eps_resolution(eps: float, h_max: float, min_eps_over_h: float = MIN_EPS_OVER_H,
                         name: str = "eps") -> None:
    """The one ε-versus-mesh rule: ValueError unless ε/h_max ≥ max(``min_eps_over_h``, :data:`MIN_EPS_OVER_H`).

    h_max is the mesh's longest edge (:func:`advmcf.meshes.stats.mesh_stats`).
    """
    need = max(float(min_eps_over_h), MIN_EPS_OVER_H)
    if eps < need * h_max * (1 - 1e-9):
        raise ValueError(
            f"{name} = {eps:g} is too small for the mesh (h_max = {h_max:.4g}): eps/h_max = {eps / h_max:.3g}, "
            f"need >= {need:g}: take {name} >= {need * h_max:.4g} or a finer mesh")


def check_eps_for_mesh(eps: float, msh) -> None:
    """:func:`check_eps_resolution` of ε on ``msh`` at the scheme's floor."""
    from advmcf.meshes.stats import mesh_stats

    check_eps_resolution(eps, mesh_stats(msh).h_max)
