r"""Weighted mean curvature flow by thresholding (Merriman–Bence–Osher, Esedoḡlu–Otto).

Conventions: :mod:`advmcf.meshes` (A = {φ < 0}, ν outward, V > 0 outward).  The
weighted heat operator

.. math::  L u = \frac1\rho\,\mathrm{div}(\rho\nabla u) = \Delta u + \nabla\log\rho\cdot\nabla u

(natural boundary conditions) moves the level sets of a diffused indicator
with :math:`V = -\kappa - \partial_\nu\log\rho`, the flow of :mod:`advmcf.fem_mcf`.
One step of size τ:

1. :math:`\chi_k` = the mass-lumped projection of :math:`1_{A_k}`:
   :math:`\chi_i = \int_{A_k}\rho_h\psi_i\,dx / m_i`,
   :math:`m_i = \int\rho_h\psi_i\,dx`, integrated exactly on cut cells
   (:func:`advmcf.meshes.measures.indicator_load`), so the position of ∂A_k inside
   a cell is kept;
2. :math:`u = S_\tau\chi_k` with :math:`S_\tau = ((M + sK)^{-1}M)^m`: m implicit
   Euler substeps of size :math:`s = \tau/(m - \tfrac12)` of
   :math:`\rho u_t = \mathrm{div}(\rho\nabla u)`, with the lumped ρ-weighted
   mass :math:`M = \mathrm{diag}(m_i)` and the ρ-weighted stiffness
   :math:`K_{ij} = \int\rho_h\nabla\psi_i\cdot\nabla\psi_j`, ρ_h the P1
   interpolant of ρ;
3. :math:`A_{k+1} = \{I_h u > 1/2\}`: the returned P1 level set is
   :math:`\varphi = 1/2 - u`, whose zero level set lies between vertices.

**Why the substep is τ/(m − ½), not τ/m.**  The m-fold resolvent
:math:`(I - sL)^{-m} = \int_0^\infty \frac{r^{m-1}e^{-r}}{(m-1)!} e^{r s L}\,dr`
is a Gamma(m)-mixture of heat semigroups.  Thresholding a heat kernel of
time t at 1/2 moves a smooth interface by :math:`-t(\kappa + \partial_\nu\log\rho)`
to leading order, and its density at the interface scales as
:math:`t^{-1/2}`; the threshold of the mixture therefore moves by
:math:`-s\,\frac{E[r^{1/2}]}{E[r^{-1/2}]}(\kappa + \partial_\nu\log\rho)
= -s\,(m - \tfrac12)(\kappa + \partial_\nu\log\rho)`.  With s = τ/m a single
implicit Euler step would move interfaces at half the speed; with
s = τ/(m − ½) every m gives the right velocity, and m only changes the
higher-order terms.  For m = 1 those are large (the next term involves
:math:`E[r^{-3/2}]`, infinite for the exponential mixture): on the constant
disc (R0 = 0.5, T = 0.05, τ = 0.005, n = 256) the radius error is −1.2e-2 for
m = 1, −2.4e-3 for m = 2, −1.6e-3 for m = 4 and −1.3e-3 for m = 16, the
thresholding limit; the default is m = 2.  The scheme is first order in τ
(with h/√τ → 0): −5.1e-3, −2.4e-3, −1.2e-3 at τ = 0.01, 0.005, 0.0025.

**Energy** (Esedoḡlu–Otto): the step minimizes the linearization at
:math:`\chi_k` of the concave heat-content energy

.. math::  E_\tau(\chi) = \frac{1}{c\sqrt\tau}\,(1-\chi)^T M S_\tau\chi,

(MS_τ is symmetric positive definite, so E_τ is concave).  Its gradient
at χ_k is :math:`(1 - 2u_i)m_i/(c\sqrt\tau)`, and the gradient's pairing with
a projected set A is :math:`\int_A\rho_h(1 - 2I_h u)/(c\sqrt\tau)`, which
:math:`A_{k+1} = \{I_h u > 1/2\}` minimizes over all sets A; by concavity
:math:`E_\tau(\chi_{k+1}) \le E_\tau(\chi_k)` exactly (to solver
tolerance), at any h and τ.  The constant
:math:`c = E|Z|/(2\sqrt\tau)`, Z a sum of m Laplace variables of scale
√s, i.e. :math:`c = m\,\Gamma(m+\frac12)/(\sqrt{\pi(m-\frac12)}\,\Gamma(m+1))` (1/√2 for m = 1, → 1/√π),
makes :math:`E_\tau(1_A) \to \int_{\partial A}\rho\,dH` for a flat interface
as τ → 0 with h ≪ √τ, so it is comparable with the perimeter diagnostic.

**Comparison principle.**  The projection is monotone in the set and the
threshold is monotone; the heat step is monotone when :math:`M + sK` is an
M-matrix, i.e. when :math:`K_{ij} \le 0` for i ≠ j: lumped mass (used here)
and a non-obtuse mesh (every angle of every triangle ≤ 90°, every dihedral
angle of every tetrahedron ≤ 90°, as on :func:`advmcf.meshes.generate.box`
meshes).  Then nested sets stay nested.  On obtuse meshes it may fail.

**Resolution.**  The heat kernel must be resolved, h ≪ √τ; for
h/√τ ≳ 1 interfaces are pinned (the classical MBO pinning).  The
validation tables report h/√τ.

Each step solves m systems with one matrix, assembled once per step size,
with CG + GAMG (options prefix ``thresholding_``); the GAMG hierarchy is
built once for all steps of equal size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem import petsc as fem_petsc
from petsc4py import PETSc

from advmcf.fem_mcf._flow import check_flow_args, max_cell_diameter
from advmcf.fem_mcf._petsc import PREFIXES, check_converged, create_ksp
from advmcf.meshes import checks
from advmcf.meshes.densities import density_values
from advmcf.meshes.evolution import Evolution, run_flow
from advmcf.meshes.measures import indicator_load
from advmcf.meshes.sets import vertex_coordinates

__all__ = ["thresholding_flow", "ThresholdingStepper", "weighted_operators"]


def weighted_operators(V: fem.FunctionSpace, rho_h: fem.Function) -> tuple[PETSc.Vec, PETSc.Mat]:
    r"""The lumped ρ-weighted mass :math:`m_i = \int\rho_h\psi_i` (a vector) and the stiffness
    :math:`K_{ij} = \int\rho_h\nabla\psi_i\cdot\nabla\psi_j` (a matrix) on the P1 space ``V``."""
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    mass = fem_petsc.assemble_vector(fem.form(rho_h * v * ufl.dx))
    mass.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    K = fem_petsc.assemble_matrix(fem.form(rho_h * ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx))
    K.assemble()
    return mass, K


def heat_content_constant(m: int) -> float:
    r""":math:`c = E|Z|/(2\sqrt\tau)` of :mod:`advmcf.fem_mcf.thresholding` for m substeps of τ/(m − ½)."""
    return m / math.sqrt(math.pi * (m - 0.5)) * math.exp(math.lgamma(m + 0.5) - math.lgamma(m + 1))


class ThresholdingStepper:
    """Thresholding steps (:mod:`advmcf.fem_mcf.thresholding`) on the mesh of ``phi0``, set up once.

    The heat solve from the current set is done as soon as the set is known
    (it gives the set's energy); the next step of the same size thresholds it.

    Args:
        phi0: the initial P1 level-set function (copied).
        rho: the density callable (its P1 interpolant ρ_h is used).
        substeps: m ≥ 1, implicit Euler substeps per step.
        petsc_options: KSP options on top of the defaults (prefix ``thresholding_``).
    """

    def __init__(self, phi0: fem.Function, rho: Callable, substeps: int = 2,
                 petsc_options: dict | None = None):
        V = self.space = phi0.function_space
        self.level_set = fem.Function(V, name="phi")
        self.level_set.x.array[:] = phi0.x.array
        self.rho_h = fem.Function(V, name="rho")
        self.rho_h.x.array[:] = np.asarray(rho(vertex_coordinates(V).T), dtype=float)
        self.mass, self.K = weighted_operators(V, self.rho_h)
        self.h_max = max_cell_diameter(V.mesh)
        self.boundary_reach = 2 * self.h_max  # raised to the heat step's reach once its size is known
        self.A = self.K.duplicate(copy=True)
        self.ksp = create_ksp(self.A, PREFIXES["thresholding"], petsc_options)
        self.b, self.x = self.A.createVecRight(), self.A.createVecRight()
        self.u = fem.Function(V, name="u")
        self.m = substeps
        self.label = f"thresholding, {substeps} implicit Euler substep{'s' * (substeps > 1)}"
        self._dt = None  # the step size of self.A and of the pending heat solve
        self._energy, self._its = float("nan"), 0

    def _set_step(self, dt: float) -> None:
        """A := M + s K with s = dt/(m - 1/2); the KSP rebuilds its preconditioner on the next solve."""
        self.K.copy(self.A, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)
        self.A.scale(dt / (self.m - 0.5))
        self.A.setDiagonal(self.mass, addv=PETSc.InsertMode.ADD_VALUES)
        self._dt = dt

    def current_set(self) -> fem.Function:
        """The P1 level set φ = 1/2 − u of the current set."""
        return self.level_set

    def _heat(self, dt: float) -> None:
        """u := S_dt chi of the current set, and the set's energy E_dt."""
        if dt != self._dt:
            self._set_step(dt)
            # the heat step of size dt spreads the indicator over a few sqrt(dt): ∂Ω acts within that
            self.boundary_reach = 2 * self.h_max + 3 * math.sqrt(dt)
        load = indicator_load(self.level_set, self.rho_h)
        load.x.petsc_vec.copy(self.b)
        self.x.pointwiseDivide(self.b, self.mass)  # initial guess chi
        its = 0
        for j in range(self.m):
            if j:
                self.b.pointwiseMult(self.x, self.mass)
            self.ksp.solve(self.b, self.x)
            its += check_converged(self.ksp, "thresholding_flow")
        self.x.copy(self.u.x.petsc_vec)
        self.u.x.scatter_forward()
        chi_mass = load.x.petsc_vec
        self._energy = (chi_mass.sum() - chi_mass.dot(self.x)) / (
            heat_content_constant(self.m) * math.sqrt(dt))
        self._its = its

    def start(self, dt: float) -> dict:
        """The initial set's energy (one heat solve, reused by the first step)."""
        self._heat(dt)
        return {"ksp_its": 0, "energy": self._energy}

    def step(self, dt: float) -> dict:
        """Threshold the heat solution of the current set; then solve from the new set."""
        if dt != self._dt:
            self._heat(dt)
        its = self._its
        self.level_set.x.array[:] = 0.5 - self.u.x.array
        self._heat(dt)
        return {"ksp_its": its, "energy": self._energy}

    def close(self) -> None:
        """Free the PETSc objects."""
        for obj in (self.ksp, self.A, self.K, self.mass, self.b, self.x):
            obj.destroy()


def thresholding_flow(phi0: fem.Function, rho: Callable, tau: float, T: float, *, substeps: int = 2,
                      output_times: Sequence[float] | None = None, petsc_options: dict | None = None,
                      vtx_path=None, progress: Callable[[int, float], None] | None = None) -> Evolution:
    r"""Weighted mean curvature flow :math:`V = -\kappa - \partial_\nu\log\rho` of {phi0 < 0} by thresholding.

    The scheme, its energy and when it is monotone: :mod:`advmcf.fem_mcf.thresholding`.

    Args:
        phi0: scalar P1 function; the initial set is {phi0 < 0}.
        rho: density callable, positive (checked at the mesh vertices).
        tau: the thresholding step > 0 (resolve it: h ≪ √τ).
        T: final time > 0.
        substeps: m ≥ 1 implicit Euler substeps of size τ/(m − ½) per step; m = 1 has a
            large error (the exponential mixture weights short times too much), m ≥ 2 not.
        output_times: increasing times in [0, T]; ``None`` means ``[0, T]``.
        petsc_options: KSP options; run-time options with the prefix
            ``thresholding_`` win.
        vtx_path: if given, write φ at the output times to this VTX (.bp) file.
        progress: optional ``progress(step, t)`` called after every step.

    Returns:
        :class:`advmcf.meshes.evolution.Evolution`; the sets are φ = 1/2 − u.
        Its diagnostics and extinction rule are those of every scheme
        (:mod:`advmcf.meshes.evolution`), with ``ksp_its``
        (of the heat solve thresholded in that step) and ``energy``
        (:math:`E_\tau` of the set, normalised to tend to its weighted
        perimeter; non-increasing while the step size is constant).
    """
    times = check_flow_args(phi0, tau, T, output_times)
    substeps = checks.integer("substeps", substeps, 1)
    msh = phi0.function_space.mesh
    density_values("rho", rho, msh.geometry.x.T, msh.comm)
    stepper = ThresholdingStepper(phi0, rho, int(substeps), petsc_options)
    return run_flow(stepper, times, tau, rho=rho, vtx_path=vtx_path, progress=progress)
