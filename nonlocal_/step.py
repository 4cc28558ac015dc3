r"""One step of the adversarial minimizing-movements scheme (:ref:`theory-scheme`, :ref:`theory-discretization`).

Discrete problem, on the mesh vertices (lumped masses :math:`m_i`, the
ε-neighbourhood of a :class:`~advmcf.nonlocal_.mixture.BallMixture`: nested closed
balls :math:`B_k(i)` of radii :math:`r_k` with weights :math:`w_k`,
:math:`d_i = |\mathrm{sd}_k(x_i)|` the distance to the piecewise-linear
interface :math:`\partial A_k`, :math:`\chi = 1_{A_k}`):

.. math::
    \min_{u \in \{0,1\}^N} \frac{1}{\tau} \sum_i m_i \rho_i d_i^p |u_i - \chi_i|
    + \frac{1}{\varepsilon} \sum_i m_i \sum_k w_k \big[\rho_{0,i} (\max_{B_k(i)} u - u_i)
    + \rho_{1,i} (u_i - \min_{B_k(i)} u)\big],

:math:`\rho = \rho_0 + \rho_1`, p ∈ {0, 1}; the second sum is
:math:`\mathrm{Per}_\varepsilon(u)` of :mod:`advmcf.nonlocal_.perimeter` (the
isotropic mixture by default, the plain ε-ball by name).  It is solved exactly by one
min-cut (:mod:`advmcf.nonlocal_.mincut`: the k-d tree graph reduction, a
pseudoflow max-flow), which returns the minimal or the maximal minimizer
and a max-flow = min-cut certificate.

**Band.**  Only the vertices with :math:`|\mathrm{sd}_k| \le W` are free; the
others keep their side.  With R = r_K the reach of the neighbourhood, W
starts at :math:`2R + 4h_{max} + 1.5\,\delta`, δ the previous step's
displacement when the caller gives it (``displacement_hint``), and otherwise
at :math:`2R + \max(4h_{max}, 1.5\,\hat\delta)`, :math:`\hat\delta` an
estimate of :math:`\tau \max|V|` from the interface pieces (the angles
between the normals of nearby pieces, the vertex densities:
:func:`_displacement_estimate`; without it the first step of a flow was
solved on a band too narrow and then again); W is checked after the solve: if a vertex with
:math:`|\mathrm{sd}_k| > W - 2R` changed side, W is widened to
:math:`\max(1.5W, \delta + 3R + 4h_{max})` and the step solved again
(``band_widenings`` counts this).  The certificate
covers the band problem; the band itself is checked a posteriori, not proved
wide enough.  The classic failure of a band, near extinction, is caught: if
the empty set or the whole domain has lower energy than the band solution,
the unrestricted problem is solved.  The tests compare with the unrestricted
problem.  Per_ε of the new set is Per_ε(χ) plus its change on the band and
collar; Per_ε(χ) is the previous step's result when this step starts from
the set that step returned (checked vertex by vertex), and is computed on
all vertices otherwise.

**Sub-vertex boundary** (p = 1).  With p = 1 the step is the 0-superlevel set
of the convex problem :math:`\min_w \frac{1}{2\tau}\sum_i m_i\rho_i(w_i +
\mathrm{sd}_{k,i})^2 + TV_\varepsilon(w)`, and for every s the set
:math:`\{w > s\}` minimises the step energy plus
:math:`\frac{s}{\tau}\sum_i m_i\rho_i u_i`.  After the exact solve, the
whole family of these problems is solved on the layer graph (the vertices
within 2 h_max of the new boundary free, the others held at their side) by
one parametric cut (:meth:`CutProblem.breakpoints
<advmcf.nonlocal_.mincut.CutProblem.breakpoints>`,
:mod:`advmcf.nonlocal_.parametric`): every layer vertex gets its exact w,
the breakpoint of the family, where it lies in (−h_max, h_max) (±9/8 h_max
beyond), and every cut of it is certified.  The discrete w is a staircase (TV_ε's minimizers are
piecewise constant: tens of distinct values on a layer of a thousand
vertices), rough at the scale of a cell, and so is its zero level; the next step's distances
to a rough boundary are biased low (the scheme then moves about 3 % of a
step's displacement too fast per step on a disc at ε/h = 4).  So near the
boundary w is averaged over 2 h_max (Gaussian weights, its signs kept, a
constant shift keeping the volume of {w > 0}: :func:`_smoothed`), which
keeps a linear w and brings the per-step bias below 1 %.  The returned level
set is φ = −w: ``{phi < 0}`` on the vertices is exactly the selected
minimizer, and the zero level between two vertices is the interpolated zero
of the averaged w.  With p = 0 the returned φ keeps the previous values
where a vertex did not change side and is ∓h_max/2 where it did.

**The domain boundary.**  Ω is a window on :math:`\mathbb{R}^d`.  With
``boundary="window"`` (the default) :math:`\mathbb{R}^d \setminus \Omega`
counts as outside every set: the vertices within the reach R of ∂Ω are held
outside (not free, fixed at u = 0), so the ε-balls of the set's terms never
reach past ∂Ω and the step equals the step in :math:`\mathbb{R}^d` as long as
the set keeps more than R from ∂Ω; an initial set that meets this layer is an
error (a set that crosses ∂Ω by design, a half space, needs the Neumann
problem).  With ``boundary="neumann"`` the balls are cut off by Ω and ∂Ω
carries no perimeter (touching it is free: a set near ∂Ω can jump to it).
Either way every step reports ``boundary_margin``, the distance of the new
vertex set to ∂Ω, and ``near_boundary``, whether it is within R + 2 h_max
(the answer may then depend on where ∂Ω is).

**Distances.**  :math:`d_i` is measured on rank 0 from the gathered
interface pieces, out to a cutoff :math:`W + 3R` (far vertices are
not searched); the check against ∅ and Ω first uses the clipped distances,
which bound E(∅) and E(Ω) from below, and measures all distances only when
that bound does not already rule them out.

**MPI.**  The vertex data (coordinates, masses, densities, φ_k) and the
interface pieces are gathered on rank 0 (:mod:`advmcf.nonlocal_.vertices`), which
measures the distances, builds the band, its balls and the graph, solves,
and scatters the new level set; 1 and N ranks give the same sets because
rank 0 sees the same sorted data.  The max-flow is serial: more ranks do not
make the step faster (``benchmarks/nonlocal_step.py`` measures the gather).
The ball covers of the graph (method "tree", ``keep_covers=True``: the
default) are those of one k-d tree over all vertices, kept from step to
step for the vertices of the last band
(:class:`~advmcf.nonlocal_._cover.CoverCache`): a step walks only the
covers of the vertices new to its band.  Threads: the interface distances,
the ball covers and the nearest-neighbour queries run on numba's threads
(:func:`advmcf.meshes.kdtree.num_threads`, all cores unless
``NUMBA_NUM_THREADS`` says otherwise; the results do not depend on it),
while the other ranks wait asleep (:func:`advmcf.meshes.mpi.on_root`).
"""

