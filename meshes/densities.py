r"""The class densities and the flow law they drive, and the density check every scheme makes.

A density is a plain callable ``rho(x)``, ``x`` of shape ``(3, num_points)``,
returning ``(num_points,)`` values (see :mod:`advmcf.meshes`).  The schemes need it
finite and positive (bounded below by a positive constant on Ω).  It is always
called on a copy of the points, never on an array the caller keeps (the mesh
geometry, the vertex coordinates a second density is evaluated at): a
callable that writes into its argument changes nothing but its own copy.

- :func:`normal_velocity`: the flow law :math:`V = -\kappa - \partial_\nu\log\rho`
  (V positive outward, κ = div ν), written once.
- :class:`ClassDensities`: the two classes ρ0 (outside, class 0) and ρ1
  (inside, class 1), their sum ρ, :math:`\nabla\log\rho` in closed form where
  the densities have one, the Bayes classifier's indicator and the flow law at
  boundary points.
- :func:`density_values`: a density evaluated and checked, one-line errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from mpi4py import MPI

from advmcf.meshes import checks

__all__ = ["density_values", "normal_velocity", "ClassDensities", "points3"]

_FD_STEP = 1e-6  # central differences of log rho where no gradient is given: relative error ~1e-10


def normal_velocity(kappa, dlogrho_dnu):
    r"""The flow law :math:`V = -\kappa - \partial_\nu\log\rho` (V positive outward, κ = div ν the
    sum of the principal curvatures, ν the outward normal); arrays broadcast."""
    return -np.asarray(kappa, dtype=float) - np.asarray(dlogrho_dnu, dtype=float)


def points3(x) -> np.ndarray:
    """``x`` of shape ``(gdim, n)`` padded with zero rows to the DOLFINx shape ``(3, n)``."""
    x = np.asarray(x, dtype=float)
    if x.shape[0] < 3:
        x = np.vstack([x, np.zeros((3 - x.shape[0], x.shape[1]))])
    return x


@dataclass(frozen=True)
class ClassDensities:
    r"""The two class densities of a problem and what the flow needs of them.

    Attributes:
        rho0, rho1: callables ``x (3, n) -> (n,)``, class 0 (outside) and class 1 (inside).
        gdim: the space dimension d.
        grad_rho0, grad_rho1: their gradients ``x (3, n) -> (gdim, n)`` in closed form, or None
            (then :meth:`grad_log_rho` takes central differences of log ρ, step 1e-6).
        label: a short description for tables.
        bayes: whether the classes are given separately, so that the Bayes classifier
            :math:`\{\rho_1 > \rho_0\}` is meaningful.
        centre: for two classes radial about one common centre, that centre; else None.
    """

    rho0: Callable
    rho1: Callable
    gdim: int
    grad_rho0: Callable | None = None
    grad_rho1: Callable | None = None
    label: str = ""
    bayes: bool = False
    centre: tuple | None = None

    def rho(self, x):
        r""":math:`\rho = \rho_0 + \rho_1` at ``x`` (3, n) -> (n,) (each class on its own copy of ``x``)."""
        x = np.asarray(x, dtype=float)
        return self.rho0(x.copy()) + self.rho1(x.copy())

    @property
    def closed_form(self) -> bool:
        """Whether :meth:`grad_log_rho` is in closed form (both gradients given)."""
        return self.grad_rho0 is not None and self.grad_rho1 is not None

    def grad_log_rho(self, x):
        r""":math:`\nabla\log\rho = (\nabla\rho_0 + \nabla\rho_1)/\rho` at ``x`` (gdim or 3, n), shape
        (gdim, n): closed form when both gradients are given, else central differences of log ρ."""
        x = points3(x)
        if self.closed_form:
            return (self.grad_rho0(x.copy()) + self.grad_rho1(x.copy())) / self.rho(x)
        g = np.empty((self.gdim, x.shape[1]))
        for i in range(self.gdim):
            e = np.zeros((3, 1))
            e[i] = _FD_STEP
            g[i] = (np.log(self.rho(x + e)) - np.log(self.rho(x - e))) / (2 * _FD_STEP)
        return g

    def velocity(self, x, nu, kappa):
        r"""The flow law :func:`normal_velocity` at boundary points ``x`` ``(n, d)`` with outward
        normals ``nu`` ``(n, d)`` and curvatures ``kappa`` ``(n,)``."""
        x = np.asarray(x, dtype=float)
        return normal_velocity(kappa, np.einsum("ij,ji->i", nu, self.grad_log_rho(x.T)))

    def log_ratio(self, x):
        r""":math:`\log\rho_0 - \log\rho_1`: negative exactly on the Bayes classifier :math:`\{\rho_1 > \rho_0\}`."""
        x = points3(x)
        return np.log(self.rho0(x.copy())) - np.log(self.rho1(x.copy()))

    def is_radial_about(self, centre, r_max: float, rtol: float = 1e-9) -> bool:
        r"""Whether :math:`\rho` is radial about ``centre`` on :math:`|x - c| \le r_{max}`.

        Checked by sampling 16 radii along 12 directions (a numerical test,
        used to decide whether the radial ODE reference applies).
        """
        c = np.asarray(centre, dtype=float)
        rng = np.random.default_rng(0)
        dirs = rng.normal(size=(12, self.gdim))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        radii = np.linspace(0.05, 1.0, 16) * r_max
        with np.errstate(all="ignore"):  # an overflowing density is refused later, in one line
            vals = np.array([self.rho(points3(c[:, None] + np.outer(d, radii))) for d in dirs], dtype=float)
        if not np.all(np.isfinite(vals)):
            return False
        return bool(np.all(np.abs(vals - vals[0]) <= rtol * np.abs(vals[0]).max()))


def density_values(name: str, rho, points: np.ndarray, comm: MPI.Comm | None = None,
                   where: str = "the mesh vertices") -> np.ndarray:
    r"""``rho(points)`` as a ``(num_points,)`` array, checked finite and positive.

    Args:
        name: the argument's name for the message (``"rho"``, ``"rho0"``...).
        rho: the density callable.
        points: ``(3, num_points)`` coordinates (local to this rank; may be empty).
        comm: if given, the check is collective: every rank raises together,
            and the message names the global minimum and where it is.
        where: what the points are, for the message.

    Raises:
        ValueError: one line naming the smallest (or a non-finite) value and
            its point, e.g. ``rho1 must be finite and positive on the mesh
            vertices, but rho1(x) = -0.5 at x = (1, 0, 0): ...``.
    """
    checks.density_callable(name, rho)
    with np.errstate(all="ignore"):  # an overflow is an inf, refused below in one line (no warning before it)
        values = np.asarray(rho(np.array(points, dtype=np.float64)), dtype=np.float64)  # on a copy: rho may write
    try:
        values = np.broadcast_to(values, (points.shape[1],)).copy()
    except ValueError:
        raise ValueError(f"{name}: returned an array of shape {values.shape} for {points.shape[1]} points; "
                         "it must map x of shape (3, n) to n values") from None
    keyed = np.where(np.isfinite(values), values, -np.inf)
    local_min = float(keyed.min()) if keyed.size else np.inf
    point = points[:, int(np.argmin(keyed))].tolist() if keyed.size else None
    if comm is not None:
        local_min, owner = comm.allreduce((local_min, comm.rank), op=MPI.MINLOC)
        point = comm.bcast(point, root=owner)
    if not local_min > 0:
        value = "not finite" if local_min == -np.inf else f"{local_min:g}"
        raise ValueError(
            f"{name} must be finite and positive on {where}, but {name}(x) = {value} at "
            f"x = ({', '.join(f'{c:g}' for c in point)}): use a density bounded below by a positive constant")
    return values
