"""Five steps of the nonlocal benchmark's case in one process, their wall times (for before/after runs).

``python benchmarks/nonlocal_steps.py N K [DIM]``: the box [-1, 1]^DIM with N
cells per side, a disc (ball) of radius 0.5, rho0 = rho1 = 1, eps = K h,
tau = 0.02, the default scheme; each step with the previous displacement as
band hint.  Prints one line: the first step, the four later ones, and
their minimum.  ``benchmarks/before_after.sh`` runs it on two commits.
"""

import sys

import advmcf.meshes  # noqa: F401  (prepares the DOLFINx stack)
import numpy as np
from mpi4py import MPI

from advmcf.meshes.generate import box
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.nonlocal_ import AdversarialScheme

n, k = int(sys.argv[1]), int(sys.argv[2])
dim = int(sys.argv[3]) if len(sys.argv) > 3 else 2
h = 2.0 / n
msh = box(MPI.COMM_WORLD, [-1.0] * dim, [1.0] * dim, n=n)
phi = level_set(msh, disc([0.0] * dim, 0.5))
rho = lambda x: np.ones(x.shape[1])  # noqa: E731
scheme = AdversarialScheme(phi.function_space, rho, rho, k * h)
hint, times = None, []
for _ in range(5):
    phi, info = scheme.step(phi, 0.02, displacement_hint=hint)
    hint = info["displacement"]
    times.append(info["step_time"])
if MPI.COMM_WORLD.rank == 0:
    print(f"n={n} k={k} first {times[0]:.2f} later {' '.join(f'{t:.2f}' for t in times[1:])} min {min(times[1:]):.2f}")
