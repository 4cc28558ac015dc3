"""Per_eps and TV_eps on mesh vertices against closed forms (1 and 2 ranks)."""

import math

import numpy as np
import pytest
from mpi4py import MPI
from scipy.integrate import quad

from meshes.generate import box
from meshes.sets import level_set
from meshes.shapes import disc, ellipse
from nonlocal_ import perimeter, total_variation

RHO0, RHO1 = 1.0, 3.0


def _const(c):
    return lambda x: np.full(x.shape[1], c)


def _disc_formula(R, eps, d):
    omega = math.pi if d == 2 else 4 * math.pi / 3
    return omega / eps * (RHO0 * ((R + eps) ** d - R**d) + RHO1 * (R**d - (R - eps) ** d))


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("d, eps, hs", [(2, 0.2, [0.05, 0.025, 0.0125]), (3, 0.3, [0.1, 0.05])])
def test_disc_and_ball_formula(d, eps, hs):
    """Per_eps(B_R) = (omega_d/eps)[rho0((R+eps)^d - R^d) + rho1(R^d - (R-eps)^d)], rho0 != rho1."""
    R = 0.5
    exact = _disc_formula(R, eps, d)
    if d == 2:
        assert exact == pytest.approx(2 * math.pi * R * (RHO0 + RHO1) + math.pi * eps * (RHO0 - RHO1))
    errors = []
    for h in hs:
        msh = box(MPI.COMM_WORLD, [-1.0] * d, [1.0] * d, h=h)
        phi = level_set(msh, disc([0.0] * d, R))
        errors.append(abs(perimeter(phi, _const(RHO0), _const(RHO1), eps) - exact) / exact)
    assert all(e2 < e1 for e1, e2 in zip(errors, errors[1:])), f"relative errors {errors} do not shrink with h/eps"
    assert errors[-1] < (0.03 if d == 2 else 0.08), f"relative errors {errors}"


def _ellipse_weighted_length(a, b, rho):
    def integrand(t):
        x = np.array([[a * math.cos(t)], [b * math.sin(t)], [0.0]])
        return float(rho(x)[0]) * math.hypot(a * math.sin(t), b * math.cos(t))

    return quad(integrand, 0, 2 * math.pi, limit=200, epsabs=1e-12)[0]


@pytest.mark.parallel([1, 2])
def test_converges_to_weighted_length_of_an_ellipse():
    """Per_eps -> int_{dA} (rho0 + rho1) dH^1 as eps -> 0 with h/eps -> 0 (h ~ eps^1.5).

    The error is O(eps) (rho0 != rho1) plus O(h/eps) (vertex balls).
    """
    def rho0(x):
        return 1.0 + 0.5 * x[0]

    def rho1(x):
        return 2.0 + x[1] ** 2

    a, b = 0.5, 0.3
    exact = _ellipse_weighted_length(a, b, lambda x: rho0(x) + rho1(x))
    errors = []
    for eps, ratio in ((0.16, 8), (0.08, 8 * 2**0.5), (0.04, 16)):
        msh = box(MPI.COMM_WORLD, [-0.7, -0.5], [0.7, 0.5], h=eps / ratio)
        phi = level_set(msh, ellipse([0.0, 0.0], [a, b]))
        errors.append(abs(perimeter(phi, rho0, rho1, eps) - exact) / exact)
    orders = [math.log2(e1 / e2) for e1, e2 in zip(errors, errors[1:])]
    assert min(orders) > 0.6 and errors[-1] < 0.03, f"errors {errors}, observed orders {orders}"


@pytest.mark.parallel([1, 2])
def test_total_variation_of_an_indicator_and_coarea():
    """TV_eps(1_A) = Per_eps(A), and TV_eps(c u) = c TV_eps(u) for c > 0 but not for c < 0 (rho0 != rho1)."""
    msh = box(MPI.COMM_WORLD, [-1.0, -1.0], [1.0, 1.0], h=0.1)
    phi = level_set(msh, disc([0.1, 0.0], 0.45))
    u = phi.copy()
    u.x.array[:] = (phi.x.array < 0).astype(float)
    per = perimeter(phi, _const(RHO0), _const(RHO1), 0.3)
    assert total_variation(u, _const(RHO0), _const(RHO1), 0.3) == pytest.approx(per, rel=1e-12)
    # coarea: TV(phi) = int Per({phi >= t}) dt; for a level set with values in [lo, hi] the integral
    # over the vertex values is exact when summed between consecutive distinct values
    vals = np.unique(np.concatenate(MPI.COMM_WORLD.allgather(phi.x.array)))
    tv = total_variation(phi, _const(RHO0), _const(RHO1), 0.3)
    coarea = 0.0
    for lo, hi in zip(vals[:-1], vals[1:]):
        sup = phi.copy()
        sup.x.array[:] = np.where(phi.x.array >= hi, -1.0, 1.0)  # {phi >= t} for t in (lo, hi]
        coarea += (hi - lo) * perimeter(sup, _const(RHO0), _const(RHO1), 0.3)
    assert tv == pytest.approx(coarea, rel=1e-9)
    neg = phi.copy()
    neg.x.array[:] = -phi.x.array
    assert total_variation(neg, _const(RHO0), _const(RHO1), 0.3) != pytest.approx(tv, rel=1e-3)
