r"""A custom validation suite from Python: an ellipse in a Gaussian density, three schemes, a table.

An ellipse has no closed-form flow, so the reference is a fine parametric computation
(``reference = "parametric"``).  The level-set FEM, the parametric FEM and the adversarial scheme
run on the diagonal τ = ε with h = ε/4; the script writes the suite's TOML beside its results
(so ``advmcf run OUT/suite.toml`` repeats it), runs it collectively, and prints the Markdown
table (errors with observed orders, h/ε and h/(τ|V|) beside them) and where the LaTeX table and
the figures are.

    python examples/custom_suite.py -o results/ellipse
    mpirun -n 2 python examples/custom_suite.py -o results/ellipse
    python examples/custom_suite.py --eps 0.2 0.1 -o /tmp/ellipse      # two levels, faster
"""

import argparse
from pathlib import Path

from mpi4py import MPI

from advmcf.validation.plots import plot_all
from advmcf.validation.runner import run_suite
from advmcf.validation.suites import load_suite

SUITE = """
[suite]
name = "ellipse"
description = "an ellipse in a Gaussian density: level-set FEM, parametric FEM, adversarial scheme"

[[cases]]
name = "ellipse"
dim = 2
domain = [[-1.5, -1.5], [1.5, 1.5]]
T = {T}
density = {{ kind = "gaussian", sigma = 1.5 }}
initial = {{ shape = "ellipse", centre = [0.0, 0.0], semi_axes = [1.0, 0.7] }}
reference = "parametric"

[[studies]]
name = "diagonal"
case = "ellipse"
path = "diagonal"
schemes = ["level_set", "parametric", "nonlocal"]
eps = {eps}
h = "eps/4"
"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--out", type=Path, default=Path("results/ellipse"))
    p.add_argument("--eps", type=float, nargs="+", default=[0.2, 0.1, 0.05])
    p.add_argument("--T", type=float, default=0.2)
    args = p.parse_args(argv)
    comm = MPI.COMM_WORLD
    path = args.out / "suite.toml"
    if comm.rank == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(SUITE.format(T=args.T, eps=args.eps))
    comm.barrier()
    suite = load_suite(path)  # every key checked before anything runs
    run_suite(suite, args.out, comm)
    if comm.rank == 0:
        figures = plot_all(args.out)
        print((args.out / "table.md").read_text())
        print(f"LaTeX: {args.out / 'table_diagonal.tex'}; figures: {', '.join(p.name for p in figures)}")


if __name__ == "__main__":
    main()
