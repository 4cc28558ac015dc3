"""Class 3: meshes that crash native code or count twice.  Every mesh file (meshio's formats, gmsh's
``.msh``, DOLFINx's XDMF) is checked before DOLFINx sees it (:mod:`advmcf.meshes.validity`): one
line naming the vertex or cell, on every rank, instead of ``free(): invalid size``, ``MPI_Abort``,
h = nan or a mass counted twice."""

import re

import h5py
import meshio
import numpy as np
import pytest
from mpi4py import MPI

from advmcf.meshes.generate import box, gmsh_mesh
from advmcf.meshes.io import MeshFileError, read_mesh, write_xdmf
from advmcf.meshes.validity import check_simplices

COMM = MPI.COMM_WORLD


def _square():
    """A 2 x 2 square of 8 triangles: points (9, 2), cells (8, 3); vertex 4 is the centre."""
    xs = np.linspace(0.0, 1.0, 3)
    X, Y = np.meshgrid(xs, xs, indexing="ij")
    points = np.stack([X.ravel(), Y.ravel()], axis=1)
    cells = []
    for i in range(2):
        for j in range(2):
            a, b, c, d = 3 * i + j, 3 * (i + 1) + j, 3 * (i + 1) + j + 1, 3 * i + j + 1
            cells += [[a, b, c], [a, c, d]]
    return points, np.array(cells)


def _cube():
    """The unit cube in 6 tetrahedra (Kuhn): points (8, 3), cells (6, 4)."""
    points = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=float)
    cells = np.array([[0, 1, 3, 7], [0, 1, 5, 7], [0, 2, 3, 7], [0, 2, 6, 7], [0, 4, 5, 7], [0, 4, 6, 7]])
    return points, cells


def _edit(fn, base=_square):
    def make():
        p, c = base()
        return fn(p.copy(), c.copy())
    return make


def _set(a, index, value):
    a[index] = value
    return a


BAD_2D = [
    ("repeated vertex", _edit(lambda p, c: (p, _set(c, (0, 1), c[0, 0]))), r"cell 0 repeats a vertex \(0, 0, "),
    ("index out of range", _edit(lambda p, c: (p, _set(c, (3, 2), 9))), r"cell 3 refers to vertex 9, but the vertices"),
    ("negative index", _edit(lambda p, c: (p, _set(c, (5, 0), -1))), r"cell 5 refers to vertex -1"),
    ("NaN coordinate", _edit(lambda p, c: (_set(p, (4, 1), np.nan), c)), r"vertex 4 has a non-finite coordinate"),
    ("Inf coordinate", _edit(lambda p, c: (_set(p, (8, 0), np.inf), c)), r"vertex 8 has a non-finite coordinate"),
    ("every cell twice", _edit(lambda p, c: (p, np.vstack([c, c]))), r"cell (9|1[0-5]) is cell [0-7] again"),
    ("the mesh twice, own vertices", _edit(lambda p, c: (np.vstack([p, p]), np.vstack([c, c + 9]))),
     r"vertices \d+ and \d+ are at one point"),
    ("collinear cell", _edit(lambda p, c: (np.vstack([p, [[2.0, 0.0]]]), np.vstack([c, [[3, 6, 9]]]))),
     r"cell 8 has zero area"),
    ("folded", _edit(lambda p, c: (_set(p, 4, [1.2, 0.5]), c)), r"cells \d and \d overlap \(both lie on one side"),
    ("facet in three cells", _edit(lambda p, c: (np.vstack([p, [[0.2, -0.5], [0.3, -0.2]]]),
                                                 np.vstack([c, [[0, 3, 9], [0, 3, 10]]]))),
     r"the facet \(0, 3\) belongs to cells \d+, 8 and 9"),
    ("a cell laid over the mesh", _edit(lambda p, c: (np.vstack([p, [[0.3, 0.3], [0.7, 0.3], [0.5, 0.7]]]),
                                                      np.vstack([c, [[9, 10, 11]]]))),
     r"cells (8 and \d|\d and 8) overlap \(the centre .* lies inside"),
]

