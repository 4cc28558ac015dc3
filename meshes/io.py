"""Mesh files: gmsh files and models, anything meshio reads, DOLFINx's XDMF; export to XDMF and VTX.

- gmsh (``.msh`` files and gmsh models in memory, :func:`read_gmsh`) is
  read by DOLFINx's own reader (:func:`dolfinx.io.gmsh.model_to_mesh`),
  which keeps the physical groups as cell and facet tags;
- XDMF written by DOLFINx is read by DOLFINx;
- every other format by meshio (:func:`read_mesh`).

Reading happens on rank 0, checks run there (the file's points and cells by
:func:`advmcf.meshes.validity.check_simplices`, before DOLFINx sees them),
and the outcome is broadcast before the collective mesh creation, so a bad
file raises the same one-line :class:`MeshFileError` on every rank.
"""

from __future__ import annotations

import contextlib
import io as io_
import shutil
from pathlib import Path

import basix.ufl
import dolfinx
import numpy as np
import ufl
from dolfinx import io
from mpi4py import MPI

from advmcf.meshes.mpi import on_root

__all__ = ["MeshFileError", "read_mesh", "read_gmsh", "write_xdmf", "write_time_series"]

_SIMPLEX = {2: ("triangle", "triangle"), 3: ("tetra", "tetrahedron")}


class MeshFileError(ValueError):
    """A mesh file that cannot be used; the message names the file and the problem."""


def _check_file(path: Path, what: str = "mesh file") -> None:
    """MeshFileError unless ``path`` is a regular file no larger than
    :func:`advmcf.meshes.memory.mesh_file_limit` (a device or a pipe would be read forever, a file too
    large until memory runs out)."""
    from advmcf.meshes.files import check_regular_file
    from advmcf.meshes.memory import mesh_file_limit

    if not path.exists():
        raise MeshFileError(f"{what} {path}: no such file")
    try:
        check_regular_file(path, mesh_file_limit(), what)
    except (OSError, ValueError) as err:
        raise MeshFileError(str(err) if isinstance(err, ValueError) else f"{what} {path}: cannot read "
                            f"({err.strerror})") from None


def _load(path: Path, gdim: int | None):
    """Rank-0 part of :func:`read_mesh`: (points (n, gdim), cells (m, tdim+1), tdim)."""
    import meshio

    _check_file(path)
    chatter = io_.StringIO()
    try:
        with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            data = meshio.read(path)
    # meshio raises many types, and SystemExit for an unknown format: all mean "does not parse"
    except (Exception, SystemExit) as err:
        lines = [ln.strip() for ln in (str(err) + "\n" + chatter.getvalue()).splitlines() if ln.strip()]
        reason = next((ln for ln in lines if not ln.isdigit()), type(err).__name__)
        if isinstance(err, (IndexError, KeyError)):
            reason = f"a cell refers to a vertex the file does not have: {reason}"
        raise MeshFileError(f"mesh file {path}: does not parse ({reason})") from None
    blocks = {b.type: b.data for b in data.cells}
    tdim = 3 if "tetra" in blocks else 2 if "triangle" in blocks else None
    if tdim is None:
        found = ", ".join(sorted(blocks)) or "no cells"
        raise MeshFileError(f"mesh file {path}: has no triangles or tetrahedra (found {found})")
    cells = np.concatenate([d for t, d in ((b.type, b.data) for b in data.cells) if t == _SIMPLEX[tdim][0]])
    x = np.asarray(data.points, dtype=float)
    if tdim == 2 and x.shape[1] == 3:
        if np.abs(x[:, 2]).max(initial=0.0) > 0:
            raise MeshFileError(f"mesh file {path}: triangles in 3D space (z != 0) are not a planar mesh")
        x = x[:, :2]
    if x.shape[1] != tdim:
        raise MeshFileError(f"mesh file {path}: {_SIMPLEX[tdim][1]} cells with {x.shape[1]}D points")
    if gdim is not None and gdim != tdim:
        raise MeshFileError(f"mesh file {path}: wrong dimension, expected a {gdim}D mesh, got {tdim}D")
    _check_cells(x, cells, path)
    used = np.unique(cells)
    if used.size < x.shape[0]:  # drop points no cell uses (gmsh keeps geometry points)
        renumber = np.full(x.shape[0], -1, dtype=np.int64)
        renumber[used] = np.arange(used.size)
        x, cells = x[used], renumber[cells]
    return x, cells.astype(np.int64), tdim


