"""Checks of a case on the vertices of each mesh it runs on, whatever the mesh's source.

Each case here ran "ok" (with errors reading 0, or on the wrong mesh) before
the checks looked at the actual mesh: an initial set outside the domain or
covering it, a mesh file of the other dimension, a density negative only at
the crossed mesh's cell centres, ε too small for a mesh file's h_max.
"""

from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.meshes.generate import box, box_plan
from advmcf.meshes.io import write_xdmf
from advmcf.meshes.evolution import Evolution
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.meshes.stats import mesh_stats
from advmcf.validation.runner import run_suite
from advmcf.validation.schemes import SCHEMES, Scheme
from advmcf.validation.suites import SuiteError, load_suite

COMM = MPI.COMM_WORLD

SUITE = """
[suite]
name = "t"

[[cases]]
name = "c"
dim = 2
domain = [[-1.0, -1.0], [1.0, 1.0]]
T = 0.1
density = { kind = "constant" }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }

[[studies]]
name = "s"
case = "c"
schemes = ["probe"]
eps = [0.1, 0.05]
h = "eps/4"
"""


def _probe(case, phi0, eps, tau, T, options, output_times, progress):
    return Evolution(list(output_times), [phi0.copy() for _ in output_times], [], None, "probe")


SCHEMES_T = dict(SCHEMES, probe=Scheme("probe", _probe, {}, True))


@pytest.fixture
def base(tmp_path):
    return Path(COMM.bcast(str(tmp_path), root=0))


def _load(base, text):
    path = base / "suite.toml"
    if COMM.rank == 0:
        path.write_text(text)
    COMM.barrier()
    return load_suite(path, SCHEMES_T)


def _meshes(base):
    """A 2D (h_max 0.125) and a 3D mesh file beside the suite."""
    write_xdmf(base / "square.xdmf", box(COMM, [-1, -1], [1, 1], n=16))
    write_xdmf(base / "cube.xdmf", box(COMM, [-1, -1, -1], [1, 1, 1], n=4))


@pytest.mark.parametrize("old, new, match", [
    # the initial set is empty or covers the mesh: every error would read 0
    ("centre = [0.0, 0.0]", "centre = [5.0, 5.0]",
     r"cases\[0\] \(c\)\.initial: the disc is empty on the box mesh at h = 0\.025 \(h_max = 0\.025\): "
     r"no vertex lies inside it"),
    ("radius = 0.4", "radius = 10.0", r"cases\[0\] \(c\)\.initial: the disc covers the box mesh at h = 0\.025"),
    ("centre = [0.0, 0.0], radius = 0.4", "centre = [0.31, 0.29], radius = 0.002",  # between the vertices
     r"cases\[0\] \(c\)\.initial: the disc is empty on the box mesh at h = 0\.025"),
    ('initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }',
     'initial = { shape = "half_space", normal = [1.0, 0.0], offset = 2.0 }', r"\.initial: the half_space covers"),
    ('density = { kind = "constant" }\ninitial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }',
     'density = { kind = "two_gaussians", means = [[0.0, 0.0], [0.0, 0.0]], sigmas = [1.0, 1.0], weights = [0.6, 0.4] }\n'
     'initial = { shape = "bayes" }', r"\.initial: the Bayes classifier \{rho1 > rho0\} is empty"),
    # a density negative only at cell centres of the crossed mesh (x = y = 0.0125 at h = 0.025)
    ('density = { kind = "constant" }',
     'density = { kind = "expression", expr = "1 - 2*exp(-((x - 0.0125)**2 + (y - 0.0125)**2)/1e-6)" }',
     r"cases\[0\] \(c\)\.density: rho0 must be finite and positive on the box mesh at h = 0\.025 "
     r".* at x = \(0\.0125, 0\.0125, 0\)"),
    # a box too fine for this machine: refused with the estimate
    ('h = "eps/4"', "h = 1e-6", r"studies\[0\]\.h: the box \[-1, 1\] x \[-1, 1\] at h = 1e-06 would need about .* GiB \(8e\+12 vertices"),
])
def test_checks_on_the_box_vertices(tmp_path, old, new, match):
    assert old in SUITE
    with pytest.raises(SuiteError, match=match):
        _load(tmp_path, SUITE.replace(old, new))


