"""The ``advmcf mesh`` command: make, convert and inspect meshes.

::

    advmcf mesh box  --lower -1 -1 --upper 1 1 --h 0.05 -o box.xdmf [--gmsh]
    advmcf mesh disc --centre 0 0 --radius 1 --h 0.05 [--band 0.5 0.1 0.01] -o disc.xdmf
    advmcf mesh ball --centre 0 0 0 --radius 1 --h 0.1 -o ball.xdmf
    advmcf mesh convert in.msh -o out.xdmf
    advmcf mesh info mesh.xdmf

Collective (run it under mpirun like everything else); rank 0 prints.  Bad
input gives one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys

from mpi4py import MPI

__all__ = ["add_mesh_parser", "run_mesh_command"]


_EXAMPLES = {
    "box": """examples:
  advmcf mesh box --lower -1 -1 --upper 1 1 --h 0.05 -o box.xdmf          # structured, crossed diagonals
  advmcf mesh box --lower -1 -1 --upper 1 1 --h 0.1 --gmsh -o box.xdmf    # unstructured (gmsh)
  mpirun -n 2 advmcf mesh box --lower 0 0 0 --upper 1 1 1 --h 0.1 -o cube.xdmf""",
    "disc": """examples:
  advmcf mesh disc --centre 0 0 --radius 1 --h 0.05 -o disc.xdmf
  advmcf mesh disc --centre 0 0 --radius 1 --h 0.1 --band 0.5 0.1 0.01 -o disc.xdmf   # refined near r = 0.5""",
    "ball": """examples:
  advmcf mesh ball --centre 0 0 0 --radius 1 --h 0.1 -o ball.xdmf""",
    "convert": """examples:
  advmcf mesh convert model.msh -o model.xdmf    # gmsh: read with DOLFINx's reader (cell and facet tags kept)
  advmcf mesh convert mesh.vtu -o mesh.xdmf      # anything else meshio reads""",
    "info": """examples:
  advmcf mesh info disc.xdmf
  advmcf mesh info model.msh""",
}


def add_mesh_parser(subparsers, parents=()) -> None:
    """Register the ``mesh`` subcommand on an argparse ``subparsers`` object (``parents``: shared options)."""
    import argparse

    fmt = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser("mesh", parents=list(parents), help="make, convert or inspect a mesh (XDMF output)",
                              description="Make, convert or inspect a mesh; output is XDMF (DOLFINx, ParaView).")
    sub = p.add_subparsers(dest="mesh_command", required=True, metavar="MESH_COMMAND")

    def add(name, help_):
        return sub.add_parser(name, parents=list(parents), help=help_, description=help_[0].upper() + help_[1:] + ".",
                              formatter_class=fmt, epilog=_EXAMPLES[name])

    box = add("box", "a box: structured (default) or unstructured (--gmsh)")
    box.add_argument("--lower", type=float, nargs="+", required=True)
    box.add_argument("--upper", type=float, nargs="+", required=True)
    box.add_argument("--h", type=float, required=True, help="cell size")
    box.add_argument("--gmsh", action="store_true", help="unstructured gmsh mesh instead of a structured one")
    for kind, dim in (("disc", 2), ("ball", 3)):
        q = add(kind, f"an unstructured gmsh {kind} ({dim}D)")
        q.add_argument("--centre", type=float, nargs=dim, required=True)
        q.add_argument("--radius", type=float, required=True)
        q.add_argument("--h", type=float, required=True, help="cell size")
    for q in (box, sub.choices["disc"], sub.choices["ball"]):
        q.add_argument("--band", type=float, nargs=3, metavar=("RADIUS", "WIDTH", "H_FINE"),
                       help="gmsh only: cells of size H_FINE within WIDTH of the circle/sphere "
                            "of RADIUS about the centre (the box centre for a box)")
    conv = add("convert", "convert a mesh file (.msh through DOLFINx's gmsh reader, others through meshio) to XDMF")
    conv.add_argument("input", help="the mesh file")
    for q in (box, sub.choices["disc"], sub.choices["ball"], conv):
        q.add_argument("-o", "--output", required=True, help="output XDMF file")
    info = add("info", "print mesh statistics")
    info.add_argument("file", help="the mesh file")