BAD_3D = [
    ("repeated vertex", _edit(lambda p, c: (p, _set(c, (2, 3), c[2, 0])), _cube), r"cell 2 repeats a vertex"),
    ("index out of range", _edit(lambda p, c: (p, _set(c, (1, 1), 8)), _cube), r"cell 1 refers to vertex 8"),
    ("NaN coordinate", _edit(lambda p, c: (_set(p, (7, 2), np.nan), c), _cube), r"vertex 7 has a non-finite"),
    ("every cell twice", _edit(lambda p, c: (p, np.vstack([c, c])), _cube), r"cell (6|7|8|9|10|11) is cell [0-5] again"),
    ("flat tetrahedron", _edit(lambda p, c: (np.vstack([p, [[0.5, 0.5, 0.0]]]), np.vstack([c, [[0, 2, 4, 8]]])),
                               _cube), r"cell 6 has zero volume"),
]


@pytest.mark.parametrize("name, make, match", BAD_2D + BAD_3D, ids=[b[0] + f" {k}" for k, b in
                                                                     enumerate(BAD_2D + BAD_3D)])
def test_bad_arrays(name, make, match):
    with pytest.raises(ValueError, match=match) as info:
        check_simplices(*make(), "m")
    assert "\n" not in str(info.value) and str(info.value).startswith("m: ")


def _write_vtu(path, points, cells):
    kind = "triangle" if cells.shape[1] == 3 else "tetra"
    meshio.write(path, meshio.Mesh(np.hstack([points, np.zeros((len(points), 3 - points.shape[1]))]),
                                   [(kind, cells)]))


def _write_msh(path, points, cells):
    """gmsh's ASCII format 2.2, written by hand so that any array (a bad one too) can be written."""
    kind = 2 if cells.shape[1] == 3 else 4
    p3 = np.hstack([points, np.zeros((len(points), 3 - points.shape[1]))])
    lines = ["$MeshFormat", "2.2 0 8", "$EndMeshFormat", "$Nodes", str(len(p3))]
    lines += [f"{i + 1} {x!r} {y!r} {z!r}" for i, (x, y, z) in enumerate(p3.tolist())]
    lines += ["$EndNodes", "$Elements", str(len(cells))]
    lines += [f"{k + 1} {kind} 2 1 1 " + " ".join(str(v + 1) for v in cell) for k, cell in enumerate(cells)]
    lines += ["$EndElements"]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("fmt", ["vtu", "msh"])
def test_bad_mesh_files_raise_on_every_rank(shared, on_root, fmt):
    """Each bad mesh in a file of each reader's format: one MeshFileError line naming the file, on every rank."""
    cases = [b for b in BAD_2D + BAD_3D if not (fmt == "msh" and "negative" in b[0])]
    paths = [shared / f"bad{k}.{fmt}" for k in range(len(cases))]

    def write():
        for path, (_, make, _) in zip(paths, cases):
            (_write_vtu if fmt == "vtu" else _write_msh)(path, *make())

    on_root(write)
    for path, (name, _, match) in zip(paths, cases):
        if fmt == "msh":  # gmsh's own numbers may differ: the problem, not the numbers
            match = rf"mesh file .*{path.name}: .*{_KIND[name]}"
        with pytest.raises(MeshFileError, match=match if fmt == "msh" else f"mesh file .*{path.name}: {match}"):
            read_mesh(COMM, path)


#: What a message says about each bad mesh, whatever its numbers.
_KIND = {"repeated vertex": "repeats a vertex", "index out of range": "(refers to vertex|vertex the file does not have)",
         "NaN coordinate": "non-finite coordinate", "Inf coordinate": "non-finite coordinate",
         "every cell twice": "is cell .* again", "the mesh twice, own vertices": "are at one point",
         "collinear cell": "zero area", "folded": "overlap", "facet in three cells": "belongs to cells",
         "a cell laid over the mesh": "overlap", "flat tetrahedron": "zero volume"}


