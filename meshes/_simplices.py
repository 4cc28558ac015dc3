r"""Vectorised geometry of simplices: clipping by a linear function and quadrature.

Hand-written because neither DOLFINx nor scipy clips cells by a level set:
each cut cell is split into sub-simplices of :math:`\{s < 0\}` exactly (s is
affine on a cell, so the cut is planar), and sub-simplices are integrated with
basix's Gauss–Jacobi rules.  All arrays hold many simplices at once:
``(num_simplices, tdim + 1, num_features)``, where the first ``gdim`` features
are coordinates and the rest are other affine fields carried along (their
values at new vertices are interpolated on the cut edges, which is exact).
"""

from __future__ import annotations

import math

import basix
import numba
import numpy as np

from advmcf.meshes import checks
from advmcf.meshes.kdtree import STACK, KDTree, num_threads
from advmcf.meshes.sets import vertex_coordinates

__all__ = ["owned_cells", "clip_negative", "cut_faces", "simplex_volumes", "integrate",
           "distance_to_simplices"]

_CELL = {1: basix.CellType.interval, 2: basix.CellType.triangle, 3: basix.CellType.tetrahedron}

# Sub-simplices of {s < 0} in a triangle, by the vertices' signs, expressed in
# points that are either cell vertices (int) or edge crossings (pairs).
# A prism with bottom (A, B, C) and top (A', B', C'), A-A', B-B', C-C' edges,
# is split into the tetrahedra (A,B,C,C'), (A,B,B',C'), (A,A',B',C').
_PRISM = ((0, 1, 2, 5), (0, 1, 4, 5), (0, 3, 4, 5))


def owned_cells(*functions, cells=None):
    """Per owned cell: coordinates and the P1 values of ``functions``.

    Returns ``(num_owned_cells, tdim + 1, gdim + len(functions))``: the first
    gdim features are vertex coordinates, then one column per function.  All
    functions must be P1 on the same mesh (P1 spaces on one mesh share their dofmap).
    ``cells``: local indices of owned cells, in the order wanted (default: all
    of them); their coordinates are read from the mesh geometry of those cells
    only, bitwise those of :func:`~advmcf.meshes.sets.vertex_coordinates`.
    """
    for name, f in zip(("phi", "psi", "third function", "fourth function"), functions):
        checks.p1_function(name, f)
    V = functions[0].function_space
    for f in functions:
        if f.function_space.mesh is not V.mesh:
            raise ValueError(f"{f.name}: expected a P1 function on the mesh of {functions[0].name}")
    msh = V.mesh
    gdim, tdim = msh.geometry.dim, msh.topology.dim
    num_cells = msh.topology.index_map(tdim).size_local
    if cells is None:
        dofs = V.dofmap.list[:num_cells]
        xc = vertex_coordinates(V)[:, :gdim][dofs]
    else:
        cells = np.asarray(cells, np.int64)
        if cells.size and (cells.min() < 0 or cells.max() >= num_cells):
            raise ValueError(f"owned_cells: cell indices must lie in [0, {num_cells}) (the owned cells)")
        dofs = V.dofmap.list[cells]
        geom = msh.geometry
        if geom.dofmaps[0].shape[1] != dofs.shape[1]:
            raise ValueError("owned_cells: needs an affine (P1) mesh geometry and P1 functions")
        xc = geom.x[geom.dofmaps[0][cells]][:, :, :gdim]
    cols = [xc] + [f.x.array[dofs][:, :, None] for f in functions]
    return np.concatenate(cols, axis=2)


def _cross(P, s, a, b):
    """Features ``(n, F)`` of the point where s = 0 on the edge (a, b); s(a), s(b) differ in sign."""
    sa, sb = s[:, a], s[:, b]
    t = sa / (sa - sb)
    return P[:, a] + t[:, None] * (P[:, b] - P[:, a])


