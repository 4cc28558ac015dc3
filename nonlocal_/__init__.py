r"""The adversarial nonlocal scheme (:ref:`theory-scheme`, :ref:`theory-discretization`).

Adversarial training with budget ε, as a minimizing-movements scheme for the
nonlocal perimeter Per_ε with class densities ρ0 (outside, class 0) and ρ1
(inside, class 1); conventions in :mod:`advmcf.meshes`.

- :func:`perimeter`, :func:`total_variation`: Per_ε and TV_ε on mesh vertices,
  with the isotropic ε-neighbourhood (a fitted mixture of nested vertex
  balls, :mod:`advmcf.nonlocal_.mixture`) or the plain vertex ball;
  :func:`neighbourhood` returns the mixture to reuse it.
- :class:`AdversarialScheme`: the scheme on one mesh, built once;
  ``scheme.step(phi, tau)`` is one exact step (min-cut), minimal or maximal
  minimizer; :func:`step` does one step from scratch.
- :func:`adversarial_flow`: the time loop, returning a
  :class:`advmcf.meshes.evolution.Evolution`.
- :func:`check_eps_resolution`: the one rule for ε against the mesh size,
  ε/h_max ≥ :data:`MIN_EPS_OVER_H` (or more, as a suite asks).
- :class:`Vertices`: the mesh vertices (coordinates, lumped masses, boundary
  flags) gathered on rank 0 in a partition-independent order, with
  :mod:`advmcf.nonlocal_.functional` (Per_ε and TV_ε of arrays) for studies that
  evaluate many sets on one mesh.
- :func:`ball_cover`: the k-d tree boxes that cover nested balls (Euclidean or
  maximum norm), the graph reduction of the min-cut, also used for the
  conflict graphs of labelled data (:mod:`advmcf.samples`).

The name has a trailing underscore because ``nonlocal`` is a Python keyword.
"""

from mpi4py import MPI as _MPI  # noqa: F401  (loads MPI before dolfinx)

import advmcf.meshes  # noqa: F401  (first: prepares the DOLFINx stack, see advmcf.meshes.stack)

from ._checks import MIN_EPS_OVER_H, check_eps_resolution
from ._cover import ball_cover
from .flow import adversarial_flow
from .mixture import DISCRETIZATIONS, BallMixture
from .perimeter import neighbourhood, perimeter, total_variation
from .step import AdversarialScheme, step
from .vertices import Vertices

__all__ = ["perimeter", "total_variation", "neighbourhood", "BallMixture", "DISCRETIZATIONS",
           "AdversarialScheme", "step", "adversarial_flow", "Vertices", "check_eps_resolution", "MIN_EPS_OVER_H",
           "ball_cover"]
