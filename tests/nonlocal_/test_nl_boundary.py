"""The domain boundary: by default Ω is a window on R^d (sets are held off ∂Ω), so a step near ∂Ω equals
the step in a larger domain; the Neumann problem (balls cut off by Ω) is kept by name and spills into
the boundary; every step reports its margin to ∂Ω."""

import math

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.meshes.generate import box, gmsh_mesh
from advmcf.meshes.measures import volume
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.nonlocal_ import AdversarialScheme

EPS, TAU, R = 0.02, 0.004, 0.3
EXACT = (R + math.sqrt(R * R - 4 * TAU)) / 2  # one step from B_R with rho0 = rho1 = 1/2


def _half(x):
    return np.full(x.shape[1], 0.5)


def _step(msh, boundary, centre=(0.0, 0.0), radius=R):
    phi0 = level_set(msh, disc(list(centre), radius))
    phi, info = AdversarialScheme(phi0.function_space, _half, _half, EPS, boundary=boundary).step(phi0, TAU)
    assert info["certified"]
    return math.sqrt(volume(phi) / math.pi), info


@pytest.mark.parallel([1, 2])
def test_a_disc_near_the_boundary_steps_as_in_a_large_domain():
    """Crossed meshes of [-0.34, 0.34]^2 and [-0.6, 0.6]^2 on the same lattice (h = eps/3): a disc of
    radius 0.3, 0.04 = 2 eps from the small box's boundary.  The window gives the large box's radius to
    1e-4 (the travel is 0.014); the Neumann problem spills into the corners (area radius > 0.32) and says
    so; far from the boundary both treatments give the same set."""
    h = EPS / 3
    small, large = (box(MPI.COMM_WORLD, [-L, -L], [L, L], h=h) for L in (0.34, 0.6))
    r_small, info = _step(small, "window")
    r_large, info_large = _step(large, "window")
    assert abs(r_small - r_large) < 1e-4 and abs(r_large - EXACT) < 0.02 * (R - EXACT), (r_small, r_large, EXACT)
    assert not info["near_boundary"] and info["boundary_margin"] == pytest.approx(0.34 - r_small, abs=2 * h)
    r_neumann, info_neumann = _step(small, "neumann")
    assert r_neumann > 0.32 and info_neumann["near_boundary"] and info_neumann["boundary_margin"] == 0.0
    assert _step(large, "neumann")[0] == r_large


@pytest.mark.parallel([1, 2])
def test_window_on_a_delaunay_mesh():
    """The same near-boundary disc on a gmsh Delaunay mesh: the window holds it off (no spill, not near the
    boundary, within 15 % of the travel from the exact step: the one-step scatter of these meshes); the
    Neumann problem spills."""
    msh = gmsh_mesh(MPI.COMM_WORLD, "box", EPS / 3, lower=[-0.34, -0.34], upper=[0.34, 0.34], algorithm="delaunay")
    r_window, info = _step(msh, "window")
    assert abs(r_window - EXACT) < 0.15 * (R - EXACT) and not info["near_boundary"], (r_window, info)
    r_neumann, info_neumann = _step(msh, "neumann")
    assert r_neumann > 0.32 and info_neumann["near_boundary"]


@pytest.mark.parallel([1, 2])
def test_a_set_held_against_the_window_is_flagged():
    """A Gaussian density (sigma = 0.2) pushes a disc of radius 0.3 outward (V = -1/R + R/sigma^2 > 0):
    the window holds it just outside the layer of reach R along the boundary and flags the step; the
    Neumann problem lets it reach the boundary (margin 0)."""
    msh = box(MPI.COMM_WORLD, [-0.34, -0.34], [0.34, 0.34], h=EPS / 3)

    def gauss(x):
        return 0.5 * np.exp(-(x[0] ** 2 + x[1] ** 2) / (2 * 0.2**2))

    phi0 = level_set(msh, disc([0.0, 0.0], R))
    for boundary in ("window", "neumann"):
        scheme = AdversarialScheme(phi0.function_space, gauss, gauss, EPS, boundary=boundary)
        _, info = scheme.step(phi0, TAU)
        assert info["near_boundary"], (boundary, info)
        if boundary == "window":
            reach = scheme.mixture.reach
            assert reach < info["boundary_margin"] <= reach + 2 * scheme.h_max, (reach, info["boundary_margin"])
        else:
            assert info["boundary_margin"] == 0.0


@pytest.mark.parallel([1, 2])
def test_an_initial_set_inside_the_held_layer_is_an_error():
    msh = box(MPI.COMM_WORLD, [-0.34, -0.34], [0.34, 0.34], h=EPS / 3)
    with pytest.raises(ValueError, match=r"keep R from the boundary.*boundary='neumann'"):
        _step(msh, "window", centre=(0.1, 0.0), radius=0.3)
    with pytest.raises(ValueError, match=r"boundary must be one of"):
        _step(msh, "dirichlet")
