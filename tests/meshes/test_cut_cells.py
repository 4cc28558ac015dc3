"""Exact cut-cell measures, interfaces and distances against closed forms.

Affine level sets are reproduced exactly by P1, so their areas and volumes
must be exact to round-off on any mesh; smooth sets converge at O(h^2).
"""

import itertools

import numpy as np
import pytest
from mpi4py import MPI
from scipy.special import i1

from advmcf.meshes.distance import hausdorff, signed_distance
from advmcf.meshes._simplices import cut_faces, owned_cells
from advmcf.meshes.generate import box, gmsh_mesh
from advmcf.meshes.interface import interface, interface_integral
from advmcf.meshes.measures import mass, symmetric_difference, volume
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc, half_space

COMM = MPI.COMM_WORLD


def _slab_measure(normal, offset):
    r"""|{x in [-1, 1]^d : n.x < s}| by inclusion-exclusion over the corners (all n_i != 0).

    For the unit cube and a > 0: |{a.u < s}| = sum_v (-1)^|v| max(s - a.v, 0)^d / (d! prod a).
    """
    n = np.asarray(normal, float)
    d = n.size
    # x = 2u - 1 maps [0,1]^d to [-1,1]^d; flip axes with n_i < 0 (u_i -> 1 - u_i).
    a = 2 * np.abs(n)
    s = offset + np.abs(n).sum()
    total = sum((-1) ** sum(v) * max(s - a @ np.array(v), 0.0) ** d
                for v in itertools.product((0, 1), repeat=d))
    return total / (np.prod(a) * np.prod(range(1, d + 1))) * 2**d


def _order(hs, errors):
    return np.polyfit(np.log(hs), np.log(errors), 1)[0]


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("d", [2, 3])
def test_affine_sets_are_exact(d):
    rng = np.random.default_rng(7)
    msh = box(COMM, [-1.0] * d, [1.0] * d, h=0.27 if d == 2 else 0.4)
    for _ in range(6):  # random planes cut cells in every sign pattern
        n = rng.uniform(0.2, 1.0, d) * rng.choice([-1, 1], d)
        s = rng.uniform(-0.5, 0.5)
        phi = level_set(msh, lambda x: n @ x[:d] - s)
        assert volume(phi) == pytest.approx(_slab_measure(n, s), rel=1e-12, abs=1e-12)
        # constant density: mass = volume; linear density: exact for degree >= 1
        assert mass(phi, lambda x: 3.0 + 0 * x[0]) == pytest.approx(3 * volume(phi), rel=1e-12)


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("mesh", ["crossed", "delaunay", "3d"])
def test_interface_reads_only_the_cut_cells(mesh):
    """The pieces from the cut cells alone are bitwise those of all owned cells, in the same order,
    also where phi is 0 at vertices (a line through a row of vertices) and for the empty set."""
    if mesh == "crossed":
        msh = box(COMM, [-1, -1], [1, 1], n=16)
    elif mesh == "delaunay":
        msh = gmsh_mesh(COMM, "box", 0.11, lower=[-1, -1], upper=[1, 1], algorithm="delaunay")
    else:
        msh = box(COMM, [-1] * 3, [1] * 3, n=6)
    d = msh.geometry.dim
    shapes = [disc([0.1] * d, 0.55), half_space([1.0] + [0.0] * (d - 1), 0.0), disc([0.0] * d, 5.0),
              half_space([1.0] + [0.0] * (d - 1), -3.0)]
    counts = []
    for shape in shapes:
        phi = level_set(msh, shape)
        P = owned_cells(phi)
        assert np.array_equal(interface(phi).simplices, cut_faces(P[:, :, :d], P[:, :, d]))
        counts.append(COMM.allreduce(interface(phi).simplices.shape[0]))
    assert counts[0] > 0 and counts[1] > 0 and counts[2] == 0 and counts[3] == 0
    with pytest.raises(ValueError, match="owned cells"):
        owned_cells(phi, cells=[msh.topology.index_map(d).size_local])


@pytest.mark.parallel([1, 2])
def test_interface_of_a_line_is_exact():
    msh = box(COMM, [-1, -1], [1, 1], h=0.23)
    phi = level_set(msh, half_space([1.0, 0.0], 0.1234))  # x = 0.1234, a vertical line of length 2
    assert interface(phi).measure() == pytest.approx(2.0, rel=1e-13)
    # int over the line of y^2 dy = 2/3 (degree 2 quadrature is exact)
    assert interface_integral(phi, lambda x: x[1] ** 2, degree=2) == pytest.approx(2 / 3, rel=1e-12)