from __future__ import annotations

import logging
import time

import numba
import numpy as np
from dolfinx import fem

from advmcf.meshes.densities import density_values
from advmcf.meshes.distance import distance_to_simplices
from advmcf.meshes.boundary import DomainBoundary
from advmcf.meshes.interface import interface
from advmcf.meshes.kdtree import num_threads
from advmcf.meshes.memory import check_memory
from advmcf.meshes.mpi import agreed, on_root
from scipy.spatial import cKDTree

from ._checks import check_choice, check_positive
from ._cover import CoverCache
from ._timing import Timings
from .vertices import Vertices
from .functional import vertex_perimeter
from .mincut import METHODS, SOLVERS, CutProblem
from .mixture import BallMixture
from .neighbours import distance_to_other_phase
from .perimeter import check_arguments, resolve_mixture

__all__ = ["AdversarialScheme", "step"]

log = logging.getLogger(__name__)

#: how a step treats ∂Ω (module docstring): R^d \ Ω outside every set, or Ω's own Neumann problem
BOUNDARIES = ("window", "neumann")
_NUM_THRESHOLDS = 8
_SMOOTHING_RADIUS = 2.0  # in units of h_max


class AdversarialScheme:
    r"""The scheme on one mesh: what does not change between steps, built once (collective).

    Args:
        V: the scalar P1 space of the level sets.
        rho0, rho1: density callables (class 0 outside, class 1 inside).
        eps: the adversarial budget ε > 0.
        p: 1 (weight dist, the paper's scheme) or 0 (plain iterated
            adversarial training, the negative control).
        selection: "minimal" or "maximal" minimizer at every step.
        discretization: "isotropic" (default), "plain" or a
            :class:`~advmcf.nonlocal_.mixture.BallMixture` (:mod:`advmcf.nonlocal_.perimeter`).
        method: graph construction, "tree" (default) or "plain" (one edge per
            ball member: the reference); see :mod:`advmcf.nonlocal_.mincut`.  Both
            give the same sets.
        solver: max-flow solver, "pseudoflow" (default, :mod:`advmcf.nonlocal_.pseudoflow`),
            "push-relabel" (OR-tools) or "bk" (PyMaxflow's Boykov–Kolmogorov:
            the reference).  All give the same sets.
        boundary: "window" (default: R^d \ Ω is outside every set, the
            vertices within the reach of ∂Ω are held outside) or "neumann"
            (balls cut off by Ω); module docstring.
        keep_covers: method "tree": keep the ball covers of the last band in
            one k-d tree over all vertices (default: a later step walks only
            the covers of the vertices new to its band and writes its arcs
            straight into the max-flow's adjacency), or walk every cover in a
            k-d tree over each step's free points (the earlier path: nothing
            kept between steps; its first step is faster in 3D).  Both give
            the same sets and φ, bit for bit.

    Attributes:
        mixture: the :class:`~advmcf.nonlocal_.mixture.BallMixture` in use (every rank).
    """

    def __init__(self, V: fem.FunctionSpace, rho0, rho1, eps: float, *, p: int = 1,
                 selection: str = "minimal", discretization="isotropic", method: str = "tree",
                 solver: str = "pseudoflow", boundary: str = "window", keep_covers: bool = True):
        from advmcf.meshes.stats import mesh_stats

        def choices():
            check_choice("p", p, (0, 1))
            check_choice("selection", selection, ("minimal", "maximal"))
            check_choice("method", method, METHODS)
            check_choice("solver", solver, SOLVERS)
            check_choice("boundary", boundary, BOUNDARIES)
            if not isinstance(keep_covers, (bool, np.bool_)):
                raise ValueError(f"keep_covers must be True or False, got {keep_covers!r}")

        agreed(V.mesh.comm, "p, selection, method, solver, boundary and keep_covers",
               (p, selection, method, solver, boundary, keep_covers), choices)
        self.boundary = boundary
        self.eps = check_arguments(eps, V.mesh, discretization)
        self.p, self.selection, self.method, self.solver = p, selection, method, solver
        self.h_max = float(mesh_stats(V.mesh).h_max)
        self.verts = Vertices(V)
        self._rho0 = self._rho1 = self._to_boundary = self._held = None
        self._previous = None  # rank 0: (the last step's vertex set, its Per_eps), the next step's start
        self._cover_cache = None  # rank 0, method "tree": the k-d tree over all vertices, the last band's covers
        to_boundary = fem.Function(V)
        to_boundary.x.array[:] = DomainBoundary(V).vertex_distance
        to_boundary = self.verts.gather(to_boundary)

        def prepare():
            x3 = self.verts.points3()
            self._rho0 = density_values("rho0", rho0, x3)
            self._rho1 = density_values("rho1", rho1, x3)
            mixture = resolve_mixture(self.verts, self.eps, discretization)
            self._to_boundary = to_boundary
            held = to_boundary <= mixture.reach * (1 + 1e-9)
            self._held = held if boundary == "window" else np.zeros_like(held)
            if method == "tree" and keep_covers:  # the tree depends on the vertices only: built with the scheme
                self._cover_cache = CoverCache(self.verts.x, mixture.closed_radii)
            return mixture

        # errors are raised on every rank; the densities and distances stay on rank 0
        self.mixture: BallMixture = on_root(self.verts.comm, prepare)

    def step(self, phi_k: fem.Function, tau: float, *, displacement_hint: float | None = None):
        r"""One step :math:`A_k \to A_{k+1}` of size τ (module docstring).

        Args:
            phi_k: P1 level set of :math:`A_k = \{\varphi_k < 0\}` on the
                scheme's space.
            tau: the time step τ > 0.
            displacement_hint: expected displacement (sets the first band
                width; the previous step's ``displacement`` in a flow); None:
                estimated from the curvature of the interface and the densities.

        Returns:
            ``(phi, info)``: the P1 level set of :math:`A_{k+1}` and a dict of
            global diagnostics: ``perimeter_eps`` (Per_ε of the new vertex
            set), ``fidelity`` (the first term of the energy), ``energy``,
            ``band_vertices`` (free vertices), ``band_width``,
            ``band_widenings``, ``graph_nodes``, ``graph_edges``,
            ``boundary_margin`` (distance of the new vertex set to ∂Ω, inf if
            empty), ``near_boundary`` (margin ≤ R + 2 h_max, R the reach),
            ``solve_time`` (rank 0 wall time of the cuts), ``step_time``
            (whole step, rank 0), ``times`` (its parts, rank 0:
            :mod:`advmcf.nonlocal_._timing`), ``certified``, ``gap`` (relative
            max-flow/min-cut mismatch), ``displacement`` (largest distance to
            ∂A_k of a vertex that changed side), ``volume`` (lumped mass of the
            new vertex set), ``empty``.
        """
        tau = check_positive("tau", tau)
        V = phi_k.function_space
        if V.mesh is not self.verts.V.mesh or V.dofmap.index_map.size_local != self.verts.num_owned:
            raise ValueError("step: phi_k must be a P1 function on the mesh the scheme was built on")
        t_start = time.perf_counter()
        verts = self.verts
        comm = verts.comm
        times = Timings()
        with times("gather"):
            chi_local = phi_k.x.array[: verts.num_owned] < 0
            counts = comm.allreduce(np.array([np.count_nonzero(chi_local), chi_local.size]))
            trivial = counts[0] == 0 or counts[0] == counts[1]
            # the interface pieces of all ranks (collective); rank 0 measures distances to them on demand
            simplices = None if trivial else interface(phi_k).gathered()
            phi_vals = verts.gather(phi_k)
        out = [None]

        def work():
            values, info = self._solve_on_root(phi_vals, simplices, tau, displacement_hint, times)
            out[0] = values
            return info

        info = on_root(comm, work)
        with times("scatter"):
            phi = verts.scatter(out[0] if verts.is_root else None, name=phi_k.name)
        step_time = time.perf_counter() - t_start
        times["other"] = step_time - sum(times.values())
        info["step_time"], info["times"] = comm.bcast((step_time, dict(times)) if verts.is_root else None, root=0)
        return phi, info

    def _solve_on_root(self, phi_vals, simplices, tau, hint, times):
        verts, mixture = self.verts, self.mixture
        x, m, r0, r1 = verts.x, verts.m, self._rho0, self._rho1
        c0, c1 = m * r0 / self.eps, m * r1 / self.eps
        chi = phi_vals < 0
        h, reach = self.h_max, mixture.reach
        if np.any(chi & self._held):
            margin = float(self._to_boundary[chi].min())
            raise ValueError(f"nonlocal: the set comes within {margin:.4g} of the domain boundary, closer than the "
                             f"reach R = {reach:.4g} of its eps-balls; with boundary='window' (R^d outside the mesh "
                             f"counts as outside the set) it must keep R from the boundary: enlarge the domain, or "
                             f"use boundary='neumann' for a set that crosses the boundary by design (a half space)")
        info = {"band_vertices": 0, "band_width": 0.0, "band_widenings": 0, "graph_nodes": 0,
                "graph_edges": 0, "solve_time": 0.0, "certified": True, "gap": 0.0, "displacement": 0.0}
        if simplices is None:  # empty set or whole domain: nothing can change, Per_ε = 0
            u, values, weight, per = chi, phi_vals.copy(), np.zeros_like(m), 0.0
        else:
            dist = _Distances(x, simplices, times)

            def fidelity_weights(d):
                return m * (r0 + r1) * (d if self.p == 1 else 1.0) / tau

            if hint is None:  # the first band of the step that would not be widened (if the estimate holds)
                W = 2 * reach + max(4 * h, 1.5 * _displacement_estimate(simplices, x, r0 + r1, tau, reach))
            else:
                W = 2 * reach + 4 * h + 1.5 * hint
            with times("perimeter"):  # Per_eps(chi): the last step's, if it ended at chi
                same = self._previous is not None and np.array_equal(self._previous[0], chi)
                per_chi = self._previous[1] if same else vertex_perimeter(x, chi, c0, c1, mixture)
            while True:
                d = dist.upto(W + 3 * reach)
                weight = fidelity_weights(d)  # exact where d < cutoff, a lower bound elsewhere
                check_memory(len(x), x.shape[1], "the adversarial step", "eps", kind="nonlocal",  # before the graph
                             band_vertices=int(np.count_nonzero(d <= W + reach)), eps_over_h=self.eps / h)
                u, sub, res, cut = self._band_solve(weight, chi, d, W)
                for part, seconds in cut.times.items():
                    times[part] = times.get(part, 0.0) + seconds
                with times("perimeter"):
                    per = per_chi + _band_perimeter_change(x, c0, c1, chi, u, sub, d <= W + reach * (1 + 1e-9),
                                                           mixture)
                changed = u != chi
                disp = float(d[changed].max()) if changed.any() else 0.0
                if dist.complete and W >= d.max():
                    break
                if disp > W - 2 * reach:
                    log.info("band W = %g too narrow (a vertex at distance %g changed): widening", W, disp)
                    W = max(1.5 * W, disp + 3 * reach + 4 * h)
                elif (_trivial_set_is_better(u, chi, weight, per, self.boundary == "neumann")
                      and _trivial_set_is_better(u, chi, fidelity_weights(dist.upto(np.inf)), per,
                                                 self.boundary == "neumann")):
                    # The band certificate covers the band only: near extinction (or
                    # filling) the empty set (or the whole domain) can beat every
                    # set the band allows.  Then solve the unrestricted problem.
                    # (The first test, with clipped distances, bounds E(∅), E(Ω) from below.)
                    log.info("the empty set or the whole domain beats the band solution: solving unrestricted")
                    W = float(dist.upto(np.inf).max())
                else:
                    break
                info["band_widenings"] += 1
            info.update(band_vertices=int(np.count_nonzero(cut.free)), band_width=float(min(W, d.max())),
                        graph_nodes=res["graph_nodes"], graph_edges=res["graph_edges"],
                        solve_time=res["solve_time"], certified=res["certified"], gap=res["gap"],
                        displacement=disp)
            if self.p == 1:
                values, t_thr, exact = _subvertex_values(x, m, sub, cut, u, m * (r0 + r1) / tau, h, times)
                info["solve_time"] += t_thr
                info["certified"] = info["certified"] and exact["certified"]
            else:
                values = np.where(u == chi, phi_vals, np.where(u, -h / 2, h / 2))
        info["fidelity"] = float(np.sum(weight[u != chi]))
        info["perimeter_eps"] = per
        info["energy"] = info["fidelity"] + info["perimeter_eps"]
        info["volume"] = float(np.sum(m[u]))
        self._previous = (u.copy(), per)
        info["empty"] = not bool(u.any())
        info["boundary_margin"] = float(self._to_boundary[u].min()) if u.any() else np.inf
        info["near_boundary"] = bool(info["boundary_margin"] <= reach + 2 * h)
        return values, info

    def _covers(self, ids):
        """``(cache, ids)`` for a :class:`CutProblem` on the vertices ``ids`` (rank 0): the ball covers in
        one k-d tree over all vertices, kept from step to step (None for ``method="plain"``)."""
        return None if self._cover_cache is None else (self._cover_cache, ids)

    def _band_solve(self, w_all, chi, d, W):
        """The exact cut with |sd| <= W free; returns (u on all vertices, band index, result, problem)."""
        reach = self.mixture.reach
        sub = np.flatnonzero(d <= W + 2 * reach * (1 + 1e-9))
        ds = d[sub]
        m, eps = self.verts.m[sub], self.eps
        cut = CutProblem(self.verts.x[sub], self.mixture, (ds <= W) & ~self._held[sub], chi[sub], w_all[sub],
                         m * self._rho0[sub] / eps, m * self._rho1[sub] / eps, ds <= W + reach * (1 + 1e-9),
                         method=self.method, solver=self.solver, covers=self._covers(sub))
        usub, res = cut.solve(self.selection)
        u = chi.copy()
        u[sub] = usub
        return u, sub, res, cut