def _check_cells(x, cells, path) -> None:
    """:func:`advmcf.meshes.validity.check_simplices` as a MeshFileError naming the file (before DOLFINx
    sees the arrays: it aborts the process on a repeated or out-of-range vertex)."""
    from advmcf.meshes.validity import check_simplices

    try:
        check_simplices(x, cells, f"mesh file {path}")
    except ValueError as err:
        raise MeshFileError(str(err)) from None


def _is_dolfinx_xdmf(path: Path) -> bool:
    """Whether an XDMF file holds a grid named "mesh" (as DOLFINx writes it, possibly with functions)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return False  # meshio will say what is wrong
    return any(g.get("Name") == "mesh" for g in root.iter("Grid"))


#: gmsh element types advmcf reads as cells: 3-node triangles and 4-node tetrahedra.
_GMSH_SIMPLEX = {2: 2, 3: 4}


def _prepare_gmsh_model(model, what: str, gdim: int | None) -> int:
    """Rank-0 part of :func:`read_gmsh`: check the model's cells, give it a physical group for its
    cells if it has none, and return the geometric dimension of the mesh."""
    types = {d: list(model.mesh.getElementTypes(d)) for d in (3, 2, 1)}
    tdim = next((d for d in (3, 2) if types[d]), None)
    if tdim is None:
        raise MeshFileError(f"{what}: has no 2D or 3D cells (generate the mesh first: gmsh.model.mesh.generate)")
    other = [t for t in types[tdim] if t != _GMSH_SIMPLEX[tdim]]
    if other:
        name = model.mesh.getElementProperties(other[0])[0]
        raise MeshFileError(f"{what}: has {name} cells; advmcf needs {_SIMPLEX[tdim][1]}s of order 1 "
                            "(set Mesh.ElementOrder = 1 and no recombination)")
    entities = {tag for _, tag in model.getEntities(tdim)}
    groups = [tag for d, tag in model.getPhysicalGroups() if d == tdim]
    covered = {e for g in groups for e in model.getEntitiesForPhysicalGroup(tdim, g)}
    if not groups:  # DOLFINx builds the mesh from physical groups: one for all cells
        model.addPhysicalGroup(tdim, sorted(entities), tag=1, name="domain")
    elif covered != entities:
        raise MeshFileError(f"{what}: the physical groups of dimension {tdim} leave {len(entities - covered)} of "
                            f"{len(entities)} {tdim}D entities out: put every cell in a group, or none")
    if tdim == 3:
        geometric = 3
    else:
        z = model.mesh.getNodes()[1].reshape(-1, 3)[:, 2]
        if z.size and np.abs(z).max() > 0:
            raise MeshFileError(f"{what}: triangles in 3D space (z != 0) are not a planar mesh")
        geometric = 2
    if gdim is not None and gdim != geometric:
        raise MeshFileError(f"{what}: wrong dimension, expected a {gdim}D mesh, got {geometric}D")
    _check_gmsh_cells(model, tdim, geometric, what)
    return geometric


def _check_gmsh_cells(model, tdim: int, gdim: int, what: str) -> None:
    """The model's nodes and cells checked (:func:`advmcf.meshes.validity.check_simplices`), named by
    gmsh's node and element tags."""
    from advmcf.meshes.validity import check_simplices

    tags, coords, _ = model.mesh.getNodes()
    elements, nodes = model.mesh.getElementsByType(_GMSH_SIMPLEX[tdim])
    tags, nodes = np.asarray(tags, dtype=np.int64), np.asarray(nodes, dtype=np.int64)
    order = np.argsort(tags)
    pos = np.minimum(np.searchsorted(tags[order], nodes), max(tags.size - 1, 0))
    missing = tags.size == 0 or not np.array_equal(tags[order][pos], nodes)
    if missing:
        j = int(np.argmax(tags[order][pos] != nodes)) if tags.size else 0
        raise MeshFileError(f"{what}: element {int(elements[j // (tdim + 1)])} refers to node {int(nodes[j])}, "
                            "which the mesh does not have")
    cells = order[pos].reshape(-1, tdim + 1)
    try:
        check_simplices(np.asarray(coords).reshape(-1, 3)[:, :gdim], cells, what, vertex_ids=tags,
                        cell_ids=np.asarray(elements))
    except ValueError as err:
        raise MeshFileError(str(err)) from None


