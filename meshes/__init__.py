r"""advmcf's ground floor: meshes, and sets on a mesh shared by every scheme.

Conventions (the glossary every docstring in advmcf points to)
---------------------------------------------------------------
- A set is :math:`A = \{\varphi < 0\}` for a P1 function φ on the mesh; its
  boundary ∂A is the piecewise-linear zero level set of φ.
- ν is the outward unit normal of ∂A; κ = div ν is the *sum* of the principal
  curvatures (κ = (d-1)/R on a sphere of radius R); V is the normal velocity,
  positive outward.
- ρ0 is the density of class 0 (outside A, the outer band of Per_ε), ρ1 of
  class 1 (inside A, the inner band); ρ = ρ0 + ρ1.
- A density or shape is a plain callable ``f(x)`` with ``x`` of shape
  ``(3, num_points)`` (the DOLFINx interpolation convention; in 2D the third
  row is zero) returning ``(num_points,)`` values.
- Functions returning numbers say whether they are local to the rank or
  global; the communicator is always taken from the mesh.

The public API is re-exported here (``from meshes import box, level_set,
disc, volume``); the modules hold one concept each.
"""

# Every advmcf package imports meshes first: this puts h5py, mpi4py and (when
# installed) dolfinx_solver in the one order that works, whatever the caller
# imported before (see advmcf.meshes.stack).
from advmcf.meshes.stack import prepare as _prepare  # noqa: E402

_prepare()

#: The public API: name -> the module that holds it (imported on first use, so that ``import advmcf.meshes``
#: stays cheap for the command line; ``from meshes import box`` works as usual).
_EXPORTS = {
    **dict.fromkeys(("box", "box_plan", "gmsh_mesh", "MeshPlan"), "advmcf.meshes.generate"),
    **dict.fromkeys(("read_mesh", "read_gmsh", "write_xdmf", "MeshFileError"), "advmcf.meshes.io"),
    **dict.fromkeys(("p1_space", "level_set", "vertex_coordinates"), "advmcf.meshes.sets"),
    **dict.fromkeys(("Shape", "disc", "ball", "ellipse", "rectangle", "half_space", "flower", "dumbbell", "union",
                     "polygons"), "advmcf.meshes.shapes"),
    **dict.fromkeys(("volume", "mass", "symmetric_difference"), "advmcf.meshes.measures"),
    **dict.fromkeys(("interface", "interface_integral"), "advmcf.meshes.interface"),
    **dict.fromkeys(("signed_distance", "hausdorff"), "advmcf.meshes.distance"),
    "simplex_volumes": "advmcf.meshes._simplices",
    **dict.fromkeys(("mesh_stats", "MeshStats"), "advmcf.meshes.stats"),
    **dict.fromkeys(("Evolution", "Stepper", "run_flow", "check_times", "time_steps"), "advmcf.meshes.evolution"),
    **dict.fromkeys(("density_values", "ClassDensities", "normal_velocity"), "advmcf.meshes.densities"),
    "DomainBoundary": "advmcf.meshes.boundary",
    **dict.fromkeys(("on_root", "install_abort_hook"), "advmcf.meshes.mpi"),
}
__all__ = list(_EXPORTS)

from advmcf.meshes._lazy import lazy_exports  # noqa: E402

__getattr__, __dir__ = lazy_exports("advmcf.meshes", _EXPORTS)
