r"""The adversarial scheme on an unstructured gmsh mesh built in Python.

A gmsh model of the disc of radius 1.8 (cells of size ε/4, physical groups for its cells and
its boundary circle) goes to DOLFINx through :func:`advmcf.meshes.io.read_gmsh`, which keeps the
groups as cell and facet tags.  The paper's scheme (τ = ε, p = 1) moves the disc R0 = 1 with constant class
densities ρ0 = ρ1 = 1/2; among discs one step goes to r+ = (r + sqrt(r² − 4τ))/2 (docs: Theory,
exact solutions), which the script prints beside the computed radius, unless the empty set has
lower energy (at ε = τ = 0.2 the disc R0 = 1 vanishes in one step).

    python examples/scheme_on_gmsh_mesh.py
    mpirun -n 2 python examples/scheme_on_gmsh_mesh.py --eps 0.05
"""

import argparse
import math

from mpi4py import MPI

import gmsh
import numpy as np

from advmcf.meshes.io import read_gmsh
from advmcf.meshes.measures import volume
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.meshes.stats import mesh_stats
from advmcf.nonlocal_ import adversarial_flow


def disc_model(h, radius):
    """On rank 0: a gmsh model of the disc of ``radius`` about 0, cells of size ``h``, with the
    physical groups 'domain' (its cells) and 'boundary' (its circle)."""
    gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.model.add("disc")
    d = gmsh.model.occ.addDisk(0, 0, 0, radius, radius)
    gmsh.model.occ.synchronize()
    gmsh.model.addPhysicalGroup(2, [d], 1, name="domain")
    gmsh.model.addPhysicalGroup(1, [c for _, c in gmsh.model.getBoundary([(2, d)])], 2, name="boundary")
    gmsh.option.setNumber("Mesh.MeshSizeMax", h)
    gmsh.model.mesh.generate(2)
    return gmsh.model


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--eps", type=float, default=0.1, help="the adversarial budget (tau = eps, h = eps/4)")
    p.add_argument("--steps", type=int, default=2)
    args = p.parse_args(argv)
    comm = MPI.COMM_WORLD
    eps, R0 = args.eps, 1.0
    model = disc_model(eps / 4, 1.8) if comm.rank == 0 else None
    try:
        data = read_gmsh(comm, model, gdim=2)
    finally:
        if comm.rank == 0:
            gmsh.finalize()
    msh = data.mesh
    s = mesh_stats(msh)
    half = lambda x: np.full(x.shape[1], 0.5)  # noqa: E731
    ev = adversarial_flow(level_set(msh, disc([0.0, 0.0], R0)), half, half, eps=eps, T=args.steps * eps,
                          output_times=[k * eps for k in range(args.steps + 1)])  # every step
    r = R0
    for k, phi in enumerate(ev.sets):
        R_h = math.sqrt(volume(phi) / math.pi)
        if comm.rank == 0:
            print(f"step {k}: t = {ev.times[k]:.3g}  radius {R_h:.5f}  disc recursion {r:.5f}")
        r = (r + math.sqrt(r * r - 4 * eps)) / 2 if r * r > 4 * eps else 0.0  # 0: the disc vanishes
    if comm.rank == 0:
        print(f"mesh: {s.num_vertices} vertices, h_min = {s.h_min:.3g}, h_max = {s.h_max:.3g}, "
              f"physical groups {sorted(data.physical_groups)}, "
              f"{comm.allreduce(len(data.facet_tags.indices))} boundary facets tagged")
    return ev


if __name__ == "__main__":
    main()
