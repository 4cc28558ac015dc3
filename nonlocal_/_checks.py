"""Argument checks shared by the public functions (one-line ValueErrors).

Scalar checks run on every rank before any collective call (the arguments are
the same everywhere); checks that need vertex data run on rank 0 and their
outcome is broadcast with :func:`meshes.mpi.on_root`.
"""

from __future__ import annotations

import math

__all__ = ["check_positive", "check_choice", "check_eps_for_mesh"]

#: an ε-ball must span at least this many cells of the largest size h_max
MIN_CELLS_ACROSS_BALL = 3.0


def check_positive(name: str, value) -> float:
    """``value`` as a float; ValueError unless it is finite and > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return v


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")


def check_eps_for_mesh(eps: float, msh) -> None:
    """ValueError when an ε-ball (diameter 2ε) spans fewer than 3 cells of size h_max."""
    from meshes.stats import mesh_stats

    h_max = mesh_stats(msh).h_max
    if 2.0 * eps < MIN_CELLS_ACROSS_BALL * h_max:
        raise ValueError(
            f"eps = {eps:g} is too small for the mesh (h_max = {h_max:g}): an eps-ball must span "
            f"at least {MIN_CELLS_ACROSS_BALL:g} cells, so take eps >= {MIN_CELLS_ACROSS_BALL * h_max / 2:g} "
            "or refine the mesh")
