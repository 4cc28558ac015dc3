r"""The adversarial nonlocal scheme (DESIGN.md §2–3).

Adversarial training with budget ε, as a minimizing-movements scheme for the
nonlocal perimeter Per_ε with class densities ρ0 (outside, class 0) and ρ1
(inside, class 1); conventions in :mod:`meshes`.

- :func:`perimeter`, :func:`total_variation`: Per_ε and TV_ε on mesh vertices.
- :func:`step`: one exact step (min-cut), minimal or maximal minimizer.
- :func:`adversarial_flow`: the time loop, returning a
  :class:`meshes.evolution.Evolution`.
- :func:`check_eps_resolution`: the one rule for ε against the mesh size,
  ε/h_max ≥ :data:`MIN_EPS_OVER_H` (or more, as a suite asks).

The name has a trailing underscore because ``nonlocal`` is a Python keyword.
"""

from mpi4py import MPI as _MPI  # noqa: F401  (loads MPI before dolfinx)

import meshes  # noqa: F401  (first: prepares the DOLFINx stack, see meshes.stack)

from ._checks import MIN_EPS_OVER_H, check_eps_resolution
from .flow import adversarial_flow
from .perimeter import perimeter, total_variation
from .step import step

__all__ = ["perimeter", "total_variation", "step", "adversarial_flow", "check_eps_resolution", "MIN_EPS_OVER_H"]
