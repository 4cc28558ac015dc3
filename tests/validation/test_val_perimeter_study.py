"""The ``perimeter`` study kind: parsing, a small run on 1 and 2 ranks, its table and figures."""

from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.validation.plots import plot_all
from advmcf.validation.runner import run_suite
from advmcf.validation.suites import SuiteError, load_suite
from advmcf.validation.results import compare_results
from advmcf.validation.tables import study_tables

SUITE = """
[suite]
name = "per"

[[studies]]
name = "crossed"
kind = "perimeter"
mesh = "crossed"
eps = 0.15
eps_over_h = [3, 4]
angles = 4
offsets = 3
positions = 2
"""


def _write(tmp_path, text, comm=MPI.COMM_WORLD):
    base = Path(comm.bcast(str(tmp_path), root=0))
    if comm.rank == 0:
        (base / "s.toml").write_text(text)
    comm.barrier()
    return base


@pytest.mark.parallel([1, 2])
def test_perimeter_study_runs_and_tabulates(tmp_path):
    """Two discretizations x two eps/h: the isotropic rows beat the plain ball's on straight interfaces,
    both within sane bounds; an error-against-angle figure is drawn; on 2 ranks (lanes, or all runs on both
    ranks) the table of 1 rank."""
    comm = MPI.COMM_WORLD
    base = _write(tmp_path, SUITE)
    suite = load_suite(base / "s.toml")
    assert [r.id for r in suite.runs] == ["crossed/isotropic/crossed/eps_over_h=3", "crossed/isotropic/crossed/eps_over_h=4",
                                          "crossed/plain/crossed/eps_over_h=3", "crossed/plain/crossed/eps_over_h=4"]
    doc = run_suite(suite, base / "world", comm)
    assert [r["status"] for r in doc["runs"]] == ["ok"] * 4, [r.get("reason") for r in doc["runs"]]
    m = {r["run"]["id"]: r["metrics"] for r in doc["runs"]}
    for ratio in (3, 4):
        iso, flat = m[f"crossed/isotropic/crossed/eps_over_h={ratio}"], m[f"crossed/plain/crossed/eps_over_h={ratio}"]
        assert iso["straight_max"] < 0.01 < flat["straight_max"], (iso, flat)
        assert iso["disc_max"] < 0.01 and iso["ellipse_max"] < 0.01, iso
    (table,) = study_tables(doc)
    assert table["kind"] == "perimeter" and table["param"] == "h" and "straight_max" in table["metrics"]
    if comm.rank == 0:
        names = {p.name for p in plot_all(base / "world")}
        assert "angles_crossed.png" in names and "convergence_crossed.png" in names, names
    if comm.size > 1:  # 2 ranks (each run on a lane of its own, or all on both) give 1 rank's numbers
        sequential = run_suite(suite, base / "sequential", comm, concurrent=False)
        problems = None
        if comm.rank == 0:
            run_suite(suite, base / "self", MPI.COMM_SELF)
            tables = [(base / d / "table.csv").read_text() for d in ("world", "sequential", "self")]
            problems = compare_results(sequential, doc) + [  # the lumped masses: partition round-off
                f"table.csv of {d} differs from the one on 1 rank" for d, t in zip(("world", "sequential"), tables)
                if t != tables[2]]
        problems = comm.bcast(problems, root=0)
        assert not problems, problems
    comm.barrier()


@pytest.mark.parametrize("study, key, message", [
    ('mesh = "hexagons"\neps = 0.1\neps_over_h = [4]', "mesh", "is not one of crossed, gmsh, gmsh_delaunay"),
    ('mesh = "crossed"\neps = 0.5\neps_over_h = [4]', "eps", r"must be a number in \(0, 0.17\]"),
    ('mesh = "crossed"\neps = 0.1\neps_over_h = [1]', "eps_over_h", "at least 2"),
    ('mesh = "crossed"\neps = 0.1\neps_over_h = [4]\nshapes = ["ball"]', "shapes", "straight, disc, ellipse"),
    ('mesh = "crossed"\neps = 0.1\neps_over_h = [4]\ndiscretizations = ["round"]', "discretizations",
     "isotropic, plain"),
    ('mesh = "crossed"\neps = 0.1\neps_over_h = [4]\ncase = "x"', "case", "unknown key for kind 'perimeter'"),
    ('mesh = "crossed"\neps = 0.1', "eps_over_h", "missing"),
])
def test_perimeter_study_bad_keys(tmp_path, study, key, message):
    (tmp_path / "s.toml").write_text(f'[[studies]]\nname = "p"\nkind = "perimeter"\n{study}\n')
    with pytest.raises(SuiteError, match=rf"studies\[0\]\.{key}: .*{message}"):
        load_suite(tmp_path / "s.toml")


def test_support_error_is_reported_for_the_fit_only(tmp_path):
    """The fitted mixture's own support error is a column; the plain ball has none (NaN)."""
    (tmp_path / "s.toml").write_text(SUITE.replace("[3, 4]", "[3]"))
    doc = run_suite(load_suite(tmp_path / "s.toml"), tmp_path / "out", MPI.COMM_SELF)
    errs = {r["run"]["scheme"]: r["metrics"]["support_error"] for r in doc["runs"]}
    assert 0 < errs["isotropic"] < 0.01 and np.isnan(errs["plain"]), errs
