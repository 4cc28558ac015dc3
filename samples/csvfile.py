r"""Labelled points from and to CSV files.

Format: a header line naming the columns ``x1, ..., xd, label`` and
optionally ``weight`` (any order), then one point a line; labels 0 or 1,
weights positive (default 1), every value a finite number.  Blank lines are
skipped.  Repeated points are allowed, with the same or with different
labels (:func:`duplicates` counts them).

Every problem is reported as one :class:`ValueError` line naming the file,
the line, the column and what would be right, e.g.
``data.csv line 7, column x2: 'abc' is not a number``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from .points import LabelledPoints, labelled_points

__all__ = ["read_csv", "write_csv", "duplicates"]

_COORD = re.compile(r"^x([1-9][0-9]*)$")
_FORMAT = "name the columns x1, ..., xd, label and optionally weight"


def _is_number(text) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _header(path, names):
    """The column names, the column of each coordinate and of the label, the weight column (or None)."""
    names = [c.strip() for c in names]
    if all(_is_number(c) for c in names):
        raise ValueError(f"{path} line 1: no header (the first line holds numbers): {_FORMAT}")
    for i, c in enumerate(names):
        if c in names[:i]:
            raise ValueError(f"{path} line 1: column {c!r} appears twice: {_FORMAT}")
        if c not in ("label", "weight") and not _COORD.match(c):
            raise ValueError(f"{path} line 1: unknown column {c!r}: {_FORMAT}")
    dims = sorted(int(_COORD.match(c).group(1)) for c in names if _COORD.match(c))
    if not dims:
        raise ValueError(f"{path} line 1: no coordinate column x1: {_FORMAT}")
    if dims != list(range(1, len(dims) + 1)):
        missing = sorted(set(range(1, dims[-1] + 1)) - set(dims))[0]
        raise ValueError(f"{path} line 1: column x{missing} is missing (the header has x{dims[-1]}): {_FORMAT}")
    if "label" not in names:
        raise ValueError(f"{path} line 1: no column 'label': {_FORMAT}")
    order = [names.index(f"x{k}") for k in dims] + [names.index("label")]
    return names, order, names.index("weight") if "weight" in names else None


def read_csv(path) -> LabelledPoints:
    """The labelled points of a CSV file (module docstring); one-line ValueError on bad input."""
    path = Path(path)
    try:
        with open(path, newline="") as f:
            rows = [(i, r) for i, r in enumerate(csv.reader(f), 1) if any(c.strip() for c in r)]
    except OSError as err:
        raise ValueError(f"{path}: cannot read the file ({err.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"{path}: not a CSV text file ({err})") from None
    if not rows:
        raise ValueError(f"{path}: the file is empty: {_FORMAT}, then one point a line")
    names, order, wcol = _header(path, rows[0][1])
    if len(rows) == 1:
        raise ValueError(f"{path}: no data lines after the header")
    data = np.empty((len(rows) - 1, len(names)))
    for r, (line, row) in enumerate(rows[1:]):
        if len(row) != len(names):
            raise ValueError(f"{path} line {line}: {len(row)} values, the header names {len(names)} columns")
        for c, text in enumerate(row):
            try:
                v = float(text)
            except ValueError:
                raise ValueError(f"{path} line {line}, column {names[c]}: {text.strip()!r} is not a number") from None
            if not np.isfinite(v):
                raise ValueError(f"{path} line {line}, column {names[c]}: {text.strip()}: values must be finite "
                                 "numbers (remove the line or fill in the value)")
            data[r, c] = v
    lines = np.array([line for line, _ in rows[1:]])
    label = data[:, order[-1]]
    bad = np.flatnonzero((label != 0) & (label != 1))
    if bad.size:
        raise ValueError(f"{path} line {lines[bad[0]]}, column label: {rows[bad[0] + 1][1][order[-1]].strip()}: "
                         "labels must be 0 or 1")
    weight = None
    if wcol is not None:
        weight = data[:, wcol]
        bad = np.flatnonzero(weight <= 0)
        if bad.size:
            raise ValueError(f"{path} line {lines[bad[0]]}, column weight: {rows[bad[0] + 1][1][wcol].strip()}: "
                             "weights must be positive")
    if np.all(label == label[0]):
        raise ValueError(f"{path}: every point has label {int(label[0])}: the data need both classes, 0 and 1")
    return labelled_points(data[:, order[:-1]], label.astype(np.int8), weight, source=str(path))


def write_csv(path, points: LabelledPoints, *, weights: bool | None = None) -> None:
    """Write ``points`` in the format of :func:`read_csv` (values as repr floats: read back exactly).

    ``weights``: write the weight column (default: unless every weight is 1)."""
    if weights is None:
        weights = not np.all(points.weight == 1.0)
    cols = [f"x{k + 1}" for k in range(points.dim)] + ["label"] + (["weight"] if weights else [])
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for s in range(points.n):
            row = [repr(float(v)) for v in points.x[s]] + [int(points.label[s])]
            w.writerow(row + ([repr(float(points.weight[s]))] if weights else []))


def duplicates(points: LabelledPoints) -> tuple[int, int]:
    """``(repeated, conflicting)``: the points whose coordinates occur earlier in the data (any
    label), and the distinct locations that carry both labels (conflicts at every budget)."""
    _, first, inverse = np.unique(points.x, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    has = np.zeros((first.size, 2), bool)
    has[inverse, points.label] = True
    return int(points.n - first.size), int(np.count_nonzero(has.all(axis=1)))