@pytest.mark.parallel([1, 2])
def test_mesh_files_dimension_resolution_initial_set_and_table_h(base):
    _meshes(base)
    on_file = SUITE.replace('domain = [[-1.0, -1.0], [1.0, 1.0]]', 'mesh = "square.xdmf"').replace('h = "eps/4"\n', "")
    with pytest.raises(SuiteError, match=r"cases\[0\] \(c\)\.mesh = 'cube.xdmf': .*expected a 2D mesh, got 3D"):
        _load(base, on_file.replace("square.xdmf", "cube.xdmf"))
    with pytest.raises(SuiteError, match=r"cases\[0\] \(c\)\.mesh = 'square.xdmf': .*expected a 3D mesh, got 2D"):
        _load(base, on_file.replace("dim = 2", "dim = 3").replace("[0.0, 0.0]", "[0.0, 0.0, 0.0]"))
    with pytest.raises(SuiteError, match=r"studies\[0\]\.eps: eps = 0\.1 is too small for the mesh "
                                         r"\(h_max = 0\.125\): eps/h_max = 0\.8, need >= 4"):
        _load(base, on_file)
    with pytest.raises(SuiteError, match=r"studies\[0\]\.h: case 'c' reads its mesh from square.xdmf: remove h"):
        _load(base, on_file.replace('eps = [0.1, 0.05]', 'eps = [1.0, 0.5]\nh = 0.1').replace("T = 0.1", "T = 1.0"))
    with pytest.raises(SuiteError, match=r"cases\[0\] \(c\)\.initial: the disc is empty on the mesh file square.xdmf"):
        _load(base, on_file.replace("eps = [0.1, 0.05]", "eps = [1.0, 0.5]").replace("T = 0.1", "T = 1.0")
              .replace("[0.0, 0.0]", "[3.0, 0.0]"))
    good = on_file.replace("eps = [0.1, 0.05]", "eps = [1.0, 0.5]").replace("T = 0.1", "T = 1.0")
    doc = run_suite(_load(base, good), base / "out", COMM, schemes=SCHEMES_T)
    assert [r["run"]["h"] for r in doc["runs"]] == [0.125, 0.125]
    if COMM.rank == 0:  # the table's h is the file's h_max, not a rule in eps
        rows = [line.split("|") for line in (base / "out" / "table.md").read_text().splitlines()
                if line.startswith("| probe ")]
        assert [float(r[4]) for r in rows] == [0.125, 0.125], rows
    COMM.barrier()


def test_table_h_is_the_measured_h_max_in_3d(tmp_path):
    text = (SUITE.replace("dim = 2", "dim = 3").replace("[[-1.0, -1.0], [1.0, 1.0]]", "[[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]")
            .replace("centre = [0.0, 0.0]", "centre = [0.0, 0.0, 0.0]").replace("radius = 0.4", "radius = 0.6")
            .replace('eps = [0.1, 0.05]', 'eps = [0.8, 0.4]\nmin_cells_per_eps = 1.5').replace("T = 0.1", "T = 0.8")
            )
    doc = run_suite(_load(tmp_path, text), tmp_path / "out", MPI.COMM_SELF, schemes=SCHEMES_T)
    # the cube's h_max is the cell diagonal sqrt(3) h
    assert [r["mesh"]["h_max"] for r in doc["runs"]] == pytest.approx([0.2 * 3**0.5, 0.1 * 3**0.5], rel=1e-12)
    rows = [line.split("|") for line in (tmp_path / "out" / "table.md").read_text().splitlines()
            if line.startswith("| probe ")]
    assert [float(r[4]) for r in rows] == pytest.approx([0.3464, 0.1732], rel=1e-4), rows


@pytest.mark.parametrize("lower, upper, n, diagonal", [
    ([-1.6013, -1.3], [1.5987, 1.7], [7, 9], "crossed"), ([0, 0], [1, 2], [3, 5], "right"),
    ([-1.5, -1.5, -1.5], [1.5, 1.4, 1.5], [5, 6, 7], "crossed")])
def test_box_plan_is_the_mesh(lower, upper, n, diagonal):
    """The planned vertices are bitwise DOLFINx's (cell centres of the crossed mesh included) and the
    planned h_max is the measured one."""
    msh = box(MPI.COMM_SELF, lower, upper, n=n, diagonal=diagonal)
    plan = box_plan(lower, upper, n=n, diagonal=diagonal, chunk=7)
    x = np.hstack(list(plan.chunks()))
    y = msh.geometry.x.T

    def order(a):
        return a[:, np.lexsort(a[::-1])]

    assert plan.num_vertices == mesh_stats(msh).num_vertices == x.shape[1]
    assert np.array_equal(order(x), order(y))
    assert plan.h_max == pytest.approx(mesh_stats(msh).h_max, rel=1e-14)


def test_shapes_must_have_the_mesh_dimension():
    square = box(MPI.COMM_SELF, [-1, -1], [1, 1], n=4)
    cube = box(MPI.COMM_SELF, [-1, -1, -1], [1, 1, 1], n=2)
    with pytest.raises(ValueError, match=r"disc: centre must have 2 or 3 coordinates, got 1"):
        disc([0], 1.0)
    with pytest.raises(ValueError, match=r"level_set: <3D shape: ball centre \(0, 0, 0.8\), radius 1> on a 2D mesh"):
        level_set(square, disc([0, 0, 0.8], 1.0))
    with pytest.raises(ValueError, match=r"level_set: <2D shape: disc .*> on a 3D mesh: give the shape 3 coordinates"):
        level_set(cube, disc([0, 0], 1.0))
    with pytest.raises(ValueError, match=r"level_set: shape returned values of shape \(\) for 41 points"):
        level_set(square, lambda x: 1.0)
    with pytest.raises(ValueError, match=r"level_set: the first argument must be a dolfinx mesh .*, got ndarray"):
        level_set(np.zeros((3, 3)), disc([0, 0], 1.0))
