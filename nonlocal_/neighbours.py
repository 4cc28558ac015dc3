r"""Closed balls of mesh vertices, as a sparse (CSR) structure with distances.

For points :math:`x_i` (rows of an array of shape ``(num_points, gdim)``) the
ball of vertex i and radius r is :math:`B_r(i) = \{j : |x_j - x_i| \le r\}`;
it always holds i itself.  :func:`balls` stores, for one largest radius (the
reach of a :class:`~advmcf.nonlocal_.mixture.BallMixture`), every pair with its
distance, built with ``scipy.spatial.cKDTree.query_pairs(reach,
output_type="ndarray")``; the nested smaller balls are the entries with
distance ≤ r.  Every comparison uses :func:`advmcf.nonlocal_.mixture.closed_radius`.
Callers restrict ``points`` to a band around the interface; nothing here
knows about meshes or MPI.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from advmcf.meshes.kdtree import num_threads

from .mixture import closed_radius

__all__ = ["Balls", "balls", "ball_max", "ball_min", "distance_to_other_phase"]


class Balls:
    """The closed balls of radius ``reach`` of ``num_points`` points in CSR form.

    Attributes:
        indptr: ``(num_points + 1,)`` int64 row pointers.
        indices: ``(num_entries,)`` int32 column indices; row i is the ball of
            point i, sorted, including i.
        dist: ``(num_entries,)`` distances :math:`|x_j - x_i|` of the entries.
    """

    def __init__(self, indptr, indices, dist):
        self.indptr, self.indices, self.dist = indptr, indices, dist


def balls(points: np.ndarray, reach: float) -> Balls:
    r"""The closed balls of radius ``reach`` of ``points`` (shape ``(num_points, gdim)``)."""
    points = np.asarray(points, dtype=float)
    n = points.shape[0]
    pairs = cKDTree(points).query_pairs(closed_radius(reach), output_type="ndarray").astype(np.int32)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n, dtype=np.int32)])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n, dtype=np.int32)])
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    return Balls(indptr, cols, np.linalg.norm(points[rows] - points[cols], axis=1))


def _ball_reduce(u, b, r, reduce, fill):
    vals = np.where(b.dist <= closed_radius(r), u[b.indices], fill)
    return reduce.reduceat(vals, b.indptr[:-1])


def ball_max(u: np.ndarray, b: Balls, r: float) -> np.ndarray:
    r"""``(num_points,)`` values :math:`\max_{j \in B_r(i)} u_j` (r ≤ the reach of ``b``)."""
    return _ball_reduce(u, b, r, np.maximum, -np.inf)


def ball_min(u: np.ndarray, b: Balls, r: float) -> np.ndarray:
    r"""``(num_points,)`` values :math:`\min_{j \in B_r(i)} u_j` (r ≤ the reach of ``b``)."""
    return _ball_reduce(u, b, r, np.minimum, np.inf)


def distance_to_other_phase(points: np.ndarray, inside: np.ndarray, bound: float) -> np.ndarray:
    r"""``(num_points,)`` distance from each point to the nearest point of the other phase.

    ``inside`` is a bool array; distances above ``bound`` are returned as
    ``inf`` (a nearest-neighbour query with an upper bound, no balls).
    """
    points = np.asarray(points, dtype=float)
    inside = np.asarray(inside, dtype=bool)
    out = np.full(points.shape[0], np.inf)
    for phase in (True, False):
        src, dst = np.flatnonzero(inside == phase), np.flatnonzero(inside != phase)
        if src.size and dst.size:
            out[dst], _ = cKDTree(points[src]).query(points[dst], k=1, distance_upper_bound=bound,
                                                     workers=num_threads())
    return out
