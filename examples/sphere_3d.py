r"""A 3D case: a ball, its nonlocal perimeter and its mean curvature flow, against closed forms.

- The nonlocal perimeter of the ball :math:`B_R` with class densities ρ0 = 0.3 (outside) and
  ρ1 = 0.7 (inside) is :math:`\operatorname{Per}_\varepsilon(B_R) = \frac{4\pi}{3\varepsilon}
  [\rho_0((R+\varepsilon)^3 - R^3) + \rho_1(R^3 - (R-\varepsilon)^3)]` and tends to
  :math:`4\pi R^2(\rho_0 + \rho_1)` (docs: Theory, the nonlocal perimeter); the script computes it
  on the mesh vertices (:func:`advmcf.nonlocal_.perimeter`) at ε = 4 h_max.
- With constant density the ball shrinks as :math:`R(t)^2 = R_0^2 - 4t` (d = 3; docs: Theory,
  exact solutions); the level-set FEM runs it to T = 0.05 with τ = h/4.

The mesh is a structured tetrahedral mesh of the cube [-1.2, 1.2]³; the ball has R0 = 0.8.
(The adversarial flow in 3D: the ``exact`` suite's ``const_ball`` and ``gauss_ball`` studies.)

    python examples/sphere_3d.py
    mpirun -n 2 python examples/sphere_3d.py --h 0.05
"""

import argparse
import math

from mpi4py import MPI

import numpy as np

from advmcf.fem_mcf import level_set_flow
from advmcf.meshes.generate import box
from advmcf.meshes.measures import volume
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.meshes.stats import mesh_stats
from advmcf.nonlocal_ import perimeter


def ball_perimeter_eps(R, eps, rho0, rho1):
    return 4 * math.pi / (3 * eps) * (rho0 * ((R + eps) ** 3 - R**3) + rho1 * (R**3 - (R - eps) ** 3))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--h", type=float, default=0.08, help="cell size of the structured mesh")
    p.add_argument("--T", type=float, default=0.05)
    args = p.parse_args(argv)
    comm = MPI.COMM_WORLD
    msh = box(comm, [-1.2] * 3, [1.2] * 3, h=args.h)
    s = mesh_stats(msh)
    R0 = 0.8
    phi0 = level_set(msh, disc([0.0, 0.0, 0.0], R0))  # disc(...) in 3D is the ball
    eps = 4 * s.h_max
    per = perimeter(phi0, lambda x: np.full(x.shape[1], 0.3), lambda x: np.full(x.shape[1], 0.7), eps)
    exact_per = ball_perimeter_eps(R0, eps, 0.3, 0.7)
    ev = level_set_flow(phi0, lambda x: np.ones(x.shape[1]), tau=args.h / 4, T=args.T)
    R_h = (3 * volume(ev.sets[-1]) / (4 * math.pi)) ** (1 / 3)  # from the exact cut-cell volume
    R_T = math.sqrt(R0**2 - 4 * args.T)
    if comm.rank == 0:
        print(f"mesh: {s.num_vertices} vertices, h_max = {s.h_max:.3g}")
        print(f"Per_eps(B_R), eps = {eps:.3g}: {per:.5f}   exact {exact_per:.5f}   "
              f"relative error {abs(per - exact_per) / exact_per:.2e}   (eps -> 0: {4 * math.pi * R0**2:.5f})")
        print(f"level-set FEM R_h(T) = {R_h:.5f}   exact R(T) = {R_T:.5f}   error {abs(R_h - R_T):.2e}")


if __name__ == "__main__":
    main()