def step(phi_k: fem.Function, rho0, rho1, eps: float, tau: float, *, p: int = 1,
         selection: str = "minimal", displacement_hint: float | None = None, discretization="isotropic",
         method: str = "tree", solver: str = "pseudoflow", boundary: str = "window"):
    r"""One step of the scheme: ``AdversarialScheme(...).step(phi_k, tau)`` (see there).

    Builds the scheme (gathers the vertices, evaluates the densities, fits the
    neighbourhood) for this one step; a time loop builds an
    :class:`AdversarialScheme` once and calls its ``step``.
    """
    scheme = AdversarialScheme(phi_k.function_space, rho0, rho1, eps, p=p, selection=selection,
                               discretization=discretization, method=method, solver=solver, boundary=boundary)
    return scheme.step(phi_k, tau, displacement_hint=displacement_hint)


class _Distances:
    r""":math:`d = |\mathrm{sd}_k|` at the vertices, measured out to a cutoff and extended on demand.

    ``upto(c)`` returns d clipped at a cutoff ≥ c: exact where it is below
    the cutoff, a lower bound where it equals it.  Far vertices are never
    searched unless a caller needs them (the unrestricted problem).
    """

    def __init__(self, x, simplices, times):
        self.x, self.simplices, self.cutoff, self.d, self.times = x, simplices, 0.0, None, times

    def upto(self, c: float) -> np.ndarray:
        if c > self.cutoff:
            with self.times("distances"):
                self.d = distance_to_simplices(self.x, self.simplices, None if np.isinf(c) else c)
            self.cutoff = c
        return self.d

    @property
    def complete(self) -> bool:
        """Whether every distance is known exactly (none is clipped)."""
        return bool(self.d.max() < self.cutoff)


