"""The level sets of a few steps of the adversarial scheme, saved for comparing two versions of the code.

``python benchmarks/nonlocal_sets.py OUT.npz`` runs, on COMM_SELF:
``disc5`` (the recursion test's 5 steps of a disc, rho0 = rho1 = 1/2,
eps/h = 4, h = 0.01), ``ellipse_min`` / ``ellipse_max`` (3 steps of an
ellipse, rho0 = 1 + x/2, rho1 = 3/2 + y, tau = 0.004, eps/h = 4 and 8, minimal and
maximal selection) and ``ball3`` (a ball on a 22^3 mesh of [-1.4, 1.4]^3, eps = 3/8), and
saves every step's vertex values of phi (sorted by coordinates) and
volume.  ``python benchmarks/nonlocal_sets.py --compare OLD.npz NEW.npz``
prints, per step, how many vertices changed side, the largest change of
phi, both volumes, and the disc's distance to the exact recursion
:math:`r_{k+1} = (r_k + \\sqrt{r_k^2 - 4\\tau})/2` relative to the distance
travelled.  ``benchmarks/before_after.sh OLD_COMMIT --sets`` runs it on an
old commit and on the working tree.
"""

import math
import sys

import numpy as np

R0, EPS, TAU, STEPS = 0.45, 0.04, 0.0113, 5  # the disc of the recursion test


def run(path):
    from mpi4py import MPI

    import advmcf.meshes  # noqa: F401  (prepares the DOLFINx stack)
    from advmcf.meshes.generate import box
    from advmcf.meshes.measures import volume
    from advmcf.meshes.sets import level_set, vertex_coordinates
    from advmcf.meshes.shapes import disc, ellipse
    from advmcf.nonlocal_ import AdversarialScheme

    out = {}

    def steps(name, msh, shape, rho0, rho1, eps, tau, num, selection="minimal"):
        phi = level_set(msh, shape)
        V = phi.function_space
        order = np.lexsort(vertex_coordinates(V)[:, : msh.geometry.dim].T[::-1])
        scheme = AdversarialScheme(V, rho0, rho1, eps, selection=selection)
        hint = None
        for k in range(num):
            phi, info = scheme.step(phi, tau, displacement_hint=hint)
            hint = info["displacement"]
            out[f"{name}/{k}"] = phi.x.array[order].copy()
            out[f"{name}/{k}/volume"] = volume(phi)

    def const(c):
        return lambda x: np.full(x.shape[1], c)

    comm = MPI.COMM_SELF
    steps("disc5", box(comm, [-0.65, -0.65], [0.65, 0.65], h=0.01), disc([0.0123, -0.0071], R0), const(0.5),
          const(0.5), EPS, TAU, STEPS)
    for name, k, selection in (("ellipse_min", 4, "minimal"), ("ellipse_max", 8, "maximal")):
        steps(name, box(comm, [-0.8, -0.6], [0.8, 0.6], h=1 / 64), ellipse([0.0, 0.0], [0.4, 0.22]),
              lambda x: 1 + 0.5 * x[0], lambda x: 1.5 + x[1], k / 64, 0.004, 3, selection)
    # the box leaves the reach of the eps-balls (up to 1.4 eps) between the ball and the boundary
    steps("ball3", box(comm, [-1.4] * 3, [1.4] * 3, n=22), disc([0.01] * 3, 0.6), const(1.0), const(1.0), 3 * 2 / 16,
          0.02, 1)
    np.savez(path, **out)


def compare(old_path, new_path):
    from advmcf.validation.references import disc_recursion

    old, new = np.load(old_path), np.load(new_path)
    print("| case/step | vertices changing side | max abs(phi change) | volume old | volume new |")
    print("|---|---|---|---|---|")
    for key in old.files:
        if not key.endswith("/volume"):
            a, b = old[key], new[key]
            print(f"| {key} | {np.count_nonzero((a < 0) != (b < 0))} | {np.max(np.abs(a - b)):.2e} "
                  f"| {float(old[key + '/volume']):.6f} | {float(new[key + '/volume']):.6f} |")
    exact = disc_recursion(R0, EPS, TAU, STEPS)[1:]
    for name, f in (("old", old), ("new", new)):
        radii = [math.sqrt(float(f[f"disc5/{k}/volume"]) / math.pi) for k in range(STEPS)]
        print(f"disc5 {name}: (r_k - r_k exact)/(R0 - r_k exact) =",
              " ".join(f"{(r - e) / (R0 - e):+.2%}" for r, e in zip(radii, exact)))


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        run(sys.argv[1])
