"""The ``phase`` path: runs over (eps/h, tau/eps) at fixed eps, their checks, and the phase map."""

from pathlib import Path

import pytest
from mpi4py import MPI

from advmcf.validation.plots import plot_all
from advmcf.validation.runner import run_suite
from advmcf.validation.suites import SuiteError, load_suite

CASE = """
[[cases]]
name = "disc"
dim = 2
domain = [[-0.8, -0.8], [0.8, 0.8]]
T = 0.04
density = { kind = "constant" }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.5 }
"""

STUDY = """
[[studies]]
name = "ph"
case = "disc"
path = "phase"
schemes = ["nonlocal"]
min_cells_per_eps = 2
"""


def test_phase_runs_cover_the_grid(tmp_path):
    (tmp_path / "s.toml").write_text(CASE + STUDY + "eps = 0.08\ntau_over_eps = [0.125, 0.5]\neps_over_h = [2, 4]\n")
    runs = load_suite(tmp_path / "s.toml").runs
    assert sorted((r.tau, r.h) for r in runs) == sorted((0.08 * t, 0.08 / k) for t in (0.125, 0.5) for k in (2, 4))
    assert {r.param for r in runs} == {"h"} and len({r.group for r in runs}) == 2


@pytest.mark.parametrize("extra, key, message", [
    ("eps = [0.08, 0.04]\ntau_over_eps = [1]\neps_over_h = [4]", "eps", "keeps eps fixed"),
    ("eps = 0.08\neps_over_h = [4]", "tau_over_eps", "missing"),
    ("eps = 0.08\ntau_over_eps = [1]\neps_over_h = [4]\ntau = 0.1", "tau", "remove tau"),
    ("eps = 0.08\ntau_over_eps = [1]\neps_over_h = [4]\nh = 0.01", "h", "remove h"),
])
def test_phase_bad_keys(tmp_path, extra, key, message):
    (tmp_path / "s.toml").write_text(CASE + STUDY + extra + "\n")
    with pytest.raises(SuiteError, match=rf"studies\[0\]\.{key}: .*{message}"):
        load_suite(tmp_path / "s.toml")


def test_phase_keys_only_on_the_phase_path(tmp_path):
    (tmp_path / "s.toml").write_text(CASE + STUDY.replace('path = "phase"', 'path = "diagonal"')
                                     + "eps = [0.08]\neps_over_h = [4]\n")
    with pytest.raises(SuiteError, match=r"studies\[0\]\.eps_over_h: only for path = 'phase'"):
        load_suite(tmp_path / "s.toml")


@pytest.mark.parallel([1, 2])
def test_phase_map_is_drawn(tmp_path):
    """A 1 x 2 phase grid runs; its travel ratio is near 1 (the set moves as the flow says) and the
    phase map is written."""
    comm = MPI.COMM_WORLD
    base = Path(comm.bcast(str(tmp_path), root=0))
    if comm.rank == 0:
        (base / "s.toml").write_text(CASE + STUDY + "eps = 0.08\ntau_over_eps = [0.5]\neps_over_h = [2, 3]\n")
    comm.barrier()
    doc = run_suite(load_suite(base / "s.toml"), base / "out", comm)
    ratios = [r["metrics"]["travel_ratio"] for r in doc["runs"]]
    assert all(0.7 < t < 1.3 for t in ratios), ratios
    if comm.rank == 0:
        names = {p.name for p in plot_all(base / "out")}
        assert "phase_ph_nonlocal.png" in names, names