def clip_negative(P, s):
    r"""Sub-simplices of :math:`\{s < 0\}` of each simplex (exact for affine s).

    Args:
        P: ``(n, k, F)`` vertex features of n simplices with k = tdim + 1
            vertices (k = 2, 3 or 4).
        s: ``(n, k)`` values of the clipping function at the vertices.

    Returns ``(m, k, F)``: simplices whose union is the part of the input
    simplices where s < 0 (vertices with s == 0 count as outside; the
    difference has measure zero).
    """
    n, k, _ = P.shape
    neg = s < 0
    count = neg.sum(axis=1)
    out = [P[count == k]]
    if k == 2:
        for a in range(2):
            b = 1 - a
            sel = (count == 1) & neg[:, a]
            out.append(np.stack([P[sel, a], _cross(P[sel], s[sel], a, b)], axis=1))
        return np.concatenate(out)
    for lone in range(k):
        others = [j for j in range(k) if j != lone]
        # one negative vertex: the corner simplex at it
        sel = (count == 1) & neg[:, lone]
        Q, t = P[sel], s[sel]
        out.append(np.stack([Q[:, lone]] + [_cross(Q, t, lone, j) for j in others], axis=1))
        # one non-negative vertex: the simplex minus its corner at that vertex
        sel = (count == k - 1) & ~neg[:, lone]
        Q, t = P[sel], s[sel]
        cuts = [_cross(Q, t, j, lone) for j in others]
        if k == 3:  # quadrilateral (a, b, p_b, p_a) as two triangles
            a, b = others
            out.append(np.stack([Q[:, a], Q[:, b], cuts[1]], axis=1))
            out.append(np.stack([Q[:, a], cuts[1], cuts[0]], axis=1))
        else:  # prism with bottom `others`, top their crossings towards `lone`
            prism = np.stack([Q[:, j] for j in others] + cuts, axis=1)
            out.extend(prism[:, list(tet)] for tet in _PRISM)
    if k == 4:  # two against two: a prism between the edges (a, b) and the cut
        for a, b in ((0, 1), (0, 2), (0, 3)):
            c, d = [j for j in range(4) if j not in (a, b)]
            for lo, hi, far in ((a, b, (c, d)), (c, d, (a, b))):
                sel = (count == 2) & neg[:, lo] & neg[:, hi]
                Q, t = P[sel], s[sel]
                # bottom (lo, p_lo_far0, p_lo_far1), top (hi, p_hi_far0, p_hi_far1)
                prism = np.stack([Q[:, lo], _cross(Q, t, lo, far[0]), _cross(Q, t, lo, far[1]),
                                  Q[:, hi], _cross(Q, t, hi, far[0]), _cross(Q, t, hi, far[1])], axis=1)
                out.extend(prism[:, list(tet)] for tet in _PRISM)
    return np.concatenate(out)


def simplex_volumes(S):
    """Measures ``(n,)`` of n simplices given by coordinates ``(n, k, gdim)``, k <= gdim + 1.

    Uses the Gram determinant, so segments in 2D/3D and triangles in 3D get
    their length and area.
    """
    E = S[:, 1:] - S[:, :1]  # (n, k-1, gdim)
    gram = np.einsum("nig,njg->nij", E, E)
    k = S.shape[1] - 1
    return np.sqrt(np.clip(np.linalg.det(gram), 0.0, None)) / math.factorial(k)


def integrate(S, f, degree):
    r"""Sum over simplices of :math:`\int_S f\,dH^k`, k = S.shape[1] - 1.

    ``S`` has shape ``(n, k+1, gdim)``; ``f`` is a callable on points of shape
    ``(3, num_points)`` (the advmcf convention), or None for f = 1 (then the
    result is exact).  Gauss–Jacobi rule of the given degree from basix.
    """
    if S.shape[0] == 0:
        return 0.0
    vol = simplex_volumes(S)
    if f is None:
        return float(vol.sum())
    k = S.shape[1] - 1
    xi, w = basix.make_quadrature(_CELL[k], degree)
    w = w * math.factorial(k)  # reference simplex measure 1/k! -> weights summing to 1
    # physical points: x = S0 + sum_j xi_j (S_{j+1} - S0), shape (n, q, gdim)
    x = S[:, None, 0] + np.einsum("qj,njg->nqg", xi, S[:, 1:] - S[:, :1])
    gdim = S.shape[2]
    pts = np.zeros((3, x.shape[0] * x.shape[1]))
    pts[:gdim] = x.reshape(-1, gdim).T
    vals = np.asarray(f(pts), dtype=float).reshape(x.shape[0], x.shape[1])
    return float(np.einsum("nq,q,n->", vals, w, vol))


