"""Mesh files (meshio round trips, bad files), gmsh meshes and the ``advmcf mesh`` command."""

import argparse
import tempfile
from pathlib import Path

import dolfinx
import meshio
import numpy as np
import pytest
import ufl
from mpi4py import MPI

from advmcf.meshes.cli import add_mesh_parser, run_mesh_command
from advmcf.meshes.generate import box, gmsh_mesh
from advmcf.meshes.io import MeshFileError, read_mesh, write_xdmf
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.meshes.stats import mesh_stats

COMM = MPI.COMM_WORLD


@pytest.fixture
def shared_dir():
    """A directory every rank sees (pytest's tmp_path differs per rank)."""
    path = tempfile.mkdtemp(prefix="advmcf-") if COMM.rank == 0 else None
    return Path(COMM.bcast(path, root=0))


def _measure(msh):
    value = dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * ufl.dx(domain=msh)))
    return msh.comm.allreduce(value, op=MPI.SUM)


def _write_on_root(fn):
    if COMM.rank == 0:
        fn()
    COMM.barrier()


def _unit_square_and_cube():
    """Small meshio meshes: the unit square (4 triangles, z = 0) and the unit cube (6 tetrahedra)."""
    sq = meshio.Mesh(np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0.5, 0.5, 0]], float),
                     [("triangle", np.array([[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4]]))])
    corners = np.array([[i & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], float)
    tets = np.array([[0, 1, 3, 7], [0, 1, 5, 7], [0, 2, 3, 7], [0, 2, 6, 7], [0, 4, 5, 7], [0, 4, 6, 7]])
    return sq, meshio.Mesh(corners, [("tetra", tets)])


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("ext", ["msh", "vtu", "xdmf"])
def test_meshio_round_trip(shared_dir, ext):
    square, cube = _unit_square_and_cube()
    kwargs = {"msh": {"file_format": "gmsh22"}, "xdmf": {"compression": None}}.get(ext, {})
    for name, mesh, gdim, cells, vertices in (("sq", square, 2, 4, 5), ("cube", cube, 3, 6, 8)):
        path = shared_dir / f"{name}.{ext}"
        _write_on_root(lambda: meshio.write(path, mesh, **kwargs))
        msh = read_mesh(COMM, path, gdim=gdim)
        s = mesh_stats(msh)
        assert (msh.geometry.dim, s.num_cells, s.num_vertices) == (gdim, cells, vertices)
        assert _measure(msh) == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parallel([1, 2])
def test_dolfinx_xdmf_round_trip(shared_dir):
    msh = box(COMM, [0, 0], [2, 1], n=[8, 4])
    phi = level_set(msh, disc([1.0, 0.5], 0.3))  # a function in the file: meshio alone cannot read it
    write_xdmf(shared_dir / "box.xdmf", msh, [phi])
    back = read_mesh(COMM, shared_dir / "box.xdmf")
    assert mesh_stats(back) == mesh_stats(msh)
    assert _measure(back) == pytest.approx(2.0, rel=1e-14)


@pytest.mark.parallel([1, 2])
def test_bad_files_get_one_line_errors(shared_dir):
    square, _ = _unit_square_and_cube()
    lines = meshio.Mesh(square.points, [("line", np.array([[0, 1], [1, 2]]))])

    def write():
        (shared_dir / "garbage.msh").write_text("this is not a mesh\n")
        (shared_dir / "garbage.vtu").write_text("<VTKFile>\n")
        meshio.write(shared_dir / "lines.vtu", lines)
        meshio.write(shared_dir / "sq.vtu", square)

    _write_on_root(write)
    cases = [("missing.msh", "no such file"), ("garbage.msh", "does not parse"),
             ("garbage.vtu", "does not parse"), ("lines.vtu", "has no triangles or tetrahedra")]
    for name, problem in cases:
        with pytest.raises(MeshFileError, match=rf"mesh file .*{name}: {problem}") as err:
            read_mesh(COMM, shared_dir / name)
        assert "\n" not in str(err.value)
    with pytest.raises(MeshFileError, match="sq.vtu: wrong dimension, expected a 3D mesh, got 2D"):
        read_mesh(COMM, shared_dir / "sq.vtu", gdim=3)


@pytest.mark.parallel([1, 2])
def test_gmsh_disc_area_converges_and_band_is_refined():
    errors = []
    for h in (0.2, 0.1, 0.05):
        errors.append(np.pi - _measure(gmsh_mesh(COMM, "disc", h, centre=[0, 0], radius=1.0)))
    # the inscribed polygon loses O(h^2) of the area
    assert all(e > 0 for e in errors)
    order = np.polyfit(np.log([0.2, 0.1, 0.05]), np.log(errors), 1)[0]
    assert order > 1.8, f"gmsh disc area: observed order {order:.2f} (errors {errors})"
    s = mesh_stats(gmsh_mesh(COMM, "box", 0.1, lower=[-1, -1], upper=[1, 1], band=([0, 0], 0.5, 0.05, 0.01)))
    assert s.h_min < 0.015 and 0.09 < s.h_max < 0.2, s
    ball = gmsh_mesh(COMM, "ball", 0.25, centre=[0, 0, 0], radius=1.0)
    assert _measure(ball) == pytest.approx(4 / 3 * np.pi, rel=0.1)


def test_gmsh_bad_arguments():
    with pytest.raises(ValueError, match="kind must be"):
        gmsh_mesh(MPI.COMM_SELF, "torus", 0.1)
    with pytest.raises(ValueError, match="positive radius"):
        gmsh_mesh(MPI.COMM_SELF, "disc", 0.1, centre=[0, 0], radius=-1.0)
    with pytest.raises(ValueError, match="h_fine"):
        gmsh_mesh(MPI.COMM_SELF, "disc", 0.1, centre=[0, 0], radius=1.0, band=([0, 0], 0.5, 0.1, 0.5))


def _cli(argv):
    parser = argparse.ArgumentParser()
    add_mesh_parser(parser.add_subparsers(dest="command"))
    return run_mesh_command(parser.parse_args(argv), COMM)


@pytest.mark.parallel([1, 2])
def test_mesh_command(shared_dir, capsys):
    out = str(shared_dir / "disc.xdmf")
    assert _cli(["mesh", "disc", "--centre", "0", "0", "--radius", "1", "--h", "0.2", "-o", out]) == 0
    expected = mesh_stats(read_mesh(COMM, out))
    capsys.readouterr()
    assert _cli(["mesh", "info", out]) == 0
    printed = capsys.readouterr().out
    if COMM.rank == 0:
        assert f"{expected.num_vertices} vertices, {expected.num_cells} cells" in printed
    assert _cli(["mesh", "info", str(shared_dir / "nothing.msh")]) == 2
    assert _cli(["mesh", "box", "--lower", "0", "0", "--upper", "1", "1", "--h", "0.1", "-o", "x.vtu"]) == 2


def _tagged_square_model(gmsh, groups=True, recombine=False):
    """On rank 0: the unit square split by a disc (r = 0.25 about the centre), meshed at h = 0.05;
    physical groups 'inner' (11), 'outer' (12) and the square's sides 'walls' (5)."""
    gmsh.model.add("tagged")
    occ = gmsh.model.occ
    square, disk = occ.addRectangle(0, 0, 0, 1, 1), occ.addDisk(0.5, 0.5, 0, 0.25, 0.25)
    occ.fragment([(2, square)], [(2, disk)])
    occ.synchronize()
    surfaces = [t for _, t in gmsh.model.getEntities(2)]
    inner = [t for t in surfaces if abs(gmsh.model.occ.getMass(2, t) - np.pi / 16) < 1e-6]
    outer = [t for t in surfaces if t not in inner]
    if groups:
        gmsh.model.addPhysicalGroup(2, inner, 11, name="inner")
        gmsh.model.addPhysicalGroup(2, outer, 12, name="outer")
        sides = [t for _, t in gmsh.model.getEntities(1)
                 if gmsh.model.occ.getMass(1, t) == pytest.approx(1.0)]
        gmsh.model.addPhysicalGroup(1, sides, 5, name="walls")
    gmsh.option.setNumber("Mesh.MeshSizeMax", 0.05)
    if recombine:
        gmsh.option.setNumber("Mesh.RecombineAll", 1)
    gmsh.model.mesh.generate(2)
    return gmsh.model


def _tag_measures(data):
    """Area of cell tag 11, area of 12, length of facet tag 5 (global)."""
    msh = data.mesh
    dx = ufl.Measure("dx", domain=msh, subdomain_data=data.cell_tags)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=data.facet_tags)
    forms = [1.0 * dx(11), 1.0 * dx(12), 1.0 * ds(5)]
    return [msh.comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(f)), op=MPI.SUM) for f in forms]


