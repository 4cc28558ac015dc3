"""The scheme with empirical class measures: equal to the density scheme when the samples are the mesh
vertices with their lumped masses; 1 rank = 2 ranks; the risk identity; bad input."""

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.meshes.generate import box, gmsh_mesh
from advmcf.meshes.sets import level_set, p1_space
from advmcf.meshes.shapes import disc, union
from advmcf.nonlocal_ import AdversarialScheme, Vertices, neighbourhood
from advmcf.nonlocal_.mixture import plain
from advmcf.samples import gaussian_classes, labelled_points
from advmcf.samples.scheme import SampleScheme, kernel_classifier, sample_flow

COMM = MPI.COMM_WORLD


def _rho0(x):
    return 0.6 + 0.2 * np.sin(2 * x[0])


def _rho1(x):
    return 0.5 + 0.3 * x[1]


def _vertex_samples(V):
    """One sample of each class at every vertex, weights m_i rho0(x_i) and m_i rho1(x_i) (every rank)."""
    verts = Vertices(V)
    data = None
    if verts.is_root:
        x3 = verts.points3()
        data = (np.r_[verts.x, verts.x], np.r_[np.zeros(verts.x.shape[0]), np.ones(verts.x.shape[0])],
                np.r_[verts.m * _rho0(x3), verts.m * _rho1(x3)])
    return labelled_points(*COMM.bcast(data, root=0))


def _sets(verts, phis):
    """The vertex sets {phi < 0} on rank 0 (None elsewhere); collective."""
    values = [verts.gather(phi) for phi in phis]
    return [v < 0 if verts.is_root else None for v in values]


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("mesh, balls", [("crossed", "isotropic"), ("delaunay", "plain")])
def test_equal_to_the_density_scheme_on_the_vertices(mesh, balls):
    """Samples at the vertices with the lumped masses as weights: the same energy term by term, so the
    same vertex sets as the density scheme, with the same balls (p = 0: three steps, whose sets depend on
    the previous vertex sets only; p = 1: one step, since the density scheme's sub-vertex boundary then
    sets the next distances), and the same energies; both selections."""
    eps = 0.2
    if mesh == "crossed":
        msh = box(COMM, [-1, -1], [1, 1], h=1 / 20)
    else:
        msh = gmsh_mesh(COMM, "box", 1 / 20, lower=[-1, -1], upper=[1, 1], algorithm="delaunay")
    V = p1_space(msh)
    mixture = plain(eps) if balls == "plain" else neighbourhood(V, eps)
    pts = _vertex_samples(V)
    verts = Vertices(V)
    phi0 = level_set(V, union(disc([-0.2, 0.0], 0.45), disc([0.3, 0.1], 0.35)))
    (s0,) = _sets(verts, [phi0])
    moved = 0
    for p, tau, steps in ((1, 0.02, 1), (0, 0.15, 3)):
        for selection in ("minimal", "maximal"):
            a = AdversarialScheme(V, _rho0, _rho1, eps, p=p, selection=selection, discretization=mixture)
            b = SampleScheme(V, pts, eps, p=p, selection=selection, discretization=mixture)
            pa = pb = phi0
            for _ in range(steps):
                (pa, ia), (pb, ib) = a.step(pa, tau), b.step(pb, tau)
                sa, sb = _sets(verts, [pa, pb])
                if verts.is_root:
                    assert np.array_equal(sa, sb), (p, selection)
                assert ib["certified"]
                assert ib["energy"] == pytest.approx(ia["energy"], rel=1e-9)
                assert ib["perimeter_eps"] == pytest.approx(ia["perimeter_eps"], rel=1e-9)
                moved += COMM.bcast(int(np.count_nonzero(sa != s0)) if verts.is_root else 0)
    assert moved > 50  # the sets really moved