def read_gmsh(comm: MPI.Comm, source, gdim: int | None = None):
    """A mesh with its cell and facet tags from gmsh, distributed over ``comm`` (collective).

    Args:
        comm: the communicator of the mesh.
        source: a ``.msh`` file, or a gmsh model in memory (``gmsh.model``
            after ``gmsh.model.mesh.generate``; only rank 0 needs it, the
            others may pass None).
        gdim: the expected dimension (checked), or None.

    Returns:
        :class:`dolfinx.io.gmsh.MeshData`: ``mesh``, ``cell_tags`` (the
        physical groups of the cells), ``facet_tags`` (those of the facets),
        ``physical_groups`` (name -> (dim, tag)).  Read by DOLFINx's
        :func:`dolfinx.io.gmsh.model_to_mesh`.  A model without physical
        groups for its cells gets one (``domain``, tag 1, added to the
        model), so any mesh reads; a triangle mesh with z = 0 is 2D.

    Raises :class:`MeshFileError` on every rank if the file is missing or
    does not parse, or the mesh is not made of affine triangles or
    tetrahedra, its cells are partly in physical groups, or the dimension is
    not ``gdim``.
    """
    from dolfinx.io import gmsh as gmshio

    import gmsh

    is_file = isinstance(source, (str, Path))
    what = f"mesh file {source}" if is_file else "gmsh model"
    opened = []

    def prepare():
        if is_file:
            path = Path(source)
            _load(path, gdim)  # meshio reads and checks it first: gmsh crashes on a node number out of range
            if not gmsh.isInitialized():
                gmsh.initialize(interruptible=False)
                opened.append("session")
            else:
                opened.append(gmsh.model.getCurrent())
            gmsh.option.setNumber("General.Terminal", 0)
            gmsh.model.add(f"advmcf:{path.name}")
            try:
                gmsh.merge(str(path))
            except Exception as err:  # gmsh raises a bare Exception with its own message
                raise MeshFileError(f"{what}: does not parse ({str(err).splitlines()[0] if str(err) else 'gmsh'})")
            model = gmsh.model
        else:
            model = source
            if model is None:
                raise MeshFileError("read_gmsh: rank 0 must hold the gmsh model, got None")
        return _prepare_gmsh_model(model, what, gdim)

    def close():
        if comm.rank != 0 or not opened:
            return
        if opened[0] == "session":
            gmsh.finalize()
        else:
            gmsh.model.remove()
            if opened[0]:
                gmsh.model.setCurrent(opened[0])

    try:
        geometric = on_root(comm, prepare)
        model = (gmsh.model if is_file else source) if comm.rank == 0 else None
        return gmshio.model_to_mesh(model, comm, 0, gdim=geometric)
    finally:
        close()


def _check_heavy_data(path: Path) -> None:
    """MeshFileError unless every HDF5 data file an XDMF file refers to exists and reads whole
    (DOLFINx would print pages of HDF5 diagnostics instead)."""
    import xml.etree.ElementTree as ET

    import h5py

    items = [i for i in ET.parse(path).getroot().iter("DataItem") if i.get("Format") == "HDF"]
    for item in items:
        name, _, dataset = (item.text or "").strip().partition(":")
        h5 = path.parent / name
        if not h5.exists():
            raise MeshFileError(f"mesh file {path}: its data file {name} is missing (an XDMF file keeps its "
                                "data in the .h5 file beside it: copy both)")
        _check_file(h5, f"the data file of mesh file {path.name}:")
        try:
            with h5py.File(h5, "r") as f:
                f[dataset][()]
        except Exception as err:  # h5py raises OSError, KeyError, ...: all mean "damaged"
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise MeshFileError(f"mesh file {path}: its data file {name} cannot be read (truncated or "
                                f"damaged: {reason})") from None


