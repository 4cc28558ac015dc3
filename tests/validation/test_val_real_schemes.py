"""A small suite with the real schemes (level-set FEM and the nonlocal scheme), end to end.

Run on all ranks and on rank 0 alone (COMM_SELF), it must give identical
tables; the nonlocal radius error must decrease along the diagonal; with
``vtx=True`` every run leaves one complete VTX folder.
"""

from pathlib import Path

import pytest
from mpi4py import MPI

from validation.runner import run_suite
from validation.suites import load_suite

SUITE = """
[suite]
name = "small"

[[cases]]
name = "gauss_disc"
dim = 2
domain = [[-1.6, -1.6], [1.6, 1.6]]
T = 0.2
density = { kind = "gaussian", sigma = 2.0 }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 1.0 }

[[studies]]
name = "diagonal"
case = "gauss_disc"
path = "diagonal"
schemes = ["level_set", "nonlocal"]
eps = [0.2, 0.1]
h = "eps/3"
min_cells_per_eps = 3
"""


@pytest.mark.parallel([1, 2])
def test_real_schemes_identical_tables_on_n_and_one_rank(tmp_path):
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
    if comm.rank == 0:
        run_suite(suite, base / "self", MPI.COMM_SELF)
    comm.barrier()
    for fmt in ("md", "tex", "csv"):
        world, single = ((base / d / f"table.{fmt}").read_text() for d in ("world", "self"))
        assert world == single, f"table.{fmt} differs between {comm.size} ranks and 1 rank:\n{world}\n{single}"
