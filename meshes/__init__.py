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
"""

# Every advmcf package imports meshes first: this puts h5py, mpi4py and (when
# installed) dolfinx_solver in the one order that works, whatever the caller
# imported before (see meshes.stack).
from meshes.stack import prepare as _prepare  # noqa: E402

_prepare()