def _xdmf_array(item, folder: Path) -> np.ndarray:
    """The array of an XDMF DataItem: HDF (``file.h5:/dataset``) or inline XML numbers."""
    import h5py

    shape = tuple(int(v) for v in (item.get("Dimensions") or "").split())
    if item.get("Format") == "HDF":
        name, _, dataset = (item.text or "").strip().partition(":")
        with h5py.File(folder / name, "r") as f:
            a = np.asarray(f[dataset][()])
    else:
        a = np.array((item.text or "").split(), dtype=float if item.get("NumberType") != "Int" else np.int64)
    return a.reshape(shape) if shape and a.size == int(np.prod(shape)) else a


def _check_xdmf_cells(path: Path) -> None:
    """The points and cells of the grid "mesh" of a DOLFINx XDMF file, checked
    (:func:`advmcf.meshes.validity.check_simplices`) before DOLFINx reads them."""
    import xml.etree.ElementTree as ET

    from advmcf.meshes.validity import check_simplices

    grid = next(g for g in ET.parse(path).getroot().iter("Grid") if g.get("Name") == "mesh")
    topology, geometry = grid.find("Topology"), grid.find("Geometry")
    if topology is None or geometry is None or topology.find("DataItem") is None \
            or geometry.find("DataItem") is None:
        raise MeshFileError(f"mesh file {path}: the grid 'mesh' has no Topology or Geometry data")
    kind = (topology.get("TopologyType") or "").lower()
    if kind not in ("triangle", "tetrahedron"):
        raise MeshFileError(f"mesh file {path}: has {kind or 'no'} cells; advmcf needs triangles or tetrahedra")
    cells = _xdmf_array(topology.find("DataItem"), path.parent)
    x = _xdmf_array(geometry.find("DataItem"), path.parent)
    tdim = 2 if kind == "triangle" else 3
    if x.ndim == 2 and x.shape[1] == 3 and tdim == 2:
        if np.abs(x[:, 2]).max(initial=0.0) > 0:
            raise MeshFileError(f"mesh file {path}: triangles in 3D space (z != 0) are not a planar mesh")
        x = x[:, :2]
    try:
        check_simplices(x, cells, f"mesh file {path}")
    except ValueError as err:
        raise MeshFileError(str(err)) from None


def read_mesh(comm: MPI.Comm, path, gdim: int | None = None) -> dolfinx.mesh.Mesh:
    """Read a triangle (2D) or tetrahedron (3D) mesh file, distributed over ``comm``.

    ``.msh`` files are read by DOLFINx's gmsh reader (:func:`read_gmsh`; use
    it directly for the cell and facet tags), XDMF files written by DOLFINx
    (a grid named "mesh", possibly followed by functions) by DOLFINx, every
    other file by meshio.  A planar mesh stored with z = 0 becomes a 2D mesh.
    With ``gdim`` the dimension is checked.  Raises :class:`MeshFileError`
    on every rank if the file is missing, does not parse, has no triangles
    or tetrahedra, has the wrong dimension, (XDMF) its .h5 data file is
    missing or damaged, or its points and cells are not a valid mesh
    (:func:`advmcf.meshes.validity.check_simplices`: checked on rank 0
    before DOLFINx sees them, whichever reader is used).
    """
    if not isinstance(path, (str, Path)):
        raise MeshFileError(f"read_mesh: path must be a file name, got {path!r}")
    path = Path(path)
    if path.suffix == ".msh":
        return read_gmsh(comm, path, gdim).mesh
    on_root(comm, _check_file, path)
    if path.suffix == ".xdmf" and on_root(comm, _is_dolfinx_xdmf, path):
        on_root(comm, _check_heavy_data, path)
        on_root(comm, _check_xdmf_cells, path)
        with io.XDMFFile(comm, str(path), "r") as f:  # meshio reads one grid only
            msh = f.read_mesh(name="mesh")
        if gdim is not None and msh.geometry.dim != gdim:
            raise MeshFileError(f"mesh file {path}: wrong dimension, expected a {gdim}D mesh, "
                                f"got {msh.geometry.dim}D")
        return msh
    loaded = on_root(comm, _load, path, gdim, broadcast=False)
    tdim = comm.bcast(loaded[2] if comm.rank == 0 else None, root=0)
    if comm.rank == 0:
        x, cells, _ = loaded
    else:
        x, cells = np.zeros((0, tdim)), np.zeros((0, tdim + 1), dtype=np.int64)
    cell = _SIMPLEX[tdim][1]
    element = ufl.Mesh(basix.ufl.element("Lagrange", cell, 1, shape=(tdim,)))
    return dolfinx.mesh.create_mesh(comm, cells, element, x)


