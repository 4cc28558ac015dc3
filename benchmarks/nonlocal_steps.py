"""Five steps of the nonlocal benchmark's case in one process, their wall times (for before/after runs).

``python benchmarks/nonlocal_steps.py N K [DIM] [--profile]``: the box
[-1, 1]^DIM with N cells per side, a disc (ball) of radius 0.5,
rho0 = rho1 = 1, eps = K h, tau = 0.02, the default scheme; each step with
the previous displacement as band hint.  Prints one line: the first step,
the four later ones, and their minimum; with ``--profile`` a second line,
the parts of the fastest later step (those of ``advmcf.nonlocal_._timing``).
Code from before the parts were timed is profiled by wrapping the functions
that make them (the same parts; the sub-vertex threshold cuts of that code
count as ``layer``).  ``benchmarks/before_after.sh`` runs it on two commits.
"""

import functools
import sys
import time

import advmcf.meshes  # noqa: F401  (prepares the DOLFINx stack)
import numpy as np
from mpi4py import MPI

from advmcf.meshes.generate import box
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.nonlocal_ import AdversarialScheme

PARTS = ("gather", "distances", "perimeter", "cover", "graph", "flow", "certificate", "layer", "smoothing", "scatter",
         "other")


def wrap_old_code(times):
    """Time the parts of a step by wrapping the functions of code that does not report them.  Work inside
    the sub-vertex values counts as ``layer`` (but its smoothing as ``smoothing``), and ``graph`` is the
    main cut's build; :func:`finish_old_parts` then takes the smoothing out of ``layer`` and the cover
    out of ``graph``."""
    step = sys.modules["advmcf.nonlocal_.step"]
    mincut = sys.modules["advmcf.nonlocal_.mincut"]
    layer = [0]

    def timed(owner, name, part):
        f = getattr(owner, name)

        @functools.wraps(f)
        def g(*args, **kwargs):
            if layer[0] and part not in ("layer", "smoothing"):
                return f(*args, **kwargs)
            layer[0] += part == "layer"
            t0 = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                layer[0] -= part == "layer"
                times[part] = times.get(part, 0.0) + time.perf_counter() - t0
        setattr(owner, name, g)

    timed(step, "_subvertex_values", "layer")
    timed(step, "_smoothed", "smoothing")
    timed(step._Distances, "upto", "distances")
    timed(step, "vertex_perimeter", "perimeter")
    timed(step, "interface", "gather")
    timed(step.Vertices, "gather", "gather")
    timed(step.Vertices, "scatter", "scatter")
    timed(mincut.CutProblem, "_build", "graph")
    for name in ("_first_level", "ball_cover"):
        timed(mincut, name, "cover")
    timed(mincut, "max_pseudoflow", "flow")
    timed(mincut, "certify", "certificate")
    timed(mincut, "set_energy", "certificate")


def finish_old_parts(parts):
    """The parts of wrapped old code: ``layer`` without its smoothing, ``graph`` without its cover."""
    parts["layer"] = parts.get("layer", 0.0) - parts.get("smoothing", 0.0)
    parts["graph"] = parts.get("graph", 0.0) - parts.get("cover", 0.0)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n, k = int(args[0]), int(args[1])
    dim = int(args[2]) if len(args) > 2 else 2
    h = 2.0 / n
    msh = box(MPI.COMM_WORLD, [-1.0] * dim, [1.0] * dim, n=n)
    phi = level_set(msh, disc([0.0] * dim, 0.5))
    rho = lambda x: np.ones(x.shape[1])  # noqa: E731
    scheme = AdversarialScheme(phi.function_space, rho, rho, k * h)
    wrapped = {}
    hint, steps = None, []
    for _ in range(5):
        wrapped.clear()
        phi, info = scheme.step(phi, 0.02, displacement_hint=hint)
        hint = info["displacement"]
        if "times" not in info and not steps:  # old code: wrapped from the second step on
            wrap_old_code(wrapped)
        parts = dict(info["times"]) if "times" in info else dict(wrapped)
        if "times" not in info and parts:
            finish_old_parts(parts)
        parts.setdefault("other", info["step_time"] - sum(parts.values()))
        steps.append((info["step_time"], parts))
    if MPI.COMM_WORLD.rank == 0:
        times = [t for t, _ in steps]
        print(f"n={n} k={k} first {times[0]:.2f} later {' '.join(f'{t:.2f}' for t in times[1:])} "
              f"min {min(times[1:]):.2f}")
        if "--profile" in sys.argv:
            best = min(steps[2:], key=lambda s: s[0])[1]  # steps 3-5: the old code is wrapped from step 2 on
            print("parts " + " ".join(f"{p}={best.get(p, 0.0):.3f}" for p in PARTS))


if __name__ == "__main__":
    main()