@numba.njit(cache=True)
def _largest_mean_bend(pairs, centres, normal, scale):
    """The largest, over the pieces, mean of |angle between unit normals| / distance over the pairs of
    centres ``scale/2`` to ``scale`` apart (0 without such pairs).  By hand in numba: the same numpy
    expression made half a dozen temporaries of every pair (5.8M pairs, 1.4 s, in a 3D first step
    at 118k vertices); the sums run in the order numpy's ``bincount`` used (first ends, then second)."""
    n, dim = centres.shape
    bend = np.full(pairs.shape[0], -1.0)  # -1: the pair is closer than scale/2
    for p in range(pairs.shape[0]):
        i, j = pairs[p, 0], pairs[p, 1]
        square, dot = 0.0, 0.0
        for a in range(dim):
            square += (centres[i, a] - centres[j, a]) ** 2
            dot += normal[i, a] * normal[j, a]
        sep = np.sqrt(square)
        if sep >= scale / 2:
            bend[p] = np.arccos(min(max(abs(dot), 0.0), 1.0)) / sep
    total = np.zeros(n)
    count = np.zeros(n, np.int64)
    for side in range(2):
        for p in range(pairs.shape[0]):
            if bend[p] >= 0:
                total[pairs[p, side]] += bend[p]
                count[pairs[p, side]] += 1
    largest = 0.0
    for v in range(n):
        if count[v] > 0:
            largest = max(largest, total[v] / count[v])
    return largest