def write_xdmf(path, msh: dolfinx.mesh.Mesh, functions=(), t: float = 0.0, tags=()) -> None:
    """Write the mesh, P1 ``functions`` and mesh ``tags`` (cell or facet MeshTags, e.g. from
    :func:`read_gmsh`; None entries are skipped) to an XDMF file (collective), for ParaView and DOLFINx.

    A path that cannot be written raises ValueError (one line, every rank) before HDF5 is touched.
    """
    from advmcf.meshes import checks

    on_root(msh.comm, checks.writable_file, "write_xdmf:", path)
    tags = [m for m in tags if m is not None]
    if any(m.dim != msh.topology.dim for m in tags):
        msh.topology.create_connectivity(msh.topology.dim - 1, msh.topology.dim)
    with io.XDMFFile(msh.comm, str(path), "w") as f:
        f.write_mesh(msh)
        for m in tags:
            f.write_meshtags(m, msh.geometry)
        for u in functions:
            f.write_function(u, t)


def write_time_series(path, times, series: dict, static: dict | None = None, fmt: str = "vtx") -> Path:
    """Write P1 functions on one mesh at ``times`` as one ParaView time series, the mesh once (collective).

    Args:
        path: ``<name>.bp`` (``fmt="vtx"``: an ADIOS2 BP4 folder, mesh policy
            ``reuse``) or ``<name>.xdmf`` (``fmt="xdmf"``: with ``<name>.h5``
            beside it; the mesh is written once, each function at each time).
        times: the output times.
        series: name -> one function per time (all on one P1 space).
        static: name -> a function that does not change (written at every
            time for VTX, which stores all its functions per step; once for
            XDMF).
        fmt: ``vtx`` or ``xdmf``.

    The output appears complete or not at all: it is written under a
    temporary name and renamed by rank 0 (an older output of that name is
    replaced; for XDMF the ``.h5`` is moved first, the ``.xdmf`` that refers
    to it last).  Returns ``path``.
    """
    path = Path(path)
    static = dict(static or {})
    if fmt not in ("vtx", "xdmf"):
        raise ValueError(f"write_time_series: fmt = {fmt!r}: must be 'vtx' or 'xdmf'")
    if not series or any(len(v) != len(times) for v in series.values()):
        raise ValueError(f"write_time_series: need one function per time ({len(times)}) for every field")
    first = next(iter(series.values()))[0]
    V = first.function_space
    comm = V.mesh.comm
    tmp = path.with_name(f".{path.name}.tmp")
    if comm.rank == 0 and tmp.exists():
        shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
    comm.barrier()
    out = {name: dolfinx.fem.Function(V, name=name) for name in series}
    for name, f in static.items():
        out[name] = dolfinx.fem.Function(V, name=name)
        out[name].x.array[:] = f.x.array
    if fmt == "vtx":
        with io.VTXWriter(comm, str(tmp), list(out.values()), engine="BP4",
                          mesh_policy=io.VTXMeshPolicy.reuse) as f:
            for k, t in enumerate(times):
                for name, funcs in series.items():
                    out[name].x.array[:] = funcs[k].x.array
                f.write(float(t))
    else:
        if comm.rank == 0:
            tmp.mkdir(parents=True)
        comm.barrier()
        with io.XDMFFile(comm, str(tmp / path.name), "w") as f:
            f.write_mesh(V.mesh)
            for name in static:
                f.write_function(out[name], float(times[0]))
            for k, t in enumerate(times):
                for name, funcs in series.items():
                    out[name].x.array[:] = funcs[k].x.array
                    f.write_function(out[name], float(t))
    comm.barrier()
    if comm.rank == 0:
        if fmt == "vtx":
            if path.exists():
                shutil.rmtree(path)
            tmp.rename(path)
        else:
            h5 = path.with_suffix(".h5")
            (tmp / h5.name).replace(h5)
            (tmp / path.name).replace(path)
            tmp.rmdir()
    comm.barrier()
    return path
