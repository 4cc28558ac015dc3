r"""A validation case: domain and mesh, class densities, initial set, final time, reference.

A case is one TOML table of a suite (see :mod:`validation.suites`)::

    [[cases]]
    name = "gauss_disc"
    dim = 2
    domain = [[-1.0, -1.0], [1.0, 1.0]]   # a box [lower, upper]; or mesh = "file.msh"
    T = 0.02
    density = { kind = "gaussian", sigma = 0.5 }   # or rho0 = {...}, rho1 = {...}
    initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }   # or { shape = "bayes" }
    reference = "auto"

Initial shapes are the constructors of :mod:`meshes.shapes` with their
keyword arguments; ``shape = "bayes"`` starts from the Bayes classifier
:math:`\{\rho_1 > \rho_0\}` of separately given classes.

References (``reference``): ``radial_ode`` (a disc/ball, or a Bayes ball, in a
density radial about its centre: :func:`validation.references.radial_ode`,
which also reproduces the closed forms of :ref:`theory-exact`), ``half_space``
(ρ = exp(a·x) and a half space: exact translation), ``disc_recursion`` (the
scheme's own discrete disc radii, 2D constant densities), ``parametric`` (a
fine run of :func:`fem_mcf.parametric_flow`: 1024 points, τ = T/400, 2D
smooth initial shapes), ``none``; ``auto`` picks the
first that applies in that order (``disc_recursion`` only when asked).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from meshes import shapes
from validation.boundaries import smooth_boundary
from validation.densities import Density, make_density
from validation.references import disc_recursion, half_space_offset, radial_ode

__all__ = ["Case", "Reference", "make_case", "SHAPES", "REFERENCES"]

#: Initial shapes a case may name (plus ``bayes``).
SHAPES = ("disc", "ball", "ellipse", "rectangle", "half_space", "flower", "dumbbell")
_PARAM_POINTS, _PARAM_STEPS = 1024, 400  # resolution of the parametric reference run

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
        shape_at: ``t -> sdf`` (a :mod:`meshes.shapes` callable) or None when the
            set is empty; None for kind ``none``.
        speed: a typical :math:`|V|` at t = 0 (used for :math:`h/(τ|V|)`).
    """

    kind: str
    label: str
    radius: object = None
    extinction_time: float | None = None
    shape_at: object = None
    speed: float = float("nan")


