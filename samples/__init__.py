r"""Adversarial training on data: labelled points instead of class densities.

The toolkit's schemes take class densities ρ0, ρ1; data come as samples.
This package connects the two, with the same exact min-cut machinery:

- :class:`LabelledPoints` (:func:`labelled_points`, :func:`read_csv`,
  :func:`write_csv`): points, labels 0/1 and weights, checked, with one-line
  errors for bad input;
- :func:`optimal_risk`: the optimal adversarial 0-1 risk :math:`R^*(\varepsilon)`
  of a data set under an ℓ2 or ℓ∞ budget, for a sweep of budgets, exactly
  (a minimum weighted vertex cover of the conflict graph, one certified
  max-flow per budget, :mod:`advmcf.samples.risk`), with the robust labels;
- :func:`gaussian_classes`, :func:`gaussian_risk`, :func:`draw`: data drawn
  with a seed from two Gaussian classes (with their closed-form R*) or from
  any class densities.

Conventions as in :mod:`advmcf.meshes`: class 1 is inside the decision
region A, class 0 outside.
"""

from mpi4py import MPI as _MPI  # noqa: F401  (loads MPI before dolfinx)

import advmcf.meshes  # noqa: F401  (first: prepares the DOLFINx stack, see advmcf.meshes.stack)

from .csvfile import duplicates, read_csv, write_csv
from .draws import draw, gaussian_classes, gaussian_risk
from .points import LabelledPoints, labelled_points
from .risk import RiskCurve, optimal_risk

__all__ = ["LabelledPoints", "labelled_points", "read_csv", "write_csv", "duplicates", "RiskCurve", "optimal_risk",
           "gaussian_classes", "gaussian_risk", "draw"]