def _displacement_estimate(simplices, x, rho, tau, scale) -> float:
    r"""τ·max|V| estimated from the interface pieces, :math:`V = -\kappa - \partial_\nu \log\rho` (the limit flow).

    κ: for every pair of pieces whose centres are ``scale/2`` to ``scale``
    apart, the angle between their normals over the distance of the centres
    (a normal curvature); each piece gets the mean over its pairs, and
    :math:`|\kappa| \le (d-1)\max`.  :math:`|\nabla\log\rho|`: the largest
    difference quotient of log ρ between the 2d+1 vertices nearest to a piece
    centre.  Capped at the diameter of the interface (a shrinking set
    vanishes first).  Only sets the first band (a guess: the band is checked
    after the solve as before); the pieces are sorted first, so 1 and N
    ranks give the same number.  0 where the pieces are not segments in 2D or
    triangles in 3D.
    """
    n, k, gdim = simplices.shape
    if n < 2 or k != gdim or gdim not in (2, 3):
        return 0.0
    simplices = simplices[np.lexsort(simplices.reshape(n, -1).T[::-1])]
    centres = simplices.mean(axis=1)
    edges = simplices[:, 1:] - simplices[:, :1]
    normal = np.stack([-edges[:, 0, 1], edges[:, 0, 0]], axis=1) if gdim == 2 else np.cross(edges[:, 0], edges[:, 1])
    length = np.linalg.norm(normal, axis=1)
    ok = length > 0
    centres, normal = centres[ok], normal[ok] / length[ok, None]
    pairs = cKDTree(centres).query_pairs(scale, output_type="ndarray")
    kappa = (gdim - 1) * _largest_mean_bend(pairs, centres, normal, scale)
    _, near = cKDTree(x).query(centres, k=2 * gdim + 1)
    i, j = np.triu_indices(near.shape[1], 1)
    a, b = near[:, i].ravel(), near[:, j].ravel()
    grad = np.abs(np.log(rho[a]) - np.log(rho[b])) / np.linalg.norm(x[a] - x[b], axis=1)
    diameter = float(np.linalg.norm(centres.max(axis=0) - centres.min(axis=0)))
    return min(tau * (kappa + float(grad.max())), diameter)


