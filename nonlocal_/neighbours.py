r"""Closed Euclidean ε-balls of mesh vertices, as a sparse (CSR) structure.

For points :math:`x_i` (rows of an array of shape ``(num_points, gdim)``) the
ball of vertex i is :math:`B_i = \{j : |x_j - x_i| \le \varepsilon\}`; it
always holds i itself.  The balls are built with
``scipy.spatial.cKDTree.query_pairs(eps, output_type="ndarray")`` (each pair
once, i < j) and stored symmetrically in CSR form: the ball of vertex i is
``indices[indptr[i]:indptr[i+1]]``.  Callers restrict ``points`` to a band
around the interface; nothing here knows about meshes or MPI.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from scipy.spatial import cKDTree

__all__ = ["Balls", "balls", "ball_max", "ball_min", "closed_radius", "nearest_other_phase_within"]


def closed_radius(eps: float) -> float:
    """The search radius used for closed ε-balls: ε (1 + 1e-12).

    Mesh vertices at distance exactly ε (common on structured meshes with
    ε a multiple of h) belong to the ball whatever the rounding of their
    coordinates; every neighbour query here uses this one radius.
    """
    return eps * (1.0 + 1e-12)


class Balls:
    """The closed ε-balls of ``num_points`` points in CSR form.

    Attributes:
        indptr: ``(num_points + 1,)`` int64 row pointers.
        indices: ``(num_entries,)`` int32 column indices; row i is the ball of
            point i, sorted, including i.
        pairs: ``(num_pairs, 2)`` int32 pairs ``i < j`` with
            ``|x_i - x_j| <= eps`` (each unordered pair once).
    """

    def __init__(self, indptr, indices, pairs):
        self.indptr = indptr
        self.indices = indices
        self.pairs = pairs

    @property
    def num_points(self) -> int:
        return self.indptr.size - 1

    @property
    def sizes(self) -> np.ndarray:
        """``(num_points,)`` number of points in each ball (itself included)."""
        return np.diff(self.indptr)


def balls(points: np.ndarray, eps: float) -> Balls:
    r"""The closed ε-balls of ``points`` (shape ``(num_points, gdim)``)."""
    points = np.asarray(points, dtype=float)
    n = points.shape[0]
    pairs = cKDTree(points).query_pairs(closed_radius(eps), output_type="ndarray").astype(np.int32)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n, dtype=np.int32)])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n, dtype=np.int32)])
    graph = scipy.sparse.csr_matrix(
        (np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n))
    graph.sort_indices()
    return Balls(graph.indptr.astype(np.int64), graph.indices.astype(np.int32), pairs)


def ball_max(u: np.ndarray, b: Balls) -> np.ndarray:
    r"""``(num_points,)`` values :math:`\max_{j \in B_i} u_j`."""
    return np.maximum.reduceat(u[b.indices], b.indptr[:-1])


def ball_min(u: np.ndarray, b: Balls) -> np.ndarray:
    r"""``(num_points,)`` values :math:`\min_{j \in B_i} u_j`."""
    return np.minimum.reduceat(u[b.indices], b.indptr[:-1])


def nearest_other_phase_within(points: np.ndarray, inside: np.ndarray, eps: float) -> np.ndarray:
    r"""``(num_points,)`` bool: is some point of the other phase within ε (closed)?

    For a binary set (``inside`` a bool array) this is exactly where the terms
    :math:`\max_{B_i} u - u_i` (outside points) and :math:`u_i - \min_{B_i} u`
    (inside points) of :math:`TV_\varepsilon(1_A)` equal one; it needs only a
    nearest-neighbour query, not the balls.
    """
    points = np.asarray(points, dtype=float)
    inside = np.asarray(inside, dtype=bool)
    out = np.zeros(points.shape[0], dtype=bool)
    for phase in (True, False):
        src, dst = np.flatnonzero(inside == phase), np.flatnonzero(inside != phase)
        if src.size == 0 or dst.size == 0:
            continue
        d, _ = cKDTree(points[src]).query(points[dst], k=1, distance_upper_bound=closed_radius(eps))
        out[dst] = np.isfinite(d)
    return out