@pytest.mark.parallel(nprocs=2)
def test_one_and_two_ranks_give_identical_sets():
    """sample_flow on COMM_WORLD equals the flow on rank 0's serial copy of the mesh, bitwise."""
    pts = gaussian_classes(400, [0.5, 0.0], 0.6, seed=5)

    def run(c):
        V = p1_space(box(c, [-2.5, -2.2], [2.5, 2.2], h=0.1))
        evo = sample_flow(kernel_classifier(V, pts, 0.4), pts, 0.4, 0.6, tau=0.2)
        u = Vertices(V).gather(evo.sets[-1])  # rank 0: sorted by coordinates
        return None if c.rank else (u, [(d["energy"], d["graph_edges"], d["adversarial_risk"])
                                        for d in evo.diagnostics])

    world = run(COMM)
    serial = run(MPI.COMM_SELF) if COMM.rank == 0 else None
    same = COMM.bcast(bool(np.array_equal(world[0], serial[0]) and world[1] == serial[1])
                      if COMM.rank == 0 else None, root=0)
    assert same, "level sets or step diagnostics differ between COMM_WORLD and COMM_SELF"


def test_risk_identity_and_the_regions_without_data():
    """adversarial risk = risk + eps Per_eps, where both sides are computed apart: the left from explicit
    maxima/minima over the vertex balls about each sample (numpy), the right from the step's diagnostics.
    Vertices farther than eps from every sample keep their side."""
    rng = np.random.default_rng(2)
    x = np.r_[rng.normal(size=(150, 2)) * 0.3 + [-0.5, 0], rng.normal(size=(150, 2)) * 0.3 + [0.5, 0]]
    x = x[np.abs(x).max(axis=1) < 1.0]
    y = (x[:, 0] + 0.2 * rng.normal(size=x.shape[0]) > 0).astype(int)
    pts = labelled_points(x, y, rng.random(x.shape[0]) + 0.5)
    msh = box(MPI.COMM_SELF, [-1.6, -1.6], [1.6, 1.6], h=0.05)
    V = p1_space(msh)
    eps = 0.15
    phi0 = level_set(V, disc([0.9, 0.9], 0.9))
    scheme = SampleScheme(V, pts, eps)
    phi, info = scheme.step(phi0, 0.1)
    verts = Vertices(V)
    u, u0 = verts.gather(phi) < 0, verts.gather(phi0) < 0
    d = np.linalg.norm(pts.x[:, None] - verts.x[None], axis=2)
    own = np.argmin(d, axis=1)
    ball = d <= eps * (1 + 1e-12)
    adversarial = np.where(y == 0, (ball & u[None]).any(axis=1), (ball & ~u[None]).any(axis=1))
    risk = np.where(y == 0, u[own], ~u[own])
    W = pts.total_weight
    assert info["certified"] and 0 < info["risk"] < info["adversarial_risk"] < 0.5
    assert info["adversarial_risk"] == pytest.approx(np.sum(pts.weight * adversarial) / W, rel=1e-12)
    assert info["risk"] == pytest.approx(np.sum(pts.weight * risk) / W, rel=1e-12)
    far = d.min(axis=0) > eps * 1.01
    assert far.sum() > 1000 and np.array_equal(u[far], u0[far]) and u0[far].any() and (u != u0).any()


def test_bad_input():
    msh = box(MPI.COMM_SELF, [0, 0], [1, 1], h=0.1)
    V = p1_space(msh)
    pts = labelled_points([[0.2, 0.2], [0.8, 0.8], [1.5, 0.5]], [0, 1, 1])
    with pytest.raises(ValueError, match=r"points: 1 points lie farther than h_max = 0.1 from every mesh vertex "
                                         r"\(point 2 at \[1.5, 0.5\]\): the mesh must cover the data"):
        SampleScheme(V, pts, 0.3)
    with pytest.raises(ValueError, match=r"the points are 3-dimensional, the mesh 2-dimensional"):
        SampleScheme(V, labelled_points(np.zeros((2, 3)), [0, 1]), 0.3)
    with pytest.raises(ValueError, match=r"eps = 0.1 is too small for the mesh"):
        SampleScheme(V, pts, 0.1)
