r"""Checks of a simplex mesh's arrays before DOLFINx sees them.

DOLFINx trusts its input: a cell with a repeated vertex aborts the process
(``free(): invalid size``), an index out of range or negative ends in
``MPI_Abort``, NaN coordinates give h = nan, and a cell given twice is
integrated twice.  :func:`check_simplices` looks at the points and cells of a
mesh (on one rank, before the mesh is distributed) and raises ValueError with
one line naming the first problem found, in this order:

1. the arrays' shapes (``(n, gdim)`` points, ``(m, gdim + 1)`` cells of integers, m ≥ 1);
2. a vertex index out of range or negative;
3. a non-finite coordinate (NaN or ±Inf) of a vertex that a cell uses;
4. a cell that repeats a vertex;
5. two vertices that cells use at one point (closer than :data:`RTOL` times the mesh's
   diameter): the mesh would have a crack there;
6. a cell of zero area or volume (:math:`|T| \le` :data:`RTOL` :math:`\ell^d`,
   ℓ its longest edge);
7. a cell given twice (the same vertices);
8. a facet shared by more than two cells, or by two cells on the same side
   of it (the cells overlap: the mesh folds over);
9. in a mesh of several pieces (cells connected through facets), overlapping
   pieces: the centroid of a cell inside one of the cells whose centroids
   are its :data:`NEIGHBOURS` nearest.

Checks 1–8 are exact statements about the arrays; check 9 finds pieces laid
over each other (two copies of a mesh with their own vertices, a cell laid
over others) but not a single piece that wraps around onto itself far from
where it folds (all its facets pass check 8), nor every overlap of pieces
whose cells are much larger than their neighbours'.  Hand-written: neither DOLFINx
nor meshio checks a mesh before using it.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["check_simplices", "RTOL", "NEIGHBOURS"]

#: Relative tolerance of coincident vertices (times the mesh's diameter) and zero-volume cells
#: (times the cell's longest edge to the power d).
RTOL = 1e-10
#: How many nearest cell centroids each cell's centroid is tested against (check 9).
NEIGHBOURS = {2: 12, 3: 24}


def _point(x) -> str:
    return "(" + ", ".join(f"{c:g}" for c in x) + ")"


def check_simplices(points, cells, what: str = "mesh", vertex_ids=None, cell_ids=None) -> None:
    """ValueError ``{what}: ...`` (one line) unless ``points`` ``(n, gdim)`` and ``cells``
    ``(m, gdim + 1)`` (triangles in 2D, tetrahedra in 3D) are a valid conforming simplex mesh
    (module docstring: checks 1-9; points no cell uses are allowed).

    Messages name a vertex by its row in ``points`` and a cell by its row in ``cells`` (from 0), or
    by ``vertex_ids[row]`` and ``cell_ids[row]`` when given (a file's own numbers, such as gmsh's
    node and element tags; ``cells`` then holds rows of ``points``, and an index out of range is
    named as it is)."""
    V = (lambda i: str(int(i))) if vertex_ids is None else (lambda i: str(int(vertex_ids[i])))
    C = (lambda k: str(int(k))) if cell_ids is None else (lambda k: str(int(cell_ids[k])))
    x = np.asarray(points)
    c = np.asarray(cells)
    if x.ndim != 2 or x.shape[1] not in (2, 3) or x.shape[0] == 0:
        raise ValueError(f"{what}: points must be an array (num_points, 2 or 3), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise ValueError(f"{what}: point coordinates must be real numbers, got {x.dtype}")
    gdim = x.shape[1]
    if c.ndim != 2 or c.shape[1] != gdim + 1 or c.shape[0] == 0:
        raise ValueError(f"{what}: cells must be an array (num_cells, {gdim + 1}) of vertex numbers for a "
                         f"{gdim}D mesh, got shape {c.shape}")
    if not np.issubdtype(c.dtype, np.integer):
        raise ValueError(f"{what}: cells must hold integer vertex numbers, got {c.dtype}")
    n = x.shape[0]
    out = (c < 0) | (c >= n)
    if out.any():
        k = int(np.argmax(out.any(axis=1)))
        v = int(c[k][out[k]][0])
        raise ValueError(f"{what}: cell {C(k)} refers to vertex {v}, but the vertices are "
                         f"{f'numbered 0 to {n - 1}' if vertex_ids is None else 'other numbers'}")
    c = c.astype(np.int64, copy=False)
    x = x.astype(np.float64, copy=False)
    used = np.zeros(n, dtype=bool)
    used[c.ravel()] = True  # points no cell uses (gmsh's geometry points) are left out of checks 3 and 5
    bad = used & ~np.isfinite(x).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{what}: vertex {V(i)} has a non-finite coordinate {_point(x[i])} (NaN or Inf): "
                         "every coordinate must be a finite number")
    s = np.sort(c, axis=1)
    rep = (s[:, 1:] == s[:, :-1]).any(axis=1)
    if rep.any():
        k = int(np.argmax(rep))
        raise ValueError(f"{what}: cell {C(k)} repeats a vertex ({', '.join(map(V, c[k]))}): "
                         "a cell needs distinct vertices")
    _coincident_vertices(x, np.flatnonzero(used), what, V)
    _zero_volume(x, c, what, V, C)
    _duplicate_cells(s, x.shape[0], what, V, C)
    pairs = _facets(x, c, what, V, C)
    _overlaps(x, c, pairs, what, C)


def _coincident_vertices(x, used, what, V) -> None:
    from scipy.spatial import cKDTree

    y = x[used]
    diameter = float(np.linalg.norm(y.max(axis=0) - y.min(axis=0)))
    pairs = cKDTree(y).query_pairs(RTOL * diameter, output_type="ndarray")
    if len(pairs):
        i, j = sorted(int(used[v]) for v in pairs[0])
        raise ValueError(f"{what}: vertices {V(i)} and {V(j)} are at one point {_point(x[i])}: merge them "
                         "(cells joined through two copies of a vertex are not connected)")


def _signed_volumes(x, c):
    """d! times the signed volume of each cell, and its longest edge."""
    v = x[c]
    edges = v[:, 1:] - v[:, :1]
    det = np.linalg.det(edges)
    d = x.shape[1]
    longest = np.zeros(len(c))
    for a in range(d + 1):
        for b in range(a + 1, d + 1):
            longest = np.maximum(longest, np.linalg.norm(v[:, a] - v[:, b], axis=1))
    return det, longest


def _zero_volume(x, c, what, V, C) -> None:
    d = x.shape[1]
    det, longest = _signed_volumes(x, c)
    flat = np.abs(det) <= RTOL * longest**d
    if flat.any():
        k = int(np.argmax(flat))
        raise ValueError(f"{what}: cell {C(k)} has zero {'area' if d == 2 else 'volume'} (its vertices "
                         f"{', '.join(map(V, c[k]))} lie on one {'line' if d == 2 else 'plane'}): remove it")


def _rows_sorted(a, n: int):
    """The order that sorts the rows of an array of integers in [0, n) lexicographically (one int64
    key per row where it fits, else a lexsort)."""
    if float(n) ** a.shape[1] < 2.0**62:
        key = np.zeros(len(a), dtype=np.int64)
        for col in a.T:
            key = key * n + col
        return np.argsort(key, kind="stable")
    return np.lexsort(a.T[::-1])


def _duplicate_cells(s, n, what, V, C) -> None:
    order = _rows_sorted(s, n)
    same = (s[order][1:] == s[order][:-1]).all(axis=1)
    if same.any():
        j = int(np.argmax(same))
        a, b = sorted((int(order[j]), int(order[j + 1])))
        raise ValueError(f"{what}: cell {C(b)} is cell {C(a)} again (vertices {', '.join(map(V, s[a]))}): "
                         "each cell must appear once (it would be counted twice)")


def _facets(x, c, what, V, C) -> np.ndarray:
    """Each facet in at most two cells, and the two on opposite sides of it; returns the pairs of
    cells that share a facet, ``(num_interior_facets, 2)``."""
    m, k = c.shape
    d = k - 1
    facets, opposite, cell = [], [], []
    for a in range(k):
        keep = [b for b in range(k) if b != a]
        facets.append(np.sort(c[:, keep], axis=1))
        opposite.append(c[:, a])
        cell.append(np.arange(m))
    f, o, owner = np.concatenate(facets), np.concatenate(opposite), np.concatenate(cell)
    order = _rows_sorted(f, x.shape[0])
    f, o, owner = f[order], o[order], owner[order]
    same = (f[1:] == f[:-1]).all(axis=1)
    triple = same[1:] & same[:-1]
    if triple.any():
        j = int(np.argmax(triple))
        raise ValueError(f"{what}: the facet ({', '.join(map(V, f[j]))}) belongs to cells {C(owner[j])}, "
                         f"{C(owner[j + 1])} and {C(owner[j + 2])}: a facet joins at most two cells (cells "
                         "overlap)")
    j = np.flatnonzero(same)
    if j.size == 0:
        return np.zeros((0, 2), dtype=np.int64)

    def side(rows, opp):
        base = x[f[rows, 0]]
        vectors = [x[f[rows, i]] - base for i in range(1, d)] + [x[opp] - base]
        return np.sign(np.linalg.det(np.stack(vectors, axis=1)))

    fold = side(j, o[j]) == side(j, o[j + 1])
    if fold.any():
        i = j[int(np.argmax(fold))]
        a, b = sorted((int(owner[i]), int(owner[i + 1])))
        raise ValueError(f"{what}: cells {C(a)} and {C(b)} overlap (both lie on one side of their common facet "
                         f"{', '.join(map(V, f[i]))}): the mesh folds over there")
    return np.stack([owner[j], owner[j + 1]], axis=1)


@numba.njit(cache=True, parallel=True)
def _first_overlap(inverse, origin, centroids, near):
    """For each cell i, the first j in ``near[i]`` (j != i) whose cell holds the centroid of i
    strictly inside (every barycentric coordinate > 1e-9), else -1.  ``inverse[j]`` maps
    ``x - origin[j]`` to the cell's last d barycentric coordinates."""
    m, k = near.shape
    d = centroids.shape[1]
    hit = -np.ones(m, np.int64)
    for i in numba.prange(m):
        for a in range(k):
            j = near[i, a]
            if j == i:
                continue
            total, smallest = 0.0, np.inf
            for r in range(d):
                lam = 0.0
                for q in range(d):
                    lam += inverse[j, r, q] * (centroids[i, q] - origin[j, q])
                total += lam
                smallest = min(smallest, lam)
            if smallest > 1e-9 and 1.0 - total > 1e-9:
                hit[i] = j
                break
    return hit


def _overlaps(x, c, pairs, what, C) -> None:
    """The centroid of a cell strictly inside one of the cells with the nearest centroids; only for a
    mesh of more than one piece (cells connected through their facets): within one piece that passed
    the facet check, cells next to each other do not overlap."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    from advmcf.meshes.kdtree import num_threads

    m, d = c.shape[0], x.shape[1]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    if m < 2 or connected_components(graph, directed=False)[0] == 1:
        return
    v = x[c]
    centroids = v.mean(axis=1)
    k = min(NEIGHBOURS[d], m)
    _, near = cKDTree(centroids).query(centroids, k=k, workers=num_threads())
    inverse = np.linalg.inv(np.swapaxes(v[:, 1:] - v[:, :1], 1, 2))  # the cells are not flat (check 6)
    hit = _first_overlap(inverse, np.ascontiguousarray(v[:, 0]), centroids, near.reshape(m, k).astype(np.int64))
    if (hit >= 0).any():
        a = int(np.argmax(hit >= 0))
        b = int(hit[a])
        raise ValueError(f"{what}: cells {C(a)} and {C(b)} overlap (the centre {_point(centroids[a])} of cell "
                         f"{C(a)} lies inside cell {C(b)}): the mesh covers that region twice")