@dataclass
class Case:
    """One case of a suite (see the module docstring)."""

    name: str
    dim: int
    T: float
    density: Density
    initial: dict
    reference_kind: str
    domain: tuple | None = None
    mesh_file: Path | None = None
    spec: dict = field(default_factory=dict)

    def mesh(self, comm, h: float):
        """The case's mesh: the box at cell size ``h``, or the mesh file (``h`` ignored; its
        dimension checked against ``dim``)."""
        if self.mesh_file is not None:
            from meshes.io import read_mesh

            return read_mesh(comm, self.mesh_file, gdim=self.dim)
        from meshes.generate import box

        return box(comm, self.domain[0], self.domain[1], h=h)

    def plan(self, h: float | None):
        """The :class:`meshes.generate.MeshPlan` of :meth:`mesh` (vertices and h_max without a mesh
        for the box; the mesh file read once on this rank alone)."""
        plans = self.__dict__.setdefault("_plans", {})
        key = None if self.mesh_file is not None else h
        if key not in plans:
            if self.mesh_file is not None:
                from mpi4py import MPI

                from meshes.generate import MeshPlan

                plans[key] = MeshPlan.of_mesh(self.mesh(MPI.COMM_SELF, None))
            else:
                from meshes.generate import box_plan

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
        distance with :func:`meshes.distance.signed_distance`.
        """
        from meshes.sets import level_set

        phi = level_set(msh, self.initial_indicator())
        if self.initial["shape"] == "bayes":
            from meshes.distance import signed_distance

            return signed_distance(phi)
        return phi

    def boundary(self):
        """The exact smooth initial boundary (:mod:`validation.boundaries`), or None."""
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

    def _radial_centre(self):
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
        if self._radial_centre() is not None:
            out.append("radial_ode")
        if self.initial["shape"] == "half_space" and self._exponential_rate() is not None:
            out.append("half_space")
        if (self.dim == 2 and self.initial["shape"] == "disc" and self._radial_centre() is not None
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
            c, R0 = self._radial_centre()
            e = np.eye(self.dim)[0]

            def dlogrho_dr(r):
                x = np.append(c + r * e, [0.0] * (3 - self.dim))[:, None]
                return float(self.density.grad_log_rho(x)[:, 0] @ e)

            sol = radial_ode(R0, 2 * self.T, self.dim, dlogrho_dr)  # schemes may overshoot T by a step
            return Reference(kind, "radial ODE (solve_ivp DOP853, rtol 1e-10)", sol.radius,
                             sol.extinction_time, _ball_at(c, sol.radius),
                             abs((self.dim - 1) / R0 + dlogrho_dr(R0)))
        if kind == "half_space":
            a = self._exponential_rate()
            nrm, s0 = self.initial["normal"], float(self.initial["offset"])
            speed = abs(float(np.dot(a, np.asarray(nrm, float) / np.linalg.norm(nrm))))
            return Reference(kind, "exact translation s(t) = s0 - (a·e) t", None, None,
                             lambda t: shapes.half_space(nrm, half_space_offset(s0, t, a, nrm)), speed)
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

            return Reference(kind, "discrete disc recursion of the scheme", radius, ext,
                             _ball_at(c, radius), 1.0 / R0)
        if kind == "parametric":
            return Reference(kind, f"parametric FEM (BGN), {_PARAM_POINTS} points, tau = T/{_PARAM_STEPS}",
                             None, None, self._parametric_shape_at, self._boundary_speed())
        return Reference("none", "none", speed=self._boundary_speed())

    def _parametric_shape_at(self, t: float):
        """The set at time t of a fine parametric run (each rank computes it; cached per t)."""
        from fem_mcf import parametric_flow

        from meshes.shapes import polygons

        cache = self.__dict__.setdefault("_parametric_cache", {})
        key = round(float(t), 12)
        if key not in cache:
            curve = self.boundary().sample(_PARAM_POINTS)
            res = parametric_flow([curve], self.density.rho, self.T / _PARAM_STEPS, float(t),
                                  output_times=[0.0, float(t)])
            cache[key] = polygons(res.curves[-1]) if res.curves[-1] else None
        return cache[key]

    def _boundary_speed(self) -> float:
        r"""RMS of :math:`V = -\kappa - \partial_\nu\log\rho` over the exact initial boundary."""
        b = self.boundary()
        if b is None or self.dim != 2:
            return float("nan")
        x, nu, kappa, _ = b.project(b.sample(512))
        g = self.density.grad_log_rho(np.vstack([x.T, np.zeros(len(x))]))
        V = -kappa - np.einsum("ij,ji->i", nu, g)
        return float(np.sqrt(np.mean(V**2)))


def _ball_at(c, radius):
    def shape_at(t):
        R = float(radius(t))
        return shapes.disc(c, R) if R > 0 else None

    return shape_at


def _check_initial(initial, dim):
    if not isinstance(initial, dict) or "shape" not in initial:
        raise ValueError(f"must be a table with a 'shape' (one of {', '.join(SHAPES + ('bayes',))}), got {initial!r}")
    name = initial["shape"]
    if name == "bayes":
        if len(initial) > 1:
            raise ValueError(f"shape 'bayes' takes no parameters, got {sorted(set(initial) - {'shape'})}")
        return
    if not isinstance(name, str) or name not in SHAPES:
        raise ValueError(f"shape = {name!r}: unknown (known: {', '.join(SHAPES + ('bayes',))})")
    params = inspect.signature(getattr(shapes, name)).parameters
    given = set(initial) - {"shape"}
    unknown = given - set(params)
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r} for shape {name!r} (allowed: {', '.join(params)})")
    missing = {p for p, v in params.items() if v.default is inspect.Parameter.empty} - given
    if missing:
        raise ValueError(f"shape {name!r} needs key {sorted(missing)[0]!r}")
    for key in ("centre", "lower", "upper", "normal", "left_centre", "right_centre"):
        value = initial.get(key)
        if key in initial and (not isinstance(value, list) or len(value) != dim
                               or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in value)):
            raise ValueError(f"{key} = {value!r}: must be a list of {dim} numbers (dim = {dim})")
    try:
        getattr(shapes, name)(**{k: v for k, v in initial.items() if k != "shape"})
    except (ValueError, TypeError) as err:
        raise ValueError(str(err)) from None


_CASE_KEYS = ("name", "dim", "T", "domain", "mesh", "density", "rho0", "rho1", "initial", "reference")


def _name(name):
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"name = {name!r}: must be a string of letters, digits, '_' and '-'")
    return name


def _dim(dim):
    if isinstance(dim, bool) or dim not in (2, 3):
        raise ValueError(f"dim = {dim!r}: must be 2 or 3")
    return dim


def _final_time(T):
    if isinstance(T, bool) or not isinstance(T, (int, float)):
        raise ValueError(f"T = {T!r}: must be a number")
    if not T > 0 or not math.isfinite(T):
        raise ValueError(f"T = {T!r}: the final time must be positive")
    return float(T)


def _domain(d, dim):
    ok = (isinstance(d, list) and len(d) == 2 and all(isinstance(v, list) and len(v) == dim for v in d)
          and all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for v in d for c in v))
    if not ok:
        raise ValueError(f"domain = {d!r}: must be [lower, upper], two lists of {dim} numbers")
    if any(b <= a for a, b in zip(*d)):
        raise ValueError(f"domain = {d!r}: need lower < upper in every coordinate")
    return tuple(float(v) for v in d[0]), tuple(float(v) for v in d[1])


def _mesh_file(name, base_dir):
    if not isinstance(name, str):
        raise ValueError(f"mesh = {name!r}: must be a file name")
    path = Path(name)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file():
        raise ValueError(f"mesh = {name!r}: no such file ({path})")
    return path


def _density(spec, dim):
    try:
        return make_density(dim, spec.get("density"), spec.get("rho0"), spec.get("rho1"))
    except ValueError as err:
        raise ValueError(f"density: {err}") from None


def _initial(initial, dim, density):
    try:
        _check_initial(initial, dim)
    except ValueError as err:
        raise ValueError(f"initial: {err}") from None
    if initial["shape"] == "bayes" and density is not None and not density.bayes:
        raise ValueError("initial: shape 'bayes' needs two classes (rho0 and rho1, or kind 'two_gaussians'); "
                         "with rho0 = rho1 = rho/2 the Bayes classifier is empty")
    return dict(initial)


def make_case(spec: dict, base_dir: Path | None = None) -> Case:
    """Build and check a case from its TOML table.

    Raises ValueError with one line per problem ("key: reason"); keys that do
    not depend on each other are all checked.  Relative mesh paths are taken
    relative to ``base_dir`` (the suite file's folder).
    """
    if not isinstance(spec, dict):
        raise ValueError(f"must be a table, got {spec!r}")
    problems = [f"{k}: unknown key (allowed: {', '.join(sorted(_CASE_KEYS))})" for k in sorted(set(spec) - set(_CASE_KEYS))]
    problems += [f"{k}: missing" for k in ("name", "dim", "T", "initial") if k not in spec]
    if ("domain" in spec) == ("mesh" in spec):
        problems.append("domain: give exactly one of 'domain' (a box [lower, upper]) or 'mesh' (a file)")

    def attempt(fn, *args):
        try:
            return fn(*args)
        except ValueError as err:
            problems.extend(str(err).splitlines())
            return None

    name = attempt(_name, spec["name"]) if "name" in spec else None
    dim = attempt(_dim, spec["dim"]) if "dim" in spec else None
    T = attempt(_final_time, spec["T"]) if "T" in spec else None
    mesh_file = attempt(_mesh_file, spec["mesh"], base_dir) if "mesh" in spec and "domain" not in spec else None
    ref = spec.get("reference", "auto")
    if not isinstance(ref, str) or ref not in REFERENCES:
        problems.append(f"reference = {ref!r}: unknown (known: {', '.join(REFERENCES)})")
    if dim is None:  # the rest is read in dim dimensions
        raise ValueError("\n".join(problems or ["dim: missing"]))
    domain = attempt(_domain, spec["domain"], dim) if "domain" in spec and "mesh" not in spec else None
    density = attempt(_density, spec, dim)
    initial = attempt(_initial, spec["initial"], dim, density) if "initial" in spec else None
    if problems:
        raise ValueError("\n".join(problems))
    case = Case(name, dim, T, density, initial, ref, domain, mesh_file, dict(spec))
    if mesh_file is not None:
        from meshes.io import MeshFileError

        try:
            case.plan(None)  # reads the file: it parses, holds simplices, and has dimension dim
        except MeshFileError as err:
            raise ValueError(f"mesh = {spec['mesh']!r}: {err}") from None
    applicable = case.applicable_references()
    if ref == "auto":
        case.reference_kind = next(k for k in applicable if k != "disc_recursion")
    elif ref not in applicable:
        raise ValueError(f"reference = {ref!r}: does not apply to this case (applicable: {', '.join(applicable)})")
    return case
