r"""Weighted mean curvature flow of a disc by level-set finite elements, against the exact radius.

A disc :math:`R_0 = 1` in the Gaussian density :math:`\rho = e^{-|x|^2/(2\sigma^2)}`, σ = 2, shrinks
under :math:`V = -\kappa - \partial_\nu\log\rho = -1/R + R/\sigma^2`; the exact radius is
:math:`R(t)^2 = \sigma^2 + (R_0^2 - \sigma^2)e^{2t/\sigma^2}` (docs: Theory, exact solutions).
The script refines h and τ together and prints the radius error at T with its observed order.

    python examples/fem_flow.py                  # h = 0.1, 0.05, 0.025
    mpirun -n 2 python examples/fem_flow.py      # the same numbers on 2 ranks
    python examples/fem_flow.py --levels 2 --h 0.2
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


def exact_radius(t, R0=1.0, sigma=2.0):
    return math.sqrt(sigma**2 + (R0**2 - sigma**2) * math.exp(2 * t / sigma**2))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--h", type=float, default=0.1, help="the coarsest cell size (tau = h/4)")
    p.add_argument("--levels", type=int, default=3)
    p.add_argument("--T", type=float, default=0.2)
    args = p.parse_args(argv)
    comm = MPI.COMM_WORLD
    rho = lambda x: np.exp(-(x[0] ** 2 + x[1] ** 2) / 8)  # noqa: E731  (sigma = 2)
    errors = []
    for k in range(args.levels):
        h = args.h / 2**k
        msh = box(comm, [-1.6, -1.6], [1.6, 1.6], h=h)
        phi0 = level_set(msh, disc([0.0, 0.0], 1.0))
        ev = level_set_flow(phi0, rho, tau=h / 4, T=args.T)
        R_h = math.sqrt(volume(ev.sets[-1]) / math.pi)  # from the exact cut-cell area
        errors.append(abs(R_h - exact_radius(args.T)))
        order = "" if k == 0 else f"  order {math.log(errors[-2] / errors[-1]) / math.log(2):.2f}"
        if comm.rank == 0:
            print(f"h = {h:.4g}  tau = {h / 4:.4g}  R_h(T) = {R_h:.6f}  radius error {errors[-1]:.3e}{order}")
    return errors


if __name__ == "__main__":
    main()
