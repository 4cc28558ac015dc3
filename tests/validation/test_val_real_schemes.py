"""Small suites with the real schemes (level-set FEM and the nonlocal scheme), end to end.

The nonlocal radius error must decrease along the diagonal; with
``vtx=True`` every run leaves one complete VTX folder.  A wider suite (flow,
one step, comparison, a gmsh mesh file, 3D) run on 2 ranks and on rank 0
alone (COMM_SELF) must give the same results to the stated tolerance
:data:`advmcf.validation.results.RANK_RTOL`.
"""

import json
from pathlib import Path

import pytest
from mpi4py import MPI

from advmcf.meshes.generate import gmsh_mesh
from advmcf.meshes.io import write_xdmf
from advmcf.validation.results import compare_results
from advmcf.validation.runner import run_suite
from advmcf.validation.suites import load_suite

SUITE = """
[suite]
name = "small"

[[cases]]
name = "gauss_disc"
dim = 2
domain = [[-1.8, -1.8], [1.8, 1.8]]
T = 0.2
density = { kind = "gaussian", sigma = 2.0 }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 1.2 }

[[studies]]
name = "diagonal"
case = "gauss_disc"
path = "diagonal"
schemes = ["level_set", "nonlocal"]
eps = [0.2, 0.1]
h = "eps/3"
min_cells_per_eps = 3
"""


WIDE = """
[suite]
name = "wide"

[[cases]]
name = "gauss_disc"
dim = 2
domain = [[-1.6, -1.6], [1.6, 1.6]]
T = 0.2
density = { kind = "gaussian", sigma = 2.0 }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 1.0 }

[[cases]]
name = "gmsh_ellipse"
dim = 2
mesh = "disc.xdmf"
T = 0.04
density = { kind = "gaussian", sigma = 1.5 }
initial = { shape = "ellipse", centre = [0.0, 0.0], semi_axes = [0.8, 0.5] }
reference = "none"

[[cases]]
name = "ball"
dim = 3
domain = [[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]
T = 0.02
density = { kind = "gaussian", sigma = 1.0 }
initial = { shape = "ball", centre = [0.0, 0.0, 0.0], radius = 0.6 }

[[studies]]
name = "flow"
case = "gauss_disc"
schemes = ["level_set", "nonlocal"]
eps = [0.2]
h = "eps/3"
min_cells_per_eps = 3

[[studies]]
name = "one_step"
case = "gauss_disc"
kind = "one_step"
schemes = ["nonlocal", "level_set"]
eps = [0.2]
h = "eps/3"
min_cells_per_eps = 3

[[studies]]
name = "comparison"
case = "gauss_disc"
kind = "comparison"
schemes = ["nonlocal"]
eps = [0.2]
h = "eps/3"
min_cells_per_eps = 3
pairs = 1

[[studies]]
name = "gmsh"
case = "gmsh_ellipse"
path = "eps_to_zero"
# eps = 0.45 reaches past the disc mesh's boundary from the ellipse: the Neumann problem
schemes = ["level_set", { name = "nonlocal", boundary = "neumann" }]
eps = [0.45]
tau = 0.02
min_cells_per_eps = 3

[[studies]]
name = "ball"
case = "ball"
path = "eps_to_zero"
schemes = ["level_set"]
eps = [0.4]
tau = 0.01
h = 0.1
min_cells_per_eps = 1.5
"""


@pytest.mark.parallel(nprocs=2)
def test_wide_suite_agrees_on_two_ranks_and_one_rank(tmp_path):
    """The wider suite on 2 ranks, every run on both ranks one after another, against rank 0 alone:
    every metric within RANK_RTOL.  On lanes (two runs at a time, one rank each): bitwise the records
    of rank 0 alone, and the same tables."""
    comm = MPI.COMM_WORLD
    base = Path(comm.bcast(str(tmp_path), root=0))
    write_xdmf(base / "disc.xdmf", gmsh_mesh(comm, "disc", 0.1, centre=[0.0, 0.0], radius=1.2))
    if comm.rank == 0:
        (base / "wide.toml").write_text(WIDE)
    comm.barrier()
    suite = load_suite(base / "wide.toml")
    world = run_suite(suite, base / "world", comm, concurrent=False)
    assert all(r["status"] in ("ok", "flagged") for r in world["runs"]), [r.get("reason") for r in world["runs"]]
    lanes = run_suite(suite, base / "lanes", comm)
    mine = json.dumps(lanes["runs"], sort_keys=True)
    assert mine == comm.bcast(mine, root=0)  # the same document on every rank
    problems = None
    if comm.rank == 0:
        single = run_suite(suite, base / "self", MPI.COMM_SELF)
        problems = compare_results(world, single) + compare_results(lanes, single)
        if [r["run"]["id"] for r in lanes["runs"]] != [r["run"]["id"] for r in single["runs"]]:
            problems.append("the runs of the lanes are not in the suite's order")
        # the adversarial scheme on a lane of one rank is the adversarial scheme on one rank, bitwise
        bitwise = compare_results(*({**d, "runs": [r for r in d["runs"] if r["run"]["scheme"] == "nonlocal"]}
                                    for d in (lanes, single)), rtol=0.0, atol=0.0)
        problems += bitwise
    problems = comm.bcast(problems, root=0)
    assert not problems, problems


@pytest.mark.parallel([1, 2])
def test_real_schemes_decrease_and_write_vtx(tmp_path):
    comm = MPI.COMM_WORLD
    base = Path(comm.bcast(str(tmp_path), root=0))
    if comm.rank == 0:
        (base / "small.toml").write_text(SUITE)
    comm.barrier()
    suite = load_suite(base / "small.toml")
    doc = run_suite(suite, base / "world", comm, vtx=True)
    assert [r["status"] for r in doc["runs"]] == ["ok"] * 4, [r.get("reason") for r in doc["runs"]]
    nonlocal_err = [r["metrics"]["radius_error"] for r in doc["runs"] if r["run"]["scheme"] == "nonlocal"]
    assert nonlocal_err[1] < nonlocal_err[0], f"nonlocal radius errors {nonlocal_err} do not decrease"
    folders = sorted((base / "world" / "vtx").iterdir())
    assert [f.name for f in folders] == sorted(
        f"diagonal__{s}__eps={e}__tau={e}__h={h}.bp"
        for s in ("level_set", "nonlocal") for e, h in (("0.2", "0.0666667"), ("0.1", "0.0333333"))), folders
    assert all((f / "md.idx").exists() for f in folders)  # complete ADIOS2 folders, no temporary left