def _trivial_set_is_better(u, chi, w_all, per, whole: bool) -> bool:
    r"""Whether ∅ (or, with ``whole``, Ω) has lower step energy than the vertex set ``u``.

    E(∅) = Σ_{χ} w and E(Ω) = Σ_{not χ} w (Per_ε(∅) = Per_ε(Ω) = 0), with
    w = m ρ d^p / τ; E(u) = Σ_{u ≠ χ} w + Per_ε(u), ``per`` = Per_ε(u).
    Weights that are lower bounds (w ≠ w_all only off u ≠ χ) make this a
    necessary condition.  Ω is a candidate only in the Neumann problem (with
    the window, the layer along ∂Ω is held outside every set).
    """
    energy = np.sum(w_all[u != chi]) + per
    best = min(np.sum(w_all[chi]), np.sum(w_all[~chi])) if whole else np.sum(w_all[chi])
    return best < energy * (1 - 1e-12)


def _band_perimeter_change(x, c0, c1, chi, u, sub, terms, mixture) -> float:
    r"""Per_ε(u) − Per_ε(χ) for a band solution, from the band and its collar ``sub`` only.

    ``sub`` = {d ≤ W + 2R}, ``terms`` = {d ≤ W + R} (all vertices), R the
    reach of the neighbourhood.  Exact on any mesh: u = χ off {d ≤ W} and d
    is 1-Lipschitz, so a vertex with d > W + R has u = χ on its whole
    neighbourhood (its term does not change), and the neighbourhood of a
    vertex in ``terms`` lies in ``sub``.  Only the terms within R of a
    vertex that changed side can change: they are summed, over the points
    within 2R of one (their neighbourhoods).
    """
    xs, us, chis = x[sub], u[sub], chi[sub]
    changed = us != chis
    if not changed.any():
        return 0.0
    reach = mixture.closed_radii[-1]
    near, _ = cKDTree(xs[changed]).query(xs, k=1, distance_upper_bound=2 * reach, workers=num_threads())
    keep = near <= 2 * reach
    count = terms[sub][keep] & (near[keep] <= reach)
    c0t, c1t, xk = np.where(count, c0[sub][keep], 0.0), np.where(count, c1[sub][keep], 0.0), xs[keep]
    return (vertex_perimeter(xk, us[keep], c0t, c1t, mixture)
            - vertex_perimeter(xk, chis[keep], c0t, c1t, mixture))


