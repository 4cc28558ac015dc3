r"""A validation case: domain and mesh, class densities, initial set, final time, reference.

A case is one TOML table of a suite (see :mod:`advmcf.validation.suites`)::

    [[cases]]
    name = "gauss_disc"
    dim = 2
    domain = [[-1.0, -1.0], [1.0, 1.0]]   # a box [lower, upper]; or mesh = "file.msh"
    mesh_type = "crossed"                 # or "gmsh" (frontal), "gmsh_delaunay"
    T = 0.02
    density = { kind = "gaussian", sigma = 0.5 }   # or rho0 = {...}, rho1 = {...}
    initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }   # or { shape = "bayes" }
    reference = "auto"

Initial shapes are the constructors of :mod:`advmcf.meshes.shapes` with their
keyword arguments; ``shape = "bayes"`` starts from the Bayes classifier
:math:`\{\rho_1 > \rho_0\}` of separately given classes.

References (``reference``): ``radial_ode`` (a disc/ball, or a Bayes ball, in a
density radial about its centre: :func:`advmcf.validation.references.radial_ode`,
which also reproduces the closed forms of :ref:`theory-exact`), ``half_space``
(ρ = exp(a·x) and a half space: exact translation), ``disc_recursion`` (the
scheme's own discrete disc radii, 2D constant densities), ``parametric`` (a
fine run of :func:`advmcf.fem_mcf.parametric_flow`: 1024 points, τ = T/400, 2D
smooth initial shapes), ``none``; ``auto`` picks the
first that applies in that order (``disc_recursion`` only when asked).

The table is read and checked by :func:`advmcf.validation.case_tables.make_case`;
this module holds the case itself, its mesh and initial set, and resolves its
reference.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from advmcf.meshes import shapes
from advmcf.validation.boundaries import smooth_boundary
from advmcf.meshes.densities import ClassDensities
from advmcf.validation.references import disc_recursion, half_space_offset, radial_ode, radial_velocity

__all__ = ["Case", "Reference", "SHAPES", "REFERENCES"]

#: Initial shapes a case may name (plus ``bayes``).
SHAPES = ("disc", "ball", "ellipse", "rectangle", "half_space", "flower", "dumbbell")
_PARAM_POINTS, _PARAM_STEPS = 1024, 400  # resolution of the parametric reference run


@functools.lru_cache(maxsize=32)
def _gmsh_plan(lower: tuple, upper: tuple, h: float, mesh_type: str):
    """The plan of a gmsh box mesh, made on this rank alone and kept for the process (gmsh makes the same
    mesh from the same input; a suite loaded again, e.g. by ``advmcf list`` and then ``run``, meshes once)."""
    from mpi4py import MPI

    from advmcf.meshes.generate import MeshPlan, box_mesh

    return MeshPlan.of_mesh(box_mesh(MPI.COMM_SELF, lower, upper, h, mesh_type))

#: Reference kinds a case may name.
REFERENCES = ("auto", "radial_ode", "half_space", "disc_recursion", "parametric", "none")


@dataclass
class Reference:
    r"""The reference evolution of a case: the exact set at time t, as a shape.

    Attributes:
        kind: one of :data:`REFERENCES` (resolved, never ``auto``).
        label: what the tables print, e.g. "radial ODE (solve_ivp, rtol 1e-10)".
        radius: ``t -> R(t)`` for radial references (0 once extinct), else None.
        extinction_time: the exact extinction time, or None if none before T.
        shape_at: ``t -> sdf`` (a :mod:`advmcf.meshes.shapes` callable) or None when the
            set is empty; None for kind ``none``.
        speed: a typical :math:`|V|` at t = 0 (used for :math:`h/(τ|V|)`).
        speed_at: a callable of t: the largest :math:`|V|` of the reference's boundary at time t (radial
            references: :math:`|V(R(t))|`, infinite once extinct; a half space: its constant
            speed; the others: the largest :math:`|V|` on the exact initial boundary), or None where
            no boundary is known.  Used to flag steps that jump (:mod:`advmcf.validation.flags`).
    """

    kind: str
    label: str
    radius: object = None
    extinction_time: float | None = None
    shape_at: object = None
    speed: float = float("nan")
    speed_at: object = None


@dataclass
class Case:
    """One case of a suite (see the module docstring)."""

    name: str
    dim: int
    T: float
    density: ClassDensities
    initial: dict
    reference_kind: str
    domain: tuple | None = None
    mesh_file: Path | None = None
    spec: dict = field(default_factory=dict)
    mesh_type: str = "crossed"

    def mesh(self, comm, h: float):
        """The case's mesh: the box at cell size ``h`` as a mesh of type ``mesh_type``
        (:func:`advmcf.meshes.generate.box_mesh`), or the mesh file (``h`` ignored; its dimension
        checked against ``dim``)."""
        if self.mesh_file is not None:
            from advmcf.meshes.io import read_mesh

            return read_mesh(comm, self.mesh_file, gdim=self.dim)
        from advmcf.meshes.generate import box_mesh

        return box_mesh(comm, self.domain[0], self.domain[1], h, self.mesh_type)

    def plan(self, h: float | None):
        """The :class:`advmcf.meshes.generate.MeshPlan` of :meth:`mesh` (vertices and h_max without a mesh
        for the box; the mesh file read once on this rank alone)."""
        plans = self.__dict__.setdefault("_plans", {})
        key = None if self.mesh_file is not None else h
        if key not in plans:
            if self.mesh_file is not None:
                from mpi4py import MPI

                from advmcf.meshes.generate import MeshPlan

                plans[key] = MeshPlan.of_mesh(self.mesh(MPI.COMM_SELF, h))
            elif self.mesh_type != "crossed":  # gmsh meshes: made once per process
                plans[key] = _gmsh_plan(tuple(self.domain[0]), tuple(self.domain[1]), h, self.mesh_type)
            else:
                from advmcf.meshes.generate import box_plan

                plans[key] = box_plan(self.domain[0], self.domain[1], h=h)
        return plans[key]

    def shape(self):
        """The initial shape as a signed-distance callable (not for ``bayes``)."""
        kwargs = {k: v for k, v in self.initial.items() if k != "shape"}
        return getattr(shapes, self.initial["shape"])(**kwargs)

    def initial_indicator(self):
        r"""A callable negative exactly on the initial set: the shape's signed distance, or
        :math:`\log\rho_0 - \log\rho_1` for ``bayes``."""
        return self.density.log_ratio if self.initial["shape"] == "bayes" else self.shape()

    def initial_level_set(self, msh):
        r"""The P1 level set of the initial set on ``msh``.

        For ``bayes`` the P1 interpolant of :math:`\log\rho_0 - \log\rho_1`
        (negative exactly on :math:`\{\rho_1 > \rho_0\}`) is turned into a signed
        distance with :func:`advmcf.meshes.distance.signed_distance`.
        """
        from advmcf.meshes.sets import level_set

        phi = level_set(msh, self.initial_indicator())
        if self.initial["shape"] == "bayes":
            from advmcf.meshes.distance import signed_distance

            return signed_distance(phi)
        return phi

    def boundary(self):
        """The exact smooth initial boundary (:mod:`advmcf.validation.boundaries`), or None."""
        if self.initial["shape"] == "bayes":
            R = self.bayes_radius()
            return None if R is None else smooth_boundary(
                {"shape": "disc", "centre": self.density.centre, "radius": R})
        return smooth_boundary(self.initial)

    def bayes_radius(self) -> float | None:
        """The radius of the Bayes ball for classes radial about one centre, else None."""
        c = self.density.centre
        if self.initial["shape"] != "bayes" or c is None:
            return None
        r_max = self._diameter()

        def f(r):
            return self.density.log_ratio(np.append(c + np.eye(self.dim)[0] * r, [0.0] * (3 - self.dim))[:, None])[0]

        if not (f(1e-9 * r_max) < 0 < f(r_max)):
            return None
        return brentq(f, 1e-9 * r_max, r_max, xtol=1e-14, rtol=1e-14)

    def _diameter(self) -> float:
        if self.domain is None:
            return 10.0
        return float(np.linalg.norm(np.subtract(self.domain[1], self.domain[0])))

    def radial_centre(self):
        """Centre and initial radius when the initial set is a ball and ρ is radial about its centre."""
        if self.initial["shape"] in ("disc", "ball"):
            c, R0 = np.asarray(self.initial["centre"], float), float(self.initial["radius"])
        elif self.initial["shape"] == "bayes" and self.bayes_radius() is not None:
            c, R0 = np.asarray(self.density.centre, float), self.bayes_radius()
        else:
            return None
        return (c, R0) if self.density.is_radial_about(c, self._diameter()) else None

    def _exponential_rate(self):
        """The vector a if ∇log ρ is constant (ρ = w exp(a·x)) on the domain, else None."""
        lo, hi = (np.asarray(v, float) for v in self.domain) if self.domain else (-np.ones(self.dim), np.ones(self.dim))
        x = np.random.default_rng(0).uniform(lo, hi, size=(16, self.dim)).T
        g = self.density.grad_log_rho(x)
        return g[:, 0] if np.allclose(g, g[:, :1], rtol=1e-9, atol=1e-12) else None

    def applicable_references(self) -> list[str]:
        """The reference kinds that apply to this case, in the order ``auto`` tries them."""
        out = []
        if self.radial_centre() is not None:
            out.append("radial_ode")
        if self.initial["shape"] == "half_space" and self._exponential_rate() is not None:
            out.append("half_space")
        if (self.dim == 2 and self.initial["shape"] == "disc" and self.radial_centre() is not None
                and self._exponential_rate() is not None):
            out.append("disc_recursion")
        if self.dim == 2 and isinstance(self.initial.get("shape"), str) and self.initial["shape"] in ("disc", "ellipse", "flower"):
            out.append("parametric")
        out.append("none")
        return out

    def reference(self, eps: float | None = None, tau: float | None = None) -> Reference:
        """The resolved reference; ``disc_recursion`` needs the scheme's ``eps`` and ``tau``."""
        kind = self.reference_kind
        if kind == "radial_ode":
            c, R0 = self.radial_centre()
            e = np.eye(self.dim)[0]

            def dlogrho_dr(r):
                x = np.append(c + r * e, [0.0] * (3 - self.dim))[:, None]
                return float(self.density.grad_log_rho(x)[:, 0] @ e)

            sol = radial_ode(R0, 2 * self.T, self.dim, dlogrho_dr)  # schemes may overshoot T by a step

            def speed_at(t):
                R = float(sol.radius(min(float(t), 2 * self.T)))
                return abs(radial_velocity(R, self.dim, dlogrho_dr)) if R > 0 else np.inf

            return Reference(kind, "radial ODE (solve_ivp DOP853, rtol 1e-10)", sol.radius,
                             sol.extinction_time, _ball_at(c, sol.radius),
                             abs(radial_velocity(R0, self.dim, dlogrho_dr)), speed_at)
        if kind == "half_space":
            a = self._exponential_rate()
            nrm, s0 = self.initial["normal"], float(self.initial["offset"])
            speed = abs(float(np.dot(a, np.asarray(nrm, float) / np.linalg.norm(nrm))))
            return Reference(kind, "exact translation s(t) = s0 - (a·e) t", None, None,
                             lambda t: shapes.half_space(nrm, half_space_offset(s0, t, a, nrm)), speed,
                             lambda t: speed)
        if kind == "disc_recursion":
            if eps is None or tau is None:
                raise ValueError(f"case {self.name!r}: reference 'disc_recursion' needs eps and tau")
            c, R0 = np.asarray(self.initial["centre"], float), float(self.initial["radius"])
            x0 = np.append(c, [0.0] * (3 - self.dim))[:, None]
            rho0, rho1 = float(self.density.rho0(x0)[0]), float(self.density.rho1(x0)[0])
            steps = int(round(self.T / tau))
            radii = disc_recursion(R0, eps, tau, steps, rho0, rho1)
            ext = next((k * tau for k, r in enumerate(radii) if r == 0.0), None)

            def radius(t):
                return np.asarray(radii)[np.minimum(np.rint(np.asarray(t) / tau).astype(int), steps)]

            def speed_at(t):
                R = float(radius(t))
                return 1.0 / R if R > 0 else np.inf

            return Reference(kind, "discrete disc recursion of the scheme", radius, ext,
                             _ball_at(c, radius), 1.0 / R0, speed_at)
        largest = self._boundary_speed(np.max)
        speed_at = None if np.isnan(largest) else (lambda t: largest)
        if kind == "parametric":
            return Reference(kind, f"parametric FEM (BGN), {_PARAM_POINTS} points, tau = T/{_PARAM_STEPS}",
                             None, None, self._parametric_shape_at, self._boundary_speed(), speed_at)
        return Reference("none", "none", speed=self._boundary_speed(), speed_at=speed_at)

    def _parametric_shape_at(self, t: float):
        """The set at time t of a fine parametric run from 0 to t (each rank computes it; cached per t)."""
        cache = self.__dict__.setdefault("_parametric_cache", {})
        key = round(float(t), 12)
        if key not in cache:
            cache[key] = self._parametric_shapes([0.0, float(t)] if t > 0 else [0.0])[-1]
        return cache[key]

    def _parametric_shapes(self, times) -> list:
        """The sets at increasing ``times`` (from 0) of one fine parametric run: polygons, None once empty."""
        from advmcf.fem_mcf import parametric_flow
        from advmcf.meshes.shapes import polygons

        curve = self.boundary().sample(_PARAM_POINTS)
        times = [float(t) for t in times]
        if times[-1] <= 0:
            return [polygons([curve]) for _ in times]
        density = self.density
        res = parametric_flow([curve], density.rho, self.T / _PARAM_STEPS, times[-1], output_times=times,
                              grad_log_rho=density.grad_log_rho if density.closed_form else None)
        return [polygons(c) if c else None for c in res.curves]

    def reference_shapes(self, reference: Reference, times) -> list:
        """``reference.shape_at(t)`` for every t of ``times`` (increasing; a parametric reference is
        one fine run through all of them)."""
        if reference.kind == "parametric":
            return self._parametric_shapes(times)
        return [reference.shape_at(float(t)) for t in times]

    def _boundary_speed(self, statistic=None) -> float:
        r"""RMS (or ``statistic`` of :math:`|V|`) of :math:`V = -\kappa - \partial_\nu\log\rho` over the
        exact initial boundary; NaN where it is not known."""
        b = self.boundary()
        if b is None or self.dim != 2:
            return float("nan")
        x, nu, kappa, _ = b.project(b.sample(512))
        V = self.density.velocity(x, nu, kappa)
        return float(np.sqrt(np.mean(V**2)) if statistic is None else statistic(np.abs(V)))


def _ball_at(c, radius):
    def shape_at(t):
        R = float(radius(t))
        return shapes.disc(c, R) if R > 0 else None

    return shape_at
