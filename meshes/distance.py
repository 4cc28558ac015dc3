r"""Signed distance from mesh vertices to the zero level set of a P1 function.

Minimal version added by the nonlocal_ engineer (nonlocal_ needs
dist(x, ∂A_k) at every step); the meshes owner may move the interface
extraction into ``meshes.interface`` and keep :func:`signed_distance`.

The interface of :math:`A = \{\varphi < 0\}` is the piecewise-linear zero
level set of φ: in every cell, the points on the edges where φ changes sign
(linear interpolation), forming a segment (2D), a triangle or a quadrilateral
split into two triangles (3D).  The whole interface (all ranks' pieces) is
gathered on every rank, and the exact Euclidean distance from each vertex to
the union of these simplices is computed (k nearest simplex centres from a
``scipy.spatial.cKDTree``, widened until the bound is safe).
"""

from __future__ import annotations

import dolfinx
import numpy as np
from dolfinx import fem
from scipy.spatial import cKDTree

__all__ = ["signed_distance"]


def _local_simplices(phi: fem.Function) -> np.ndarray:
    """``(n, gdim, gdim)`` interface simplices of the owned cells (2D segments, 3D triangles)."""
    V = phi.function_space
    msh = V.mesh
    gdim, tdim = msh.geometry.dim, msh.topology.dim
    num_cells = msh.topology.index_map(tdim).size_local
    dofs = V.dofmap.list[:num_cells]
    xdof = V.tabulate_dof_coordinates()[:, :gdim]
    vals = phi.x.array[dofs]
    neg = vals < 0
    cut = neg.any(axis=1) & ~neg.all(axis=1)
    dofs, vals, neg = dofs[cut], vals[cut], neg[cut]
    X = xdof[dofs]  # (n, tdim+1, gdim)

    def point(a, b):  # (n, gdim) crossing on edge (a, b): phi(a) and phi(b) on either side of 0
        pa, pb = vals[:, a], vals[:, b]
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(pa == pb, 0.0, pa / (pa - pb))
        return X[:, a] + t[:, None] * (X[:, b] - X[:, a])

    if tdim == 2:
        out = []
        for lone in range(3):  # the vertex alone on its side
            others = [j for j in range(3) if j != lone]
            sel = (neg[:, lone] != neg[:, others[0]]) & (neg[:, lone] != neg[:, others[1]])
            p = np.stack([point(lone, others[0]), point(lone, others[1])], axis=1)
            out.append(p[sel])
        return np.concatenate(out) if out else np.zeros((0, 2, gdim))
    out = []
    count = neg.sum(axis=1)
    for lone in range(4):  # one vertex against three: a triangle
        others = [j for j in range(4) if j != lone]
        sel = np.all([neg[:, lone] != neg[:, j] for j in others], axis=0)
        p = np.stack([point(lone, j) for j in others], axis=1)
        out.append(p[sel])
    # two against two: the quadrilateral ac, ad, bd, bc as two triangles
    for a, b in ((0, 1), (0, 2), (0, 3)):
        c, d = [j for j in range(4) if j not in (a, b)]
        sel = (count == 2) & (neg[:, a] == neg[:, b])
        pac, pad, pbd, pbc = point(a, c), point(a, d), point(b, d), point(b, c)
        out.append(np.stack([pac, pad, pbd], axis=1)[sel])
        out.append(np.stack([pac, pbd, pbc], axis=1)[sel])
    return np.concatenate(out)


def _point_segment(q, s):
    """Distances ``(n,)`` from points q ``(n, g)`` to segments s ``(n, 2, g)``."""
    a, ab = s[:, 0], s[:, 1] - s[:, 0]
    len2 = np.einsum("ij,ij->i", ab, ab)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(np.where(len2 > 0, np.einsum("ij,ij->i", q - a, ab) / len2, 0.0), 0.0, 1.0)
    return np.linalg.norm(q - a - t[:, None] * ab, axis=1)


def _point_triangle(q, tri):
    """Distances ``(n,)`` from points q ``(n, 3)`` to triangles ``(n, 3, 3)`` (hand-written, vectorised:
    numpy/scipy have no point-triangle distance): the minimum of the distance to the plane (when the
    projection falls inside) and to the three edges."""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    n = np.cross(b - a, c - a)
    nn = np.einsum("ij,ij->i", n, n)
    d_edges = np.minimum(np.minimum(_point_segment(q, tri[:, [0, 1]]), _point_segment(q, tri[:, [1, 2]])),
                         _point_segment(q, tri[:, [2, 0]]))
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.einsum("ij,ij->i", q - a, n) / nn
        p = q - s[:, None] * n
        inside = np.ones(q.shape[0], bool)
        for u, v in ((a, b), (b, c), (c, a)):
            inside &= np.einsum("ij,ij->i", np.cross(v - u, p - u), n) >= 0
        d_plane = np.abs(s) * np.sqrt(nn)
    return np.where(inside & (nn > 0), np.minimum(d_plane, d_edges), d_edges)


def _distance(points, simplices):
    """Exact distances ``(num_points,)`` from points to the union of simplices."""
    if simplices.shape[0] == 0:
        return np.full(points.shape[0], np.inf)
    dist_fn = _point_segment if simplices.shape[1] == 2 else _point_triangle
    centres = simplices.mean(axis=1)
    radius = np.max(np.linalg.norm(simplices - centres[:, None], axis=2))
    tree = cKDTree(centres)
    k = min(8, centres.shape[0])
    best = np.full(points.shape[0], np.inf)
    todo = np.arange(points.shape[0])
    while todo.size:
        dc, idx = tree.query(points[todo], k=k)
        dc, idx = dc.reshape(todo.size, k), idx.reshape(todo.size, k)
        for j in range(k):
            best[todo] = np.minimum(best[todo], dist_fn(points[todo], simplices[idx[:, j]]))
        # a simplex whose centre is farther than best + radius cannot be closer
        done = (k == centres.shape[0]) | (dc[:, -1] - radius >= best[todo])
        todo = todo[~done]
        k = min(4 * k, centres.shape[0])
    return best


def signed_distance(phi: fem.Function, cutoff: float | None = None) -> fem.Function:
    r"""The P1 function of signed distances to the whole interface of {phi < 0} (collective).

    Value at a vertex x: :math:`-\mathrm{dist}(x, \Gamma)` where φ(x) < 0, else
    :math:`+\mathrm{dist}(x, \Gamma)`, Γ the piecewise-linear zero level set of
    φ on all ranks.  With ``cutoff``, values are clipped to [−cutoff, cutoff].
    An empty interface gives ±inf (or ±cutoff).
    """
    msh = phi.function_space.mesh
    gdim = msh.geometry.dim
    parts = msh.comm.allgather(_local_simplices(phi))
    simplices = np.concatenate(parts) if parts else np.zeros((0, gdim, gdim))
    x = phi.function_space.tabulate_dof_coordinates()[:, :gdim]
    d = _distance(x, simplices)
    if cutoff is not None:
        d = np.minimum(d, cutoff)
    out = fem.Function(phi.function_space, name="signed_distance")
    out.x.array[:] = np.where(phi.x.array < 0, -d, d)
    return out
