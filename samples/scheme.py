r"""The adversarial scheme with the empirical class measures of labelled points.

The data :math:`(x_s, y_s, w_s)` replace the class densities:
:math:`\rho_0\,dx \to \hat\rho_0 = \sum_{y_s = 0} w_s\delta_{x_s}` and
:math:`\rho_1\,dx \to \hat\rho_1 = \sum_{y_s=1} w_s \delta_{x_s}`.  The
classifier lives on the mesh as for the density scheme (:mod:`advmcf.nonlocal_.step`):
a vertex set :math:`u \in \{0, 1\}^N`, :math:`\chi = 1_{A_k}`,
:math:`d_i` the distance from vertex i to the interface of :math:`A_k`.
Each sample has an *own vertex* :math:`o(s)`, the vertex nearest to it,
whose value is its label under u.  One step minimises

.. math::
    E(u) = \frac{1}{\tau} \sum_i M_i\, d_i^p\, |u_i - \chi_i|
    + \frac{1}{\varepsilon} \sum_s w_s \sum_k \omega_k \Big(
        [y_s = 0]\big(\max_{B_k(x_s)} u - u_{o(s)}\big)
      + [y_s = 1]\big(u_{o(s)} - \min_{B_k(x_s)} u\big)\Big),
    \qquad M_i = \sum_{o(s) = i} w_s,

:math:`B_k(x_s)` the mesh vertices within :math:`r_k` of the sample (the
balls of a :class:`~advmcf.nonlocal_.mixture.BallMixture`, weights
:math:`\omega_k`): each sample contributes one max (class 0) or min
(class 1) term over the vertices near *it*, so E is still a sum of
max/min terms with nonnegative weights and one step is one exact min-cut
(:class:`advmcf.nonlocal_.mincut.CutProblem` with terms centred at the
samples), minimal or maximal minimizer, certified.  The second sum is the
empirical :math:`\mathrm{Per}_\varepsilon`, and
:math:`\hat R(u) + \varepsilon\,\mathrm{Per}_\varepsilon(u)` with
:math:`\hat R(u) = \sum_{y_s=0} w_s u_{o(s)} + \sum_{y_s=1} w_s (1 - u_{o(s)})`
is the empirical adversarial risk of the vertex set (the identity of the
theory, term by term).

**Fidelity and regions without samples** (a choice, and why).  The
fidelity is the empirical measure moved to the own vertices (:math:`M_i`):
it is what the data say, and it keeps the identity above exact.  The price
is that E does not see a vertex that owns no sample and lies in no
sample's ball: there the data say nothing about the classifier, and the
step keeps the previous side (those vertices are fixed, which selects
among the minimizers the one that agrees with :math:`A_k` where nothing is
known; the scheme then moves the boundary only through data).  A kernel
density estimate would make the fidelity positive everywhere, but it adds a
bandwidth and replaces the data by a smoothed measure; inside the data the
minimal/maximal selection decides the vertices the energy leaves free.

**Atoms.**  A sample is an atom of the measure: a class-0 sample within ε
of the new set saves its whole term :math:`w_s/\varepsilon` when its own
vertex joins the set, at the price of its fidelity :math:`w_s d/\tau` and
of the terms of the class-0 samples within ε of that vertex that did not
see the set before.  Where samples are sparse nothing else pays, and the
step takes such vertices in alone (islands of one vertex around class-0
samples near the boundary, and holes around class-1 samples); with many
samples per ε-ball the neighbours' terms forbid it, as the densities do.
This is the empirical energy's, not the discretization's: ε must be large
against the sample spacing.

**Equal to the density scheme on the vertices.**  With one sample of each
class at every vertex, weights :math:`m_i\rho_0(x_i)` and
:math:`m_i\rho_1(x_i)`, E is the density scheme's energy (the own vertex is
the vertex, the balls are the vertex balls), so the same mixture gives the
same vertex sets (tested).

**Discretization.**  The balls about the samples are the plain ball of
radius ε by default (the mixture fitted by :mod:`advmcf.nonlocal_.mixture`
fits vertex-centred balls; about a random centre the vertex ball of
radius ε reaches 0.948 ε on average over directions on the crossed mesh at
ε/h = 4, 0.979 ε at ε/h = 8: Per_ε is that much short, and converges as
h/ε → 0); any :class:`~advmcf.nonlocal_.mixture.BallMixture` may be given.

**New level set.**  The new set is a vertex set; the returned
:math:`\varphi_{k+1}` is half the distance to the nearest vertex of the
other side (negative inside), whose zero level passes midway between
vertices of different sides.  No sub-vertex reconstruction (the density
scheme's threshold cuts need a fidelity weight at every vertex, which the
empirical measure does not give).  A step from the empty set or the whole
domain keeps it (there is no interface to measure distances from).

**MPI.**  Vertex data and samples live on rank 0
(:class:`advmcf.nonlocal_.Vertices`), which solves; the set is scattered.  1
and N ranks give the same sets.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from dolfinx import fem
from scipy.spatial import cKDTree

from advmcf.meshes import checks
from advmcf.meshes.distance import distance_to_simplices
from advmcf.meshes.evolution import Evolution, check_times, time_steps
from advmcf.meshes.interface import interface
from advmcf.meshes.mpi import on_root
from advmcf.meshes.stats import mesh_stats
from advmcf.nonlocal_ import Vertices
from advmcf.nonlocal_.functional import centred_perimeter
from advmcf.nonlocal_.mincut import METHODS, SOLVERS, CutProblem
from advmcf.nonlocal_.mixture import closed_radius
from advmcf.nonlocal_.neighbours import distance_to_other_phase
from advmcf.nonlocal_.perimeter import check_arguments, resolve_mixture

from .points import LabelledPoints

__all__ = ["SampleScheme", "sample_flow", "kernel_classifier", "KERNEL_NEIGHBOURS"]

#: the nearest points that enter the kernel estimates of :func:`kernel_classifier`
KERNEL_NEIGHBOURS = 64

log = logging.getLogger(__name__)


class SampleScheme:
    r"""The scheme with the empirical class measures of ``points`` on one mesh (module docstring; collective).

    Args:
        V: the scalar P1 space of the level sets; its mesh must cover the points (each within
            h_max of a vertex) and have their dimension.
        points: the data.
        eps: the budget ε > 0.
        p: 1 (fidelity weight dist, the paper's scheme) or 0.
        selection: "minimal" or "maximal" minimizer.
        discretization: the balls about the samples, "plain" (default), "isotropic" or a
            ball mixture (:class:`~advmcf.nonlocal_.mixture.BallMixture`).
        method: the graph of the cut, "tree" (default) or "plain" (:mod:`advmcf.nonlocal_.mincut`).
        solver: the max-flow, "pseudoflow" (default), "push-relabel" or "bk".

    Attributes:
        mixture: the balls in use.
        h_max: the mesh's longest edge.
    """

    def __init__(self, V: fem.FunctionSpace, points: LabelledPoints, eps: float, *, p: int = 1,
                 selection: str = "minimal", discretization="plain", method: str = "tree",
                 solver: str = "pseudoflow"):
        checks.choice("p", p, (0, 1))
        checks.choice("selection", selection, ("minimal", "maximal"))
        checks.choice("method", method, METHODS)
        checks.choice("solver", solver, SOLVERS)
        if points.dim != V.mesh.geometry.dim:
            raise ValueError(f"{points.source}: the points are {points.dim}-dimensional, the mesh "
                             f"{V.mesh.geometry.dim}-dimensional")
        self.eps = check_arguments(eps, V.mesh, discretization)
        self.p, self.selection, self.method, self.solver = p, selection, method, solver
        self.points = points
        self.h_max = float(mesh_stats(V.mesh).h_max)
        self.verts = Vertices(V)
        self.mixture = on_root(self.verts.comm, self._prepare, discretization)

    def _prepare(self, discretization):
        """Rank 0: own vertices, fidelity masses, term coefficients, the vertices the energy sees."""
        x, pts = self.verts.x, self.points
        dist, own = cKDTree(x).query(pts.x)
        out = np.flatnonzero(dist > self.h_max * (1 + 1e-9))
        if out.size:
            raise ValueError(f"{pts.source}: {out.size} points lie farther than h_max = {self.h_max:.4g} from every "
                             f"mesh vertex (point {out[0]} at {pts.x[out[0]].tolist()}): the mesh must cover the data")
        mixture = resolve_mixture(self.verts, self.eps, discretization)
        if mixture.radii[0] < self.h_max:
            raise ValueError(f"eps = {self.eps:g}: the smallest ball (radius {mixture.radii[0]:.4g}) must reach a "
                             f"sample's nearest vertex (up to h_max = {self.h_max:.4g} away): take a larger eps or "
                             "a finer mesh")
        self._own = own.astype(np.int64)
        self._c0 = np.where(pts.label == 0, pts.weight, 0.0) / self.eps
        self._c1 = np.where(pts.label == 1, pts.weight, 0.0) / self.eps
        self._mass = np.bincount(self._own, pts.weight, minlength=x.shape[0])
        near, _ = cKDTree(pts.x).query(x, k=1, distance_upper_bound=closed_radius(mixture.reach))
        self._seen = (self._mass > 0) | np.isfinite(near)
        return mixture

    def step(self, phi_k: fem.Function, tau: float):
        r"""One step :math:`A_k \to A_{k+1}` of size τ (module docstring).

        Returns ``(phi, info)``: the P1 level set of :math:`A_{k+1}` and global diagnostics:
        ``risk`` (:math:`\hat R` over the total weight), ``adversarial_risk`` (:math:`\hat R +
        \varepsilon\,\mathrm{Per}_\varepsilon`, same units), ``perimeter_eps``, ``fidelity``,
        ``energy``, ``free_vertices``, ``graph_nodes``, ``graph_edges``, ``certified``, ``gap``,
        ``solve_time``, ``step_time``, ``volume`` (lumped mass of the vertex set), ``empty``.
        """
        tau = checks.positive("tau", tau)
        V = phi_k.function_space
        if V.mesh is not self.verts.V.mesh or V.dofmap.index_map.size_local != self.verts.num_owned:
            raise ValueError("step: phi_k must be a P1 function on the mesh the scheme was built on")
        t0 = time.perf_counter()
        comm = self.verts.comm
        chi_local = phi_k.x.array[: self.verts.num_owned] < 0
        counts = comm.allreduce(np.array([np.count_nonzero(chi_local), chi_local.size]))
        trivial = counts[0] == 0 or counts[0] == counts[1]
        simplices = None if trivial else interface(phi_k).gathered()
        phi_vals = self.verts.gather(phi_k)
        out = [None]

        def work():
            values, info = self._solve_on_root(phi_vals, simplices, tau)
            out[0] = values
            return info

        info = on_root(comm, work)
        phi = self.verts.scatter(out[0] if self.verts.is_root else None, name=phi_k.name)
        info["step_time"] = comm.bcast(time.perf_counter() - t0 if self.verts.is_root else None, root=0)
        return phi, info

    def _solve_on_root(self, phi_vals, simplices, tau):
        x, m, pts = self.verts.x, self.verts.m, self.points
        chi = phi_vals < 0
        info = {"free_vertices": 0, "graph_nodes": 0, "graph_edges": 0, "certified": True, "gap": 0.0,
                "solve_time": 0.0}
        if simplices is None:
            u, weight, values = chi, np.zeros(x.shape[0]), phi_vals.copy()
        else:
            d = distance_to_simplices(x, simplices, None)
            weight = self._mass * (d if self.p == 1 else 1.0) / tau
            cut = CutProblem(x, self.mixture, self._seen, chi, weight, self._c0, self._c1, self._own,
                             centres=pts.x, method=self.method, solver=self.solver)
            u, res = cut.solve(self.selection)
            info.update(free_vertices=int(np.count_nonzero(self._seen)), graph_nodes=res["graph_nodes"],
                        graph_edges=res["graph_edges"], certified=res["certified"], gap=res["gap"],
                        solve_time=res["solve_time"])
            values = np.where(u, -0.5, 0.5) * distance_to_other_phase(x, u, np.inf)
        per = centred_perimeter(x, u, pts.x, self._own, self._c0, self._c1, self.mixture)
        own_in = u[self._own]
        risk = float(np.sum(pts.weight[own_in != (pts.label == 1)]))
        total = pts.total_weight
        info.update(fidelity=float(np.sum(weight[u != chi])), perimeter_eps=per, risk=risk / total,
                    adversarial_risk=(risk + self.eps * per) / total, volume=float(np.sum(m[u])),
                    empty=not bool(u.any()))
        info["energy"] = info["fidelity"] + per
        return values, info


def sample_flow(phi0: fem.Function, points: LabelledPoints, eps: float, T: float, *, tau: float | None = None,
                progress=None, **options) -> Evolution:
    r"""Run :class:`SampleScheme` from :math:`A_0 = \{\varphi_0 < 0\}` to time T in equal steps no longer
    than τ (default τ = ε), keeping every step; ``options`` go to :class:`SampleScheme`.

    Returns an :class:`~advmcf.meshes.evolution.Evolution` (the diagnostics of :meth:`SampleScheme.step`
    plus ``t``, ``tau``); it stops at the first empty set (``extinction_time``).
    """
    tau_, T, _ = check_times(eps if tau is None else tau, T, None)
    scheme = SampleScheme(phi0.function_space, points, eps, **options)
    dt, n = time_steps(0.0, T, tau_)
    phi, times, sets, diagnostics, extinction = phi0, [0.0], [phi0.copy()], [], None
    for k in range(1, n + 1):
        phi, info = scheme.step(phi, dt)
        info.update(t=k * dt if k < n else T, tau=dt)
        diagnostics.append(info)
        times.append(info["t"])
        sets.append(phi.copy())
        log.info("step %d t=%g adversarial risk %.5g certified=%s", k, info["t"], info["adversarial_risk"],
                 info["certified"])
        if progress is not None:
            progress(k, info["t"])
        if info["empty"]:
            extinction = info["t"]
            break
    label = f"samples(n={points.n}, eps={scheme.eps:g}, tau={tau_:g}, p={scheme.p}, {scheme.selection}, " \
            f"{scheme.mixture.name})"
    return Evolution(times, sets, diagnostics, extinction, label)


def kernel_classifier(V: fem.FunctionSpace, points: LabelledPoints, bandwidth: float) -> fem.Function:
    r"""The plug-in classifier of Gaussian kernel estimates of the class measures, as a P1 level set (collective).

    :math:`\varphi = \log\hat\rho_0 - \log\hat\rho_1` at the vertices (clipped to ±30), with
    :math:`\hat\rho_c(x) = \sum_{y_s = c} w_s\,e^{-|x - x_s|^2 / (2 b^2)}` over the
    :data:`KERNEL_NEIGHBOURS` points nearest to x (b = ``bandwidth``), so that
    :math:`\{\varphi < 0\}` is where class 1 weighs more: the empirical counterpart of the Bayes set
    :math:`\{\rho_1 > \rho_0\}` (:meth:`advmcf.validation.class_densities.Density.log_ratio`), a
    start for the scheme.  Far from the data the nearest points decide (the sums are taken in
    log space, so they never underflow to a tie).
    """
    b = checks.positive("bandwidth", bandwidth)
    verts = Vertices(V)

    def values():
        k = min(KERNEL_NEIGHBOURS, points.n)
        d, j = cKDTree(points.x).query(verts.x, k=k)
        d, j = d.reshape(verts.x.shape[0], k), j.reshape(verts.x.shape[0], k)
        logk = np.log(points.weight[j]) - 0.5 * (d / b) ** 2
        with np.errstate(divide="ignore"):  # a class missing among the neighbours: log 0 = -inf
            log_rho = [np.logaddexp.reduce(np.where(points.label[j] == c, logk, -np.inf), axis=1) for c in (0, 1)]
            return np.clip(np.nan_to_num(log_rho[0] - log_rho[1], nan=0.0), -30.0, 30.0)

    return verts.scatter(on_root(verts.comm, values, broadcast=False), name="phi")