def cut_faces(P, s):
    r"""Pieces of the zero level set :math:`\{s = 0\}` that bound :math:`\{s < 0\}`.

    Args and shapes as :func:`clip_negative`; returns ``(m, k - 1, F)``:
    points in a triangle (k = 3) give segments, tetrahedra (k = 4) give
    triangles (a quadrilateral cut is split into two).  Only cells with a
    vertex where s < 0 contribute, so a face through vertices with s == 0
    shared by two cells is counted once.
    """
    neg = s < 0
    count = neg.sum(axis=1)
    k = P.shape[1]
    out = [np.zeros((0, k - 1, P.shape[2]))]
    for lone in range(k):
        others = [j for j in range(k) if j != lone]
        for sel in ((count == 1) & neg[:, lone], (count == k - 1) & ~neg[:, lone]):
            Q, t = P[sel], s[sel]
            out.append(np.stack([_cross(Q, t, lone, j) for j in others], axis=1))
    if k == 4:  # two against two: the quadrilateral p_ac, p_ad, p_bd, p_bc
        for a, b in ((0, 1), (0, 2), (0, 3)):
            c, d = [j for j in range(4) if j not in (a, b)]
            sel = (count == 2) & (neg[:, a] == neg[:, b])
            Q, t = P[sel], s[sel]
            pac, pad, pbd, pbc = (_cross(Q, t, a, c), _cross(Q, t, a, d),
                                  _cross(Q, t, b, d), _cross(Q, t, b, c))
            out.append(np.stack([pac, pad, pbd], axis=1))
            out.append(np.stack([pac, pbd, pbc], axis=1))
    return np.concatenate(out)


@numba.njit(cache=True, inline="always")
def _segment_distance2(p, a, b):
    """Squared distance from point p to the segment [a, b] (a, b may coincide)."""
    ab2 = 0.0
    t = 0.0
    for c in range(p.size):
        ab2 += (b[c] - a[c]) ** 2
        t += (p[c] - a[c]) * (b[c] - a[c])
    t = min(max(t / ab2, 0.0), 1.0) if ab2 > 0 else 0.0
    d2 = 0.0
    for c in range(p.size):
        d2 += (p[c] - a[c] - t * (b[c] - a[c])) ** 2
    return d2


@numba.njit(cache=True)
def _simplex_distance2(p, s):
    """Squared distance from point p ``(g,)`` to the simplex s: a segment ``(2, g)`` or a triangle
    ``(3, 3)`` (the distance to its plane where the projection of p falls inside, else to the nearest
    edge; a degenerate triangle is the union of its edges)."""
    d2 = _segment_distance2(p, s[0], s[1])
    if s.shape[0] == 2:
        return d2
    d2 = min(d2, _segment_distance2(p, s[1], s[2]), _segment_distance2(p, s[2], s[0]))
    ax, ay, az = s[0, 0], s[0, 1], s[0, 2]
    ux, uy, uz = s[1, 0] - ax, s[1, 1] - ay, s[1, 2] - az
    vx, vy, vz = s[2, 0] - ax, s[2, 1] - ay, s[2, 2] - az
    nx, ny, nz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
    nn = nx * nx + ny * ny + nz * nz
    if nn == 0:
        return d2
    h = ((p[0] - ax) * nx + (p[1] - ay) * ny + (p[2] - az) * nz) / nn
    qx, qy, qz = p[0] - h * nx, p[1] - h * ny, p[2] - h * nz  # the projection of p on the plane
    for i in range(3):  # inside: on the inner side of every edge
        j = (i + 1) % 3
        tx, ty, tz = s[j, 0] - s[i, 0], s[j, 1] - s[i, 1], s[j, 2] - s[i, 2]
        wx, wy, wz = qx - s[i, 0], qy - s[i, 1], qz - s[i, 2]
        if (ty * wz - tz * wy) * nx + (tz * wx - tx * wz) * ny + (tx * wy - ty * wx) * nz < 0:
            return d2
    return min(d2, h * h * nn)


