r"""Adversarial training on data: labelled points instead of class densities.

The toolkit's schemes take class densities ρ0, ρ1; data come as samples.
This package connects the two with the same exact min-cut machinery.
Modules (one concept each):

- :mod:`advmcf.samples.points`: :class:`LabelledPoints` (points, labels 0/1,
  weights), checked, with one-line errors.
- :mod:`advmcf.samples.csvfile`: the CSV format (:func:`read_csv`,
  :func:`write_csv`), repeated points counted (:func:`duplicates`).
- :mod:`advmcf.samples.draws`: data drawn with a seed from two Gaussian classes
  (:func:`gaussian_classes`, their closed-form R* :func:`gaussian_risk`) or
  from any class densities (:func:`draw`).
- :mod:`advmcf.samples.datasets`: scikit-learn's bundled digits and breast
  cancer data (:func:`dataset`).
- :mod:`advmcf.samples.conflicts`: the nested conflict graphs of a sweep of budgets.
- :mod:`advmcf.samples.risk`: the optimal adversarial 0-1 risk
  :math:`R^*(\varepsilon)` under an ℓ2 or ℓ∞ budget, exactly (one certified
  max-flow per budget), with the robust labels (:func:`optimal_risk`).
- :mod:`advmcf.samples.scheme`: the adversarial scheme with the empirical
  class measures on a mesh (:class:`SampleScheme`, :func:`sample_flow`,
  the kernel plug-in start :func:`kernel_classifier`).
- :mod:`advmcf.samples.figures`, :mod:`advmcf.samples.cli`: figures and the
  ``advmcf risk`` and ``advmcf train`` commands.

Conventions as in :mod:`advmcf.meshes`: class 1 is inside the decision
region A, class 0 outside.  The public API is re-exported here, imported on
first use so that the command line starts quickly.
"""

#: The public API: name -> the module that holds it.
_EXPORTS = {
    **dict.fromkeys(("LabelledPoints", "labelled_points", "principal_components"), "advmcf.samples.points"),
    **dict.fromkeys(("read_csv", "write_csv", "duplicates"), "advmcf.samples.csvfile"),
    **dict.fromkeys(("draw", "gaussian_classes", "gaussian_risk"), "advmcf.samples.draws"),
    **dict.fromkeys(("dataset", "digits", "breast_cancer"), "advmcf.samples.datasets"),
    **dict.fromkeys(("RiskCurve", "optimal_risk"), "advmcf.samples.risk"),
    **dict.fromkeys(("SampleScheme", "sample_flow", "kernel_classifier"), "advmcf.samples.scheme"),
    **dict.fromkeys(("plot_risk", "plot_boundaries"), "advmcf.samples.figures"),
}
__all__ = list(_EXPORTS)

from advmcf.meshes._lazy import lazy_exports  # noqa: E402

__getattr__, __dir__ = lazy_exports("advmcf.samples", _EXPORTS)