def _check_args(args) -> None:
    """The command's numbers and output checked under their option names (one-line ValueErrors),
    before anything is meshed; a mesh too big for this machine is refused with its estimate."""
    import numpy as np

    from advmcf.meshes import checks
    from advmcf.meshes.generate import box_plan, check_mesh_size, gmsh_vertex_estimate

    cmd = args.mesh_command
    if cmd in ("info", "convert"):
        if cmd == "convert":
            _check_output(args.output)
        return
    h = checks.positive("--h", args.h)
    if cmd == "box":
        lo, hi = checks.point("--lower", args.lower), checks.point("--upper", args.upper)
        if lo.size != hi.size:
            raise ValueError(f"--lower and --upper must have the same number of coordinates, got {args.lower}, "
                             f"{args.upper}")
        if np.any(hi <= lo):
            raise ValueError(f"need --lower < --upper in every coordinate, got {args.lower}, {args.upper}")
        params, gdim = {"lower": lo, "upper": hi}, lo.size
    else:
        gdim = 2 if cmd == "disc" else 3
        params = {"centre": checks.point("--centre", args.centre, dims=(gdim,)),
                  "radius": checks.positive("--radius", args.radius)}
    band = None
    if args.band is not None:
        radius, width, h_fine = args.band
        checks.positive("--band: RADIUS", radius)
        checks.positive("--band: WIDTH", width)
        if not (checks.is_real(h_fine) and 0 < h_fine <= h):
            raise ValueError(f"--band: H_FINE = {h_fine:g} must be in (0, --h] = (0, {h:g}]")
        band = (None, radius, width, h_fine)
    if cmd == "box" and not args.gmsh and band is None:
        what, n = "the box", box_plan(params["lower"], params["upper"], h=h).num_vertices
    else:
        what, n = f"the {cmd}", gmsh_vertex_estimate(cmd, gdim, params, h, band)
    check_mesh_size(n, f"{what} at h = {h:g}", "--h", gdim)
    _check_output(args.output)


def _check_output(output) -> None:
    from advmcf.meshes import checks

    if not str(output).endswith(".xdmf"):
        raise ValueError(f"-o {output}: must end in .xdmf")
    checks.writable_file("-o", output)


def _make(args, comm):
    import numpy as np

    from advmcf.meshes.generate import box, gmsh_mesh

    if args.mesh_command == "box":
        lo, hi = np.asarray(args.lower), np.asarray(args.upper)
        band = None
        if args.band is not None:
            band = (0.5 * (lo + hi), *args.band)
        if args.gmsh or band is not None:
            return gmsh_mesh(comm, "box", args.h, lower=lo, upper=hi, band=band)
        return box(comm, lo, hi, h=args.h)
    band = (args.centre, *args.band) if args.band is not None else None
    return gmsh_mesh(comm, args.mesh_command, args.h, centre=args.centre, radius=args.radius, band=band)


def run_mesh_command(args, comm: MPI.Comm = MPI.COMM_WORLD) -> int:
    """Carry out a parsed ``advmcf mesh ...`` command; returns the exit code (2 on bad input, one line)."""
    from advmcf.meshes.io import read_gmsh, read_mesh, write_xdmf
    from advmcf.meshes.mpi import on_root
    from advmcf.meshes.stats import mesh_stats

    def read(path):
        """The mesh, its tags (cell, facet) and a note on its physical groups (gmsh files)."""
        if str(path).endswith(".msh"):
            data = read_gmsh(comm, path)
            groups = ", ".join(f"{name} ({g.dim}D, tag {g.tag})" for name, g in sorted(data.physical_groups.items()))
            return data.mesh, (data.cell_tags, data.facet_tags), f"; physical groups: {groups}" if groups else ""
        return read_mesh(comm, path), (), ""

    try:
        on_root(comm, _check_args, args)
        if args.mesh_command == "info":
            msh, _, note = read(args.file)
            s = mesh_stats(msh)
            if comm.rank == 0:
                print(f"{args.file}: {msh.topology.dim}D, {s.num_vertices} vertices, {s.num_cells} cells, "
                      f"h_min = {s.h_min:.6g}, h_max = {s.h_max:.6g}{note}")
            return 0
        msh, tags, _ = read(args.input) if args.mesh_command == "convert" else (_make(args, comm), (), "")
        out = args.output
        write_xdmf(out, msh, tags=tags)
        s = mesh_stats(msh)
        if comm.rank == 0:
            print(f"wrote {out}: {s.num_vertices} vertices, {s.num_cells} cells, h_max = {s.h_max:.6g}")
        return 0
    except ValueError as err:
        if comm.rank == 0:
            print(f"advmcf mesh: error: {err}", file=sys.stderr)
        return 2