@pytest.mark.parallel([1, 2])
def test_bad_dolfinx_xdmf(shared, on_root):
    """A DOLFINx XDMF file whose .h5 was edited: checked before DOLFINx reads it."""
    msh = box(COMM, [0, 0], [1, 1], n=3)
    write_xdmf(shared / "m.xdmf", msh)
    edits = [("repeat", lambda t, g: _set(t, (0, 1), t[0, 0]), r"cell 0 repeats a vertex"),
             ("range", lambda t, g: _set(t, (2, 2), 10**6), r"cell 2 refers to vertex 1000000"),
             ("negative", lambda t, g: _set(t, (2, 2), -3), r"cell 2 refers to vertex -3"),
             ("nan", lambda t, g: (_set(g, (1, 0), np.nan), t)[1], r"vertex 1 has a non-finite coordinate")]

    def write():
        for name, edit, _ in edits:
            text = (shared / "m.xdmf").read_text().replace("m.h5", f"{name}.h5")
            (shared / f"{name}.xdmf").write_text(text)
            (shared / f"{name}.h5").write_bytes((shared / "m.h5").read_bytes())
            with h5py.File(shared / f"{name}.h5", "r+") as f:
                t, g = f["/Mesh/mesh/topology"][()], f["/Mesh/mesh/geometry"][()]
                edit(t, g)
                f["/Mesh/mesh/topology"][...] = t
                f["/Mesh/mesh/geometry"][...] = g

    on_root(write)
    for name, _, match in edits:
        with pytest.raises(MeshFileError, match=rf"mesh file .*{name}.xdmf: {match}"):
            read_mesh(COMM, shared / f"{name}.xdmf")
    assert read_mesh(COMM, shared / "m.xdmf").topology.index_map(2).size_global == 36


@pytest.mark.parametrize("make", [
    lambda: box(MPI.COMM_SELF, [0, 0], [1, 1], n=16),
    lambda: box(MPI.COMM_SELF, [0, 0, 0], [1, 1, 1], n=5),
    lambda: gmsh_mesh(MPI.COMM_SELF, "disc", 0.1, centre=[0, 0], radius=1, algorithm="delaunay"),
    lambda: gmsh_mesh(MPI.COMM_SELF, "box", 0.1, lower=[0, 0], upper=[1, 1], algorithm="delaunay",
                      band=([0.5, 0.5], 0.3, 0.05, 0.02)),
    lambda: gmsh_mesh(MPI.COMM_SELF, "ball", 0.3, centre=[0, 0, 0], radius=1),
], ids=["crossed", "box3d", "delaunay disc", "delaunay banded box", "gmsh ball"])
def test_good_meshes_pass(make):
    msh = make()
    check_simplices(msh.geometry.x[:, : msh.geometry.dim], msh.geometry.dofmaps[0], "m")


def test_bad_mesh_on_the_command_line(tmp_path, cli, one_line, good):
    """``advmcf mesh info`` and a suite's ``mesh = ...``: one line, exit 2."""
    for k, (name, make, match) in enumerate(BAD_2D[:5]):
        _write_vtu(tmp_path / f"b{k}.vtu", *make())
        one_line(cli(["mesh", "info", tmp_path / f"b{k}.vtu"]), rf"advmcf mesh: error: mesh file .*b{k}.vtu: {match}")
    suite = good.replace('domain = [[-1.0, -1.0], [1.0, 1.0]]', 'mesh = "b0.vtu"').replace('h = "eps/4"\n', "")
    (tmp_path / "suite.toml").write_text(suite)
    lines = cli(["run", tmp_path / "suite.toml", "-q", "-o", tmp_path / "out"])
    assert lines and all(line.startswith("advmcf") for line in lines), lines
    assert any(re.search(r"cases\[0\] \(c\)\.mesh.*cell 0 repeats a vertex", line) for line in lines), lines
    assert not (tmp_path / "out").exists()