@pytest.mark.parallel([1, 2])
def test_gmsh_model_and_msh_file_keep_their_physical_groups(shared_dir):
    """A gmsh model in memory and the .msh file it writes read through DOLFINx's reader with their cell
    and facet tags; 'advmcf mesh convert' keeps the tags in the XDMF file."""
    import gmsh

    from advmcf.meshes.io import read_gmsh

    path = shared_dir / "tagged.msh"
    if COMM.rank == 0:
        gmsh.initialize(interruptible=False)
        gmsh.option.setNumber("General.Terminal", 0)
        model = _tagged_square_model(gmsh)
    try:
        from_model = read_gmsh(COMM, model if COMM.rank == 0 else None, gdim=2)
        if COMM.rank == 0:
            gmsh.write(str(path))
    finally:
        if COMM.rank == 0:
            gmsh.finalize()
    COMM.barrier()
    from_file = read_gmsh(COMM, path)
    for data in (from_model, from_file):
        assert data.mesh.geometry.dim == 2
        assert {k: (g.dim, g.tag) for k, g in data.physical_groups.items()} == {
            "inner": (2, 11), "outer": (2, 12), "walls": (1, 5)}
        inner, outer, walls = _tag_measures(data)
        # an inscribed polygon of ~32 sides: pi r^2 (1 - O(h^2/r^2)); the two tags tile the square
        assert inner == pytest.approx(np.pi / 16, rel=1e-2) and inner + outer == pytest.approx(1.0, rel=1e-12)
        assert walls == pytest.approx(4.0, rel=1e-12)
    assert mesh_stats(read_mesh(COMM, path)).num_cells == mesh_stats(from_file.mesh).num_cells
    out = shared_dir / "tagged.xdmf"
    assert _cli(["mesh", "convert", str(path), "-o", str(out)]) == 0
    with dolfinx.io.XDMFFile(COMM, str(out), "r") as f:
        msh = f.read_mesh(name="mesh")
        msh.topology.create_connectivity(1, 2)
        cells, facets = f.read_meshtags(msh, name="cell_tags"), f.read_meshtags(msh, name="facet_tags")
    n11 = COMM.allreduce(int(np.sum(cells.values[cells.indices < msh.topology.index_map(2).size_local] == 11)))
    assert n11 == COMM.allreduce(int(np.sum(from_file.cell_tags.values[
        from_file.cell_tags.indices < from_file.mesh.topology.index_map(2).size_local] == 11)))
    assert set(COMM.allreduce(facets.values.tolist())) == {5}


@pytest.mark.parallel([1, 2])
def test_gmsh_without_groups_reads_and_quads_are_refused():
    import gmsh

    from advmcf.meshes.io import read_gmsh

    for groups, recombine in ((False, False), (True, True)):
        if COMM.rank == 0:
            gmsh.initialize(interruptible=False)
            gmsh.option.setNumber("General.Terminal", 0)
            model = _tagged_square_model(gmsh, groups=groups, recombine=recombine)
        try:
            if recombine:
                with pytest.raises(MeshFileError, match="gmsh model: has Quadrilateral 4 cells; advmcf needs "
                                                        "triangles of order 1"):
                    read_gmsh(COMM, model if COMM.rank == 0 else None)
            else:
                data = read_gmsh(COMM, model if COMM.rank == 0 else None)
                assert data.physical_groups == {"domain": (2, 1)} and _measure(data.mesh) == pytest.approx(1.0)
        finally:
            if COMM.rank == 0:
                gmsh.finalize()
