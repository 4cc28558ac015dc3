r"""Weighted mean curvature flow as the sharp-interface limit of a weighted Allen–Cahn equation.

Conventions: :mod:`advmcf.meshes` (A = {φ < 0}, ν outward, V > 0 outward).  The
phase field u ≈ 1 in A, ≈ 0 outside, solves

.. math::  \rho\,u_t = \mathrm{div}(\rho\nabla u) - \rho\,\frac{W'(u)}{\delta^2},
           \qquad W(u) = 2u^2(1-u)^2,

with natural boundary conditions: the :math:`L^2(\rho)` gradient flow of
:math:`\int\rho\,(|\nabla u|^2/2 + W(u)/\delta^2)`.  The set is
:math:`\{u > 1/2\}`; the returned P1 level set is φ = 1/2 − u.

**Sharp-interface limit** (matched asymptotics).  Near ∂A write
u = q(d/δ) + δ u₁ + …, d the signed distance (negative in A, ∇d = ν,
Δd = κ, :math:`d_t = -V`).  Then :math:`u_t = -Vq'/\delta`,
:math:`\Delta u = q''/\delta^2 + \kappa q'/\delta` and
:math:`\nabla\log\rho\cdot\nabla u = \partial_\nu\log\rho\,q'/\delta`.  Order
δ⁻²: :math:`q'' = W'(q)`, whose solution from 1 to 0 is the optimal profile
:math:`q(z) = (1 - \tanh z)/2` (:math:`q' = -\sqrt{2W(q)}`).  Order δ⁻¹:
:math:`\mathcal L u_1 := u_1'' - W''(q)u_1 = -(V + \kappa + \partial_\nu\log\rho)\,q'`;
:math:`\mathcal L` is self-adjoint with kernel q', so the right-hand side
is orthogonal to q', and since :math:`\int q'^2 > 0` this forces
:math:`V = -\kappa - \partial_\nu\log\rho`, with unit mobility whatever W.
The energy :math:`\int\rho(\delta|\nabla u|^2/2 + W(u)/\delta)\,dx` tends to
:math:`\sigma\int_{\partial A}\rho\,dH` with
:math:`\sigma = \int q'^2\,dz = 1/3`.

**Scheme** (linear, one SPD solve per step, a vertex-wise stabilization
in the spirit of Shen & Yang, DCDS-A 28 (2010)).  P1 elements, lumped
ρ-weighted mass :math:`M = \mathrm{diag}(m_i)`, :math:`m_i = \int\rho_h\psi_i`,
stiffness :math:`K_{ij} = \int\rho_h\nabla\psi_i\cdot\nabla\psi_j` (ρ_h the P1
interpolant of ρ), and, vertex by vertex,

.. math::  m_i\Big(\frac1\tau + \frac{S_i}{\delta^2}\Big)(u^{n+1}_i - u^n_i) + (K u^{n+1})_i
           = -\frac{m_i}{\delta^2}\,\tilde W'(u^n_i),
           \qquad S_i = \max\Big(\tilde W''(u^n_i),\ \frac L2 - \frac{\delta^2}{\tau}\Big),

where :math:`\tilde W` is W on [0, 1] continued by the quadratics
:math:`2u^2` (u < 0) and :math:`2(1-u)^2` (u > 1), so that
:math:`\tilde W'' \le L = 4` everywhere.  For τ ≤ δ²/4 the second term of
the max is below min W̃'' = −2 and :math:`S_i = \tilde W''(u^n_i)`: the
well is linearized at :math:`u^n` (one Newton step of implicit Euler).
**Energy decrease**, for every τ: testing with :math:`u^{n+1} - u^n` and
using :math:`\tilde W(b) - \tilde W(a) \le \tilde W'(a)(b-a) + \frac L2(b-a)^2`
gives, for the discrete energy
:math:`E_h(u) = \frac12 u^TKu + \frac1{\delta^2}\sum_i m_i\tilde W(u_i)`,

.. math::  E_h(u^{n+1}) - E_h(u^n) \le -\frac12|u^{n+1}-u^n|_K^2
           - \sum_i m_i\Big(\frac1\tau + \frac{S_i - L/2}{\delta^2}\Big)(u^{n+1}_i-u^n_i)^2 \le 0,

since :math:`1/\tau + (S_i - L/2)/\delta^2 \ge 0` by the choice of S_i; the
matrix :math:`K + \mathrm{diag}(m_i(1/\tau + S_i/\delta^2))` is SPD
(:math:`1/\tau + S_i/\delta^2 \ge L/(2\delta^2)`).  The diagnostics report
:math:`3\delta E_h(u)`, which tends to the weighted perimeter
:math:`\int_{\partial A}\rho\,dH`.

**Accuracy.**  A constant stabilization S makes the step of size τ the
unstabilized one of size :math:`\tau/(1 + S\tau/\delta^2)`: the front moves
slower by that factor (with S = 2: radius error 2.9e-2 at τ = δ²/10 on the
constant disc, n = 128, δ = 2h), and the explicit well alone slows it by
:math:`1/(1 + 0.8\tau/\delta^2)` (0.8 = −∫W''(q)q'²/∫q'²; measured 1.1e-2 at
τ = δ²/10).  With the linearized well the first-order term cancels: 1.7e-3
at τ = δ²/4 and δ²/10 alike.  What remains is the O(δ²) sharp-interface
error (−0.29δ² in radius on that disc) and the error of the discrete
profile, which depends on δ/h only (about +2e-3 at δ = 2h, +4e-4 at δ = 4h,
+1.5e-2 at δ = h): along δ ∝ h the error stalls, along δ ∝ √h (τ ∝ h) it
falls at order 1.  The default δ = 4h is the resolved ratio; the validation
tables report δ/h and τ/δ².

The initial phase field is :math:`u_0 = q(d_0/\delta)`, d₀ the exact signed
distance to the P1 interface of φ₀ (:func:`advmcf.meshes.distance.signed_distance`).
Each step changes only the diagonal of the matrix; the options prefix is
``allen_cahn_``.  The default solver is CG + Jacobi where the system is
mass-dominated (τ max K_ii/m_i ≤ 100: the default path δ = 4h, τ = δ²/4),
else CG + GAMG built once per step size on a fixed SPD P (see
:class:`AllenCahnStepper`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from dolfinx import fem
from petsc4py import PETSc

from advmcf.fem_mcf._flow import check_flow_args, max_cell_diameter
from advmcf.fem_mcf._petsc import PREFIXES, check_converged, create_ksp
from advmcf.fem_mcf.thresholding import weighted_operators
from advmcf.meshes import checks
from advmcf.meshes.densities import density_values
from advmcf.meshes.distance import signed_distance
from advmcf.meshes.evolution import Evolution, run_flow
from advmcf.meshes.sets import vertex_coordinates

__all__ = ["allen_cahn_flow", "AllenCahnStepper", "double_well", "optimal_profile"]

#: L = max W''(u) of the continued double well (the scheme's S = max(0, L/2 - δ²/τ)).
WELL_CURVATURE = 4.0
#: Allen–Cahn uses CG + Jacobi by default when τ max K_ii/m_i is at most this (see AllenCahnStepper._default_pc).
JACOBI_RATIO = 100.0
#: σ = ∫ q'² dz for W(u) = 2u²(1-u)²: the energy per unit (weighted) interface measure.
SIGMA = 1.0 / 3.0


def optimal_profile(z):
    """q(z) = (1 - tanh z)/2: 1 inside (z → -∞), 0 outside."""
    return 0.5 * (1.0 - np.tanh(z))


def double_well(u, derivative: int = 0):
    r""":math:`\tilde W` (derivative 0, 1 or 2 of it): 2u²(1-u)² on [0, 1], 2u² below, 2(1-u)² above."""
    u = np.asarray(u, dtype=float)
    inside = (u >= 0) & (u <= 1)
    if derivative == 2:
        return np.where(inside, 4 - 24 * u * (1 - u), 4.0)
    if derivative == 1:
        return np.where(inside, 4 * u * (1 - u) * (1 - 2 * u), np.where(u < 0, 4 * u, 4 * (u - 1)))
    return np.where(inside, 2 * u**2 * (1 - u) ** 2, np.where(u < 0, 2 * u**2, 2 * (u - 1) ** 2))


class AllenCahnStepper:
    """Steps of the stabilized scheme (:mod:`advmcf.fem_mcf.allen_cahn`) on the mesh of ``phi0``, set up once.

    Args:
        phi0: the initial P1 level-set function; u₀ = q(d₀/δ).
        rho: the density callable (its P1 interpolant ρ_h is used).
        delta: the interface width δ > 0.
        petsc_options: KSP options on top of the defaults (prefix ``allen_cahn_``).
    """

    def __init__(self, phi0: fem.Function, rho: Callable, delta: float, petsc_options: dict | None = None):
        V = self.space = phi0.function_space
        self.delta = delta
        # the profile q(d/δ) differs from 0 by 3e-4 at d = 4δ: ∂Ω acts within that (and two cells)
        self.boundary_reach = 2 * max_cell_diameter(V.mesh) + 4 * delta
        self.rho_h = fem.Function(V, name="rho")
        self.rho_h.x.array[:] = np.asarray(rho(vertex_coordinates(V).T), dtype=float)
        self.mass, self.K = weighted_operators(V, self.rho_h)
        self.A = self.K.duplicate(copy=True)
        self.P = self.K.duplicate(copy=True)
        self.K_diagonal = self.K.getDiagonal()
        prefix = PREFIXES["allen_cahn"]
        self._choose_pc = "pc_type" not in (petsc_options or {}) and not PETSc.Options().hasName(prefix + "pc_type")
        self.ksp = create_ksp(self.A, prefix, {"pc_use_amat": False, **(petsc_options or {})})
        self.ksp.setOperators(self.A, self.P)
        self.u = fem.Function(V, name="u")
        # beyond 10 delta, q differs from 0 or 1 by less than 2e-9: distances are not needed there
        self.u.x.array[:] = optimal_profile(signed_distance(phi0, cutoff=10 * delta).x.array / delta)
        self.level_set = fem.Function(V, name="phi")
        self.level_set.x.array[:] = 0.5 - self.u.x.array
        self.b, self.x, self.Ku = self.A.createVecRight(), self.A.createVecRight(), self.A.createVecRight()
        self.label = f"Allen-Cahn, delta={delta:.3g}"
        self._dt = None

    def _set_preconditioner(self, dt: float) -> None:
        r"""P := K + diag(m (1/τ + L/δ²)): A where u is 0 or 1 (:math:`\tilde W'' = L` there), SPD,
        and A ≤ P ≤ A + 6/δ² M near the front only.  GAMG is built on P once per step size and
        smooths with P (``pc_use_amat`` false), so it stays SPD while A changes."""
        self.K.copy(self.P, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)
        self.mass.copy(self.b)
        self.b.scale(1.0 / dt + WELL_CURVATURE / self.delta**2)
        self.P.setDiagonal(self.b, addv=PETSc.InsertMode.ADD_VALUES)
        self._dt = dt
        if self._choose_pc:
            self._default_pc(dt)

    def _default_pc(self, dt: float) -> None:
        r"""CG + Jacobi when the system is mass-dominated, else CG + GAMG (unless the user chose).

        With :math:`r = \tau\max_i K_{ii}/m_i`, Gershgorin bounds the condition number of the
        Jacobi-scaled A by 2(1 + 2r) (τ ≤ δ²/4); for r ≤ 100 Jacobi–CG needs a few dozen
        iterations, independent of h along δ ∝ h, τ ∝ δ² (46–58 measured at δ = 4h, τ = δ²/4,
        r = 48 on crossed meshes, 4k–131k vertices), and is faster than GAMG there
        (benchmarks/fem_mcf_step.py).  For larger steps GAMG on P is used."""
        ratio = self.K_diagonal.copy()
        ratio.pointwiseDivide(self.K_diagonal, self.mass)
        r = dt * ratio.max()[1]
        ratio.destroy()
        jacobi = r <= JACOBI_RATIO
        self.ksp.getPC().setType("jacobi" if jacobi else "gamg")
        self.ksp.setOperators(self.A, self.A if jacobi else self.P)

    def _set_matrix(self, dt: float) -> np.ndarray:
        r"""A := K + diag(d), :math:`d_i = m_i(1/\tau + S_i/\delta^2)`,
        :math:`S_i = \max(\tilde W''(u^n_i), L/2 - \delta^2/\tau)`; returns d (owned)."""
        n = len(self.mass.array_r)
        S = np.maximum(double_well(self.u.x.array[:n], 2), WELL_CURVATURE / 2 - self.delta**2 / dt)
        d = self.mass.array_r * (1.0 / dt + S / self.delta**2)
        self.b.array_w[:] = self.K_diagonal.array_r + d
        self.A.setDiagonal(self.b, addv=PETSc.InsertMode.INSERT_VALUES)
        return d

    def energy(self) -> float:
        r""":math:`3\delta E_h(u)`, the normalised Ginzburg–Landau energy (global)."""
        x = self.u.x.petsc_vec
        self.K.mult(x, self.Ku)
        n = len(x.array_r)
        local = float(np.dot(self.mass.array_r, double_well(self.u.x.array[:n])))
        wells = self.mass.comm.tompi4py().allreduce(local)
        return (0.5 * x.dot(self.Ku) + wells / self.delta**2) * self.delta / SIGMA

    def current_set(self) -> fem.Function:
        """The P1 level set φ = 1/2 − u of the current set."""
        return self.level_set

    def start(self, dt: float) -> dict:
        return {"ksp_its": 0, "energy": self.energy()}

    def step(self, dt: float) -> dict:
        u = self.u.x.petsc_vec
        n = len(u.array_r)
        if dt != self._dt:
            self._set_preconditioner(dt)
        d = self._set_matrix(dt)
        self.b.array_w[:] = d * u.array_r - self.mass.array_r * double_well(
            self.u.x.array[:n], 1) / self.delta**2
        u.copy(self.x)
        self.ksp.solve(self.b, self.x)
        its = check_converged(self.ksp, "allen_cahn_flow")
        self.x.copy(u)
        self.u.x.scatter_forward()
        self.level_set.x.array[:] = 0.5 - self.u.x.array
        return {"ksp_its": its, "energy": self.energy()}

    def close(self) -> None:
        """Free the PETSc objects."""
        for obj in (self.ksp, self.A, self.P, self.K, self.K_diagonal, self.mass, self.b, self.x, self.Ku):
            obj.destroy()


def allen_cahn_flow(phi0: fem.Function, rho: Callable, tau: float, T: float, *, delta: float | None = None,
                    output_times: Sequence[float] | None = None, petsc_options: dict | None = None,
                    vtx_path=None, progress: Callable[[int, float], None] | None = None) -> Evolution:
    r"""Weighted mean curvature flow :math:`V = -\kappa - \partial_\nu\log\rho` of {phi0 < 0} by Allen–Cahn.

    The equation, its sharp-interface limit, the scheme and its energy
    decrease: :mod:`advmcf.fem_mcf.allen_cahn`.

    Args:
        phi0: scalar P1 function; the initial set is {phi0 < 0}.
        rho: density callable, positive (checked at the mesh vertices).
        tau: the time step > 0.  For τ ≤ δ²/4 the well is linearized at uⁿ and the front's speed
            has no first-order error in τ/δ² (module docstring: 1.7e-3 in radius at τ = δ²/4 and
            δ²/10 alike); a larger step stays energy-stable through the stabilization S_i, which
            slows the front by about 1/(1 + (S_i − W̃'')τ/δ²).
        T: final time > 0.
        delta: the interface width δ > 0; ``None`` means 4h (resolved: the profile spans
            about 8 cells; δ = 2h is measurably pinned), h the largest
            cell diameter.
        output_times: increasing times in [0, T]; ``None`` means ``[0, T]``.
        petsc_options: KSP options; run-time options with the prefix
            ``allen_cahn_`` win.
        vtx_path: if given, write φ = 1/2 − u at the output times to this VTX (.bp) file.
        progress: optional ``progress(step, t)`` called after every step.

    Returns:
        :class:`advmcf.meshes.evolution.Evolution` of the sets {u > 1/2} (φ = 1/2 − u).
        Its diagnostics and extinction rule are those of every scheme
        (:mod:`advmcf.meshes.evolution`), with ``ksp_its`` and ``energy``
        (:math:`3\delta E_h(u)`, non-increasing).
    """
    times = check_flow_args(phi0, tau, T, output_times)
    msh = phi0.function_space.mesh
    if delta is None:
        delta = 4 * max_cell_diameter(msh)
    delta = checks.positive("delta", delta)
    density_values("rho", rho, msh.geometry.x.T, msh.comm)
    stepper = AllenCahnStepper(phi0, rho, delta, petsc_options)
    return run_flow(stepper, times, tau, rho=rho, vtx_path=vtx_path, progress=progress)
