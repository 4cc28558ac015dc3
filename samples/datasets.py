r"""Real data sets bundled with scikit-learn (no download), as :class:`~advmcf.samples.LabelledPoints`.

- ``digits:A,B`` (:func:`digits`): the 8×8 handwritten digits A (label 0)
  and B (label 1), about 180 of each, d = 64.  Pixel scale: scikit-learn's
  intensities 0–16 divided by 16, so every coordinate lies in [0, 1] and an
  ℓ∞ budget ε is a fraction of the full intensity range (ε = 0.1: 1.6 of 16
  grey levels per pixel); the ℓ2 budget is in the same units (the distance
  of two images whose pixels differ by δ everywhere is 8δ).
- ``breast_cancer`` (:func:`breast_cancer`): the Wisconsin diagnostic data,
  569 points, d = 30, label 0 malignant (212), 1 benign (357); each feature
  standardised (mean 0, standard deviation 1 over the data set), since the
  raw features differ in scale by four orders of magnitude.

:func:`dataset` resolves these names, or reads a CSV file
(:func:`advmcf.samples.read_csv`) for any other argument.
"""

from __future__ import annotations

import numpy as np

from .csvfile import read_csv
from .points import LabelledPoints, labelled_points

__all__ = ["digits", "breast_cancer", "dataset", "DATASETS"]

#: the names :func:`dataset` knows, with what they are
DATASETS = {"digits:A,B": "scikit-learn's 8x8 digits A (label 0) against B (label 1), pixels in [0, 1]",
            "breast_cancer": "scikit-learn's Wisconsin breast cancer data, features standardised"}


def digits(a: int, b: int) -> LabelledPoints:
    """The digits ``a`` (label 0) and ``b`` (label 1) of scikit-learn's bundled 8×8 set, pixels / 16."""
    from sklearn.datasets import load_digits

    for name, v in (("A", a), ("B", b)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v <= 9:
            raise ValueError(f"digits: {name} = {v!r} must be a digit 0-9")
    if a == b:
        raise ValueError(f"digits: A and B must differ, got {a} twice")
    data = load_digits()
    keep = (data.target == a) | (data.target == b)
    return labelled_points(data.data[keep] / 16.0, (data.target[keep] == b).astype(np.int8),
                           source=f"digits {a} vs {b} (pixels/16)")


def breast_cancer() -> LabelledPoints:
    """scikit-learn's bundled breast cancer data, each feature standardised; label 1 = benign."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    x = (data.data - data.data.mean(axis=0)) / data.data.std(axis=0)
    return labelled_points(x, data.target.astype(np.int8), source="breast cancer (standardised)")


def dataset(spec: str) -> LabelledPoints:
    """``digits:A,B``, ``breast_cancer`` or the path of a CSV file; one-line ValueError otherwise."""
    if spec == "breast_cancer":
        return breast_cancer()
    if spec.startswith("digits:"):
        parts = spec[len("digits:"):].split(",")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"{spec}: write digits:A,B with two digits, e.g. digits:3,8")
        return digits(int(parts[0]), int(parts[1]))
    return read_csv(spec)