@pytest.mark.parallel([1, 2])
def test_disc_measures_converge_at_second_order():
    R, c = 0.6, [0.031, -0.017]
    hs = [0.1, 0.05, 0.025]
    errs = {k: [] for k in ("area", "mass", "length", "weighted")}
    for h in hs:
        phi = level_set(box(COMM, [-1, -1], [1, 1], h=h), disc(c, R))
        errs["area"].append(abs(volume(phi) - np.pi * R**2))
        # int_{B_R(c)} e^{x - c_x} dx = 2 pi R I1(R)
        errs["mass"].append(abs(mass(phi, lambda x: np.exp(x[0] - c[0])) - 2 * np.pi * R * i1(R)))
        errs["length"].append(abs(interface(phi).measure() - 2 * np.pi * R))
        # int_{|x - c| = R} (1 + (x - c_x)^2) ds = 2 pi R + pi R^3
        weighted = interface_integral(phi, lambda x: 1 + (x[0] - c[0]) ** 2)
        errs["weighted"].append(abs(weighted - (2 * np.pi * R + np.pi * R**3)))
    for key, e in errs.items():
        p = _order(hs, e)
        assert p > 1.8, f"{key}: observed order {p:.2f} (errors {e})"
        assert e[-1] < 2e-3, f"{key}: error {e[-1]:.2e} on the finest mesh"


@pytest.mark.parallel([1, 2])
def test_symmetric_difference_of_discs_is_twice_the_lune():
    R, dist = 0.5, 0.3
    lens = 2 * R**2 * np.arccos(dist / (2 * R)) - dist / 2 * np.sqrt(4 * R**2 - dist**2)
    exact = 2 * (np.pi * R**2 - lens)
    hs, errs = [0.1, 0.05, 0.025], []
    for h in hs:
        msh = box(COMM, [-1, -1], [1, 1], h=h)
        a, b = level_set(msh, disc([-dist / 2, 0], R)), level_set(msh, disc([dist / 2, 0], R))
        errs.append(abs(symmetric_difference(a, b) - exact))
        assert abs(symmetric_difference(a, a)) < 1e-14
        assert symmetric_difference(a, b, rho=lambda x: 2.0 + 0 * x[0]) == pytest.approx(2 * symmetric_difference(a, b), rel=1e-12)
    p = _order(hs, errs)
    assert p > 1.8, f"lens: observed order {p:.2f} (errors {errs})"


@pytest.mark.parallel([1, 2])
def test_signed_distance_and_hausdorff_converge():
    hs, sd_err, h_err = [0.1, 0.05, 0.025], [], []
    for h in hs:
        msh = box(COMM, [-1, -1], [1, 1], h=h)
        a, b = level_set(msh, disc([0, 0], 0.5)), level_set(msh, disc([0, 0], 0.3))
        # a far-off start: the signed distance must not depend on phi's size
        a.x.array[:] *= 7.0
        sd = signed_distance(a)
        x = sd.function_space.tabulate_dof_coordinates()
        exact = np.linalg.norm(x[:, :2], axis=1) - 0.5
        local = np.abs(sd.x.array - exact).max()
        sd_err.append(COMM.allreduce(local, op=MPI.MAX))
        h_err.append(abs(hausdorff(a, b) - 0.2))
        clipped = signed_distance(a, cutoff=0.1)
        assert COMM.allreduce(np.abs(clipped.x.array - np.clip(sd.x.array, -0.1, 0.1)).max(), op=MPI.MAX) == 0.0
    for name, e in (("signed distance", sd_err), ("Hausdorff", h_err)):
        p = _order(hs, e)
        assert p > 1.8, f"{name}: observed order {p:.2f} (errors {e})"


@pytest.mark.parallel([1, 2])
def test_ball_volume_and_sphere_area_in_3d():
    R, errs_v, errs_a, hs = 0.6, [], [], [0.2, 0.1, 0.05]
    for h in hs:
        phi = level_set(box(COMM, [-1] * 3, [1] * 3, h=h), disc([0, 0, 0], R))
        errs_v.append(abs(volume(phi) - 4 / 3 * np.pi * R**3))
        errs_a.append(abs(interface(phi).measure() - 4 * np.pi * R**2))
    # second order over three levels, with a margin of 0.2 for the coarsest (4 cells across the radius)
    assert _order(hs, errs_v) > 1.8 and _order(hs, errs_a) > 1.8, (errs_v, errs_a)


def test_bad_inputs_get_clear_errors():
    msh1, msh2 = box(MPI.COMM_SELF, [0, 0], [1, 1], n=4), box(MPI.COMM_SELF, [0, 0], [1, 1], n=4)
    a, b = level_set(msh1, disc([0.5, 0.5], 0.3)), level_set(msh2, disc([0.5, 0.5], 0.3))
    with pytest.raises(ValueError, match="same mesh"):
        symmetric_difference(a, b)
    empty = level_set(msh1, disc([5.0, 5.0], 0.1))
    with pytest.raises(ValueError, match="interface of .* is empty"):
        hausdorff(a, empty)