def _subvertex_values(x, m, sub, cut, u, r_all, h, times):
    r"""φ = −w with w the exact solution of the convex problem on the layer near the new boundary (module
    docstring); returns ``(values, seconds, info)``, ``info`` that of :meth:`CutProblem.breakpoints`;
    ``times`` gets the parts ``layer`` and ``smoothing``; the layer's problem reads the main cut's
    cover cache, if it has one, without changing it."""
    t0 = time.perf_counter()
    delta = h / _NUM_THRESHOLDS
    usub, m_sub = u[sub], m[sub]
    layer = cut.free & (distance_to_other_phase(x[sub], usub, 2 * h) <= 2 * h)
    far = (_NUM_THRESHOLDS + 1) * delta
    w = np.where(usub, far, -far)
    info = {"certified": True, "rounds": 0, "fallbacks": 0}
    if layer.any():
        # Only the points within 2R of the layer enter (R the reach): a term farther than R from every
        # layer point is a constant of the threshold problems, and the balls of the others lie within 2R.
        reach = cut.mixture.closed_radii[-1]
        near, _ = cKDTree(cut.x[layer]).query(cut.x, k=1, distance_upper_bound=2 * reach, workers=num_threads())
        pts = np.flatnonzero(near <= 2 * reach)
        thr = CutProblem(cut.x[pts], cut.mixture, layer[pts], cut.chi[pts], cut.w[pts], cut.c0[pts], cut.c1[pts],
                         cut.terms[pts] & (near[pts] <= reach), fixed=usub[pts], method=cut.method,
                         solver=cut.solver, covers=None if cut.covers is None else (cut.covers[0], cut.covers[1][pts]),
                         keep_covers=False)
        # w resolved on (-h, h) (as the sixteen threshold cuts at +-j h/8 resolved it before), +-far beyond
        beta, info = thr.breakpoints(r_all[sub][pts], h)
        w[pts] = np.where(layer[pts], np.where(np.abs(beta) < h, beta, np.sign(beta) * far), w[pts])
        times["layer"] = times.get("layer", 0.0) + time.perf_counter() - t0
        with times("smoothing"):
            w = _smoothed(x[sub], m_sub, w, layer & (np.abs(w) < far), usub, _SMOOTHING_RADIUS * h, delta / 8)
    values = np.where(u, -far, far)
    values[sub] = -w
    return values, time.perf_counter() - t0, info


