r"""Direct finite-element solvers of weighted mean curvature flow.

The flow :math:`V = -\kappa - \partial_\nu\log\rho` (conventions:
:mod:`advmcf.meshes`) of a set given as a P1 level set, by

- :func:`level_set_flow`: linearly implicit P1/P2 finite elements for the
  Evans–Spruck regularized level-set equation, Euler or BDF2 in time, CG +
  GAMG, in 2D and 3D;
- :func:`thresholding_flow`: weighted thresholding (MBO) with a ρ-weighted
  heat step, sub-vertex interfaces, a monotone and energy-decreasing scheme;
- :func:`allen_cahn_flow`: the weighted Allen–Cahn equation, a stabilized
  linear scheme that decreases the Ginzburg–Landau energy every step;
- :func:`parametric_flow`: a Barrett–Garcke–Nürnberg parametric scheme for
  closed plane curves, second order in space, converted to a P1 level set by
  :func:`curves_to_level_set` (:func:`parametric_mesh_flow`: the same on a mesh).

Every scheme is a stepper run by the one time loop
:func:`advmcf.meshes.evolution.run_flow` and returns an
:class:`advmcf.meshes.evolution.Evolution` with one contract.

The PETSc solvers have the options prefixes ``level_set_``,
``thresholding_`` and ``allen_cahn_`` (:mod:`advmcf.fem_mcf._petsc`): run-time
options such as ``-thresholding_ksp_monitor`` reach them.  :func:`check_petsc_options`
checks the options database before a run (PETSc's own message, one line,
:class:`PetscOptionError`), and :func:`unused_petsc_options` lists the options
nothing read.
"""

import advmcf.meshes  # noqa: F401  (first: prepares the DOLFINx stack, see advmcf.meshes.stack)

from ._petsc import PREFIXES, PetscOptionError, check_petsc_options, default_petsc_options, unused_petsc_options
from .allen_cahn import allen_cahn_flow
from .level_set import level_set_flow
from .parametric import ParametricEvolution, curves_to_level_set, parametric_flow, parametric_mesh_flow
from .thresholding import thresholding_flow

__all__ = ["level_set_flow", "thresholding_flow", "allen_cahn_flow", "parametric_flow", "parametric_mesh_flow",
           "ParametricEvolution", "curves_to_level_set", "default_petsc_options", "PREFIXES", "PetscOptionError",
           "check_petsc_options", "unused_petsc_options"]