@numba.njit(cache=True, inline="always")
def _box_distance2(p, lo, hi):
    """Squared distance from point p to the box [lo, hi]."""
    d2 = 0.0
    for c in range(p.size):
        d2 += max(lo[c] - p[c], 0.0, p[c] - hi[c]) ** 2
    return d2


@numba.njit(cache=True, parallel=True)
def _nearest(points, bounds, simplices, left, right, item, lo, hi, cutoff2):
    """Per point, the squared distance to the nearest simplex if below ``cutoff2``, else ``cutoff2``:
    a depth-first branch and bound over a tree whose boxes bound the simplices below each node, the
    nearer child first, a box skipped when it is not nearer than the best so far (the blocks
    ``bounds[b] <= i < bounds[b + 1]`` of points in parallel, numba threads)."""
    out = np.empty(points.shape[0])
    for b in numba.prange(bounds.size - 1):
        stack = np.empty(STACK, np.int64)
        bound = np.empty(STACK)  # the squared box distance of each node on the stack
        for i in range(bounds[b], bounds[b + 1]):
            p = points[i]
            best = cutoff2
            stack[0], bound[0] = 0, 0.0
            top = 1
            while top > 0:
                top -= 1
                k = stack[top]
                if bound[top] >= best:  # the best improved since the node was pushed
                    continue
                if item[k] >= 0:
                    best = min(best, _simplex_distance2(p, simplices[item[k]]))
                    continue
                a, c = left[k], right[k]
                da, dc = _box_distance2(p, lo[a], hi[a]), _box_distance2(p, lo[c], hi[c])
                if da > dc:
                    a, c, da, dc = c, a, dc, da
                if dc < best:  # the farther child below the nearer one on the stack
                    stack[top], bound[top] = c, dc
                    top += 1
                if da < best:
                    stack[top], bound[top] = a, da
                    top += 1
            out[i] = best
    return out


@numba.njit(cache=True)
def _simplex_boxes(simplices, left, right, item, lo, hi):
    """The boxes ``lo``, ``hi`` (written in place) of a tree over simplex centres, grown to bound
    the whole simplices: a leaf's from its simplex, then every parent's as the union of its
    children's (children have larger ids)."""
    for k in range(item.size - 1, -1, -1):
        for c in range(lo.shape[1]):
            if item[k] >= 0:
                lo[k, c] = simplices[item[k], :, c].min()
                hi[k, c] = simplices[item[k], :, c].max()
            else:
                lo[k, c] = min(lo[left[k], c], lo[right[k], c])
                hi[k, c] = max(hi[left[k], c], hi[right[k], c])


def distance_to_simplices(points, simplices, cutoff=None):
    """Exact distances ``(num_points,)`` from points ``(num_points, gdim)`` to the union of
    simplices ``(n, k, gdim)`` (segments, k = 2, in 2D or 3D; triangles, k = 3, in 3D); inf if
    there are none.

    With ``cutoff``, distances are clipped to it: exact where below it, ``cutoff`` elsewhere.
    A branch and bound over a k-d tree of the simplex centres whose boxes are grown to bound the
    simplices (:class:`advmcf.meshes.kdtree.KDTree`; hand-written in numba: scipy's trees hold points, not
    simplices), blocks of points in parallel on numba's threads (``NUMBA_NUM_THREADS``).  Its cost
    per point is about the number of simplices nearer than its distance plus a tree's depth, and a
    point farther than the cutoff from every box stops at the root.
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    limit = np.inf if cutoff is None else float(cutoff)
    if simplices.shape[0] == 0:
        return np.full(points.shape[0], limit)
    simplices = np.ascontiguousarray(simplices, dtype=np.float64)
    tree = KDTree(simplices.mean(axis=1))
    lo, hi = tree.lo.copy(), tree.hi.copy()
    _simplex_boxes(simplices, tree.left, tree.right, tree.point, lo, hi)
    bounds = np.linspace(0, points.shape[0], 64 * num_threads() + 1).astype(np.int64)
    d2 = _nearest(points, bounds, simplices, tree.left, tree.right, tree.point, lo, hi, limit * limit)
    return np.where(d2 < limit * limit, np.sqrt(d2), limit)
