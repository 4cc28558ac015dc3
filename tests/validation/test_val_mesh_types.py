"""Cases on gmsh meshes of their box (``mesh_type``): the mesh a run gets, the plan the checks see, and
the errors for an unknown type or a type beside a mesh file."""

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.meshes.stats import mesh_stats
from advmcf.validation.case_tables import make_case

CASE = {"name": "c", "dim": 2, "domain": [[-1.0, -1.0], [1.0, 1.0]], "T": 0.1, "density": {"kind": "constant"},
        "initial": {"shape": "disc", "centre": [0.0, 0.0], "radius": 0.5}}


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("mesh_type", ["crossed", "gmsh", "gmsh_delaunay"])
def test_mesh_types_make_their_mesh(mesh_type):
    """The run's mesh has the plan's vertex count and h_max (the checks saw that mesh); the gmsh types
    are unstructured (vertices of 5 to 7 cells, not the crossed mesh's 4 and 8)."""
    case = make_case({**CASE, "mesh_type": mesh_type}, None)
    h = 0.1
    msh = case.mesh(MPI.COMM_WORLD, h)
    plan = case.plan(h)
    stats = mesh_stats(msh)
    assert stats.num_vertices == plan.num_vertices and stats.h_max == pytest.approx(plan.h_max, rel=1e-12)
    whole = case.mesh(MPI.COMM_SELF, h)  # vertex degrees need every cell of a vertex on one rank
    whole.topology.create_connectivity(0, 2)
    degree = np.diff(whole.topology.connectivity(0, 2).offsets)
    interior = degree[degree >= 5]
    share_6 = np.count_nonzero(interior == 6) / interior.size
    if mesh_type == "crossed":
        assert share_6 == 0.0
    else:
        assert share_6 > 0.3, share_6


@pytest.mark.parametrize("change, match", [
    ({"mesh_type": "voronoi"}, r"mesh_type = 'voronoi': unknown \(known: crossed, gmsh, gmsh_delaunay\)"),
    ({"mesh_type": "gmsh", "domain": None, "mesh": "missing.msh"}, r"mesh_type: only with 'domain'"),
])
def test_bad_mesh_types(change, match, tmp_path):
    spec = {**CASE, **change}
    spec = {k: v for k, v in spec.items() if v is not None}
    with pytest.raises(ValueError, match=match):
        make_case(spec, tmp_path)


def test_the_meshes_suite_names_every_mesh_type():
    """The built-in ``meshes`` suite (loading it makes every gmsh mesh: minutes, so only its cases are read
    here) runs the same cases on every mesh type in 2D and on structured and Delaunay tetrahedra in 3D."""
    import tomllib
    from importlib import resources

    data = tomllib.loads((resources.files("advmcf.validation") / "suites" / "meshes.toml").read_text())
    cases = [make_case(spec, None) for spec in data["cases"]]
    assert {c.mesh_type for c in cases if c.dim == 2} == {"crossed", "gmsh", "gmsh_delaunay"}
    assert {c.mesh_type for c in cases if c.dim == 3} == {"crossed", "gmsh_delaunay"}
    assert {st["case"] for st in data["studies"]} == {c.name for c in cases}
