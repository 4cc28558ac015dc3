r"""Direct finite-element solvers of weighted mean curvature flow.

The flow :math:`V = -\kappa - \partial_\nu\log\rho` (conventions:
:mod:`meshes`) of a set given as a P1 level set, by

- :func:`level_set_flow`: semi-implicit P1/P2 finite elements for the
  Evans–Spruck regularized level-set equation, CG + GAMG, in 2D and 3D;
- :func:`parametric_flow`: a Barrett–Garcke–Nürnberg parametric scheme for
  closed plane curves, second order in space, converted to a P1 level set by
  :func:`curves_to_level_set`.
"""

import meshes  # noqa: F401  (first: prepares the DOLFINx stack, see meshes.stack)

from .level_set import level_set_flow
from .parametric import ParametricEvolution, curves_to_level_set, parametric_flow

__all__ = ["level_set_flow", "parametric_flow", "ParametricEvolution", "curves_to_level_set"]