def _volume_preserving_shift(m, w, avg, width):
    r"""The constant c with :math:`\sum_i m_i H(\bar w_i + c) = \sum_i m_i H(w_i)`, H(w) = clip(1/2 + w/(2·width), 0, 1).

    With |∇w| ≈ 1, :math:`\sum_i m_i H(w_i)` is the volume of {w > 0} up to
    O(width²) terms that cancel between w and its average :math:`\bar w`:
    the shift keeps the volume of the set (bisection; H is monotone).
    """
    def excess(c):
        return float(np.sum(m * (np.clip(0.5 + (avg + c) / (2 * width), 0, 1)
                                 - np.clip(0.5 + w / (2 * width), 0, 1))))

    lo, hi = -width, width
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if excess(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def _smoothed(x, m, w, resolved, inside, radius, floor):
    r"""w averaged near the boundary (Gaussian weights), signs kept.

    Each resolved vertex i gets :math:`\sum_j g_{ij} w_j / \sum_j g_{ij}` over
    all j with :math:`|x_j - x_i| \le` ``radius``,
    :math:`g_{ij} = \exp(-(|x_j - x_i| / 0.6\,\mathrm{radius})^2)`, then at
    least ``floor`` in magnitude with the sign of its side (``inside``: w > 0),
    so that the vertex set stays the exact minimizer.  The average keeps a
    linear w (w ≈ −sd) and removes the lattice-scale scatter of the
    threshold estimates, whose zero level would otherwise be rough at the
    scale of a cell: the next step's distances to a rough boundary are biased
    low, and the scheme then moves 2–3 % too fast per step (measured on a
    disc at ε/h = 4; with the average, within 0.5 %).
    """
    idx = np.flatnonzero(resolved)
    if idx.size == 0:
        return w
    tree = cKDTree(x)
    nbrs = tree.query_ball_point(x[idx], radius)
    avg = np.empty(idx.size)
    for q, (i, js) in enumerate(zip(idx, nbrs)):
        js = np.asarray(js)
        g = np.exp(-(np.linalg.norm(x[js] - x[i], axis=1) / (0.6 * radius)) ** 2)
        avg[q] = g @ w[js] / g.sum()
    avg += _volume_preserving_shift(m[idx], w[idx], avg, radius / 2)
    out = w.copy()
    out[idx] = np.where(inside[idx], np.maximum(avg, floor), np.minimum(avg, -floor))
    return out
