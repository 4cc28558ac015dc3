"""The run pipeline end to end with a test-local exact "scheme" (no real scheme needed).

The scheme returns the P1 disc of radius R(t) + eps**2/2, R the exact radius:
its radius error is eps**2/2 up to the cut-cell/interpolation error O(h^2),
so the observed order along the diagonal is 2.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.meshes.generate import box
from advmcf.meshes.measures import volume
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.validation.results import RANK_RTOL, compare_results
from advmcf.validation.runner import run_file_name, run_suite
from advmcf.validation.schemes import SCHEMES, Scheme
from advmcf.validation.suites import load_suite

SUITE = """
[suite]
name = "pipeline"
description = "exact disc plus eps^2 bias"

[[cases]]
name = "disc"
dim = 2
domain = [[-0.5, -0.5], [0.5, 0.5]]
T = 0.04
density = { kind = "constant" }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }

[[studies]]
name = "diag"
case = "disc"
path = "diagonal"
schemes = ["exact"]
eps = [0.04, 0.02, 0.01]
h = "eps/2"
min_cells_per_eps = 2
"""

CALLS = []


def _computed():
    """The eps of the runs computed since CALLS was cleared, on any rank (a suite on lanes of ranks
    computes each run on one lane), largest first."""
    return sorted({e for part in MPI.COMM_WORLD.allgather(CALLS) for e in part}, reverse=True)


def _exact(case, phi0, eps, tau, T, options, output_times, progress):
    from advmcf.meshes.evolution import Evolution
    from advmcf.meshes.sets import level_set
    from advmcf.meshes.shapes import disc

    if options.get("fail_below", 0) > eps:
        raise FloatingPointError(f"diverged at eps = {eps}")
    CALLS.append(eps)
    ref = case.reference()
    sets = [level_set(phi0.function_space, disc([0.0, 0.0], float(ref.radius(t)) + eps**2 / 2))
            for t in output_times]
    return Evolution(list(output_times), sets, [{"t": t} for t in output_times], None, "exact")


def _fail_below(v):
    if not isinstance(v, float):
        raise ValueError(f"must be a float, got {v!r}")


SCHEMES_T = dict(SCHEMES, exact=Scheme("exact", _exact, {"fail_below": _fail_below}, True))


def _shared_dir(tmp_path, comm):
    return Path(comm.bcast(str(tmp_path), root=0))


def _suite(tmp_path, comm, text=SUITE):
    path = _shared_dir(tmp_path, comm) / "suite.toml"
    if comm.rank == 0:
        path.write_text(text)
    comm.barrier()
    return load_suite(path, SCHEMES_T)


@pytest.mark.parallel([1, 2])
def test_exact_scheme_table_and_orders(tmp_path):
    comm = MPI.COMM_WORLD
    out = _shared_dir(tmp_path, comm) / "out"
    doc = run_suite(_suite(tmp_path, comm), out, comm, schemes=SCHEMES_T)
    runs = doc["runs"]
    assert [r["status"] for r in runs] == ["ok"] * 3
    err = np.array([r["metrics"]["radius_error"] for r in runs])
    eps = np.array([r["run"]["eps"] for r in runs])
    # eps^2/2 up to the O(h^2) area error of the P1 disc (h = eps/2 here)
    assert np.allclose(err, eps**2 / 2, rtol=0.25), f"radius errors {err}, expected {eps**2 / 2}"
    R = math.sqrt(0.16 - 2 * 0.04)  # exact R(T), rho constant
    for r in runs:
        d = r["run"]["eps"] ** 2 / 2
        # the same number computed here directly: radius of the cut-cell area of the P1 disc R + d
        msh = box(comm, [-0.5, -0.5], [0.5, 0.5], h=r["run"]["h"])
        R_h = math.sqrt(volume(level_set(msh, disc([0.0, 0.0], R + d))) / math.pi)
        assert r["metrics"]["radius_error"] == pytest.approx(abs(R_h - R), rel=1e-9, abs=1e-14)
        # symmetric difference of two concentric discs: pi((R + d)^2 - R^2) (rho = 1), up to O(h^2)
        assert r["metrics"]["symdiff_rho"] == pytest.approx(math.pi * ((R + d) ** 2 - R**2), rel=0.25)
        assert r["metrics"]["hausdorff"] == pytest.approx(d, rel=0.25)
        assert r["ratios"]["h_over_eps"] == pytest.approx(r["mesh"]["h_max"] / r["run"]["eps"])
        assert r["ratios"]["h_over_tau_V"] == pytest.approx(r["mesh"]["h_max"] / (r["run"]["tau"] / 0.4))
    table = (out / "table.md").read_text()
    ls_line = next(line for line in table.splitlines() if "least-squares order" in line)
    ls = float(ls_line.split("|")[8])
    assert abs(ls - 2) < 0.1, f"observed least-squares order {ls}, expected 2\n{table}"
    assert "radial ODE" in table
    saved = json.loads((out / "results.json").read_text())
    assert saved["schema"] == "advmcf.results/1" and saved["environment"]["nprocs"] == comm.size
    csv_rows = (out / "table.csv").read_text().splitlines()
    assert len(csv_rows) == 4 and all(f",{e}," in row for row, e in zip(csv_rows[1:], ("0.04", "0.02", "0.01"),
                                                                          strict=True)), csv_rows
    tex = (out / "table.tex").read_text()
    assert r"\toprule" in tex and tex.count(r" \\") == 5, tex  # the head, 3 runs, the least-squares row


@pytest.mark.parallel(nprocs=2)
def test_results_agree_on_two_ranks_and_one_rank(tmp_path):
    """The same suite on 2 ranks and on rank 0 alone (COMM_SELF) gives the same results (to
    RANK_RTOL, the stated tolerance) and tables that say so."""
    comm = MPI.COMM_WORLD
    base = _shared_dir(tmp_path, comm)
    suite = _suite(tmp_path, comm)
    world = run_suite(suite, base / "world", comm, schemes=SCHEMES_T)
    if comm.rank == 0:
        single = run_suite(suite, base / "self", MPI.COMM_SELF, schemes=SCHEMES_T)
        assert single["environment"]["nprocs"] == 1 and world["environment"]["nprocs"] == 2
        assert compare_results(world, single) == []
        assert (base / "world" / "table.md").read_text() == (base / "self" / "table.md").read_text()
    comm.barrier()


def test_compare_results_finds_what_differs():
    """compare_results can fail: a metric off by more than RANK_RTOL, a flag, a missing run."""
    run = {"run": {"id": "a"}, "status": "ok", "steps": 3, "mesh": {"h_max": 0.1},
           "ratios": {"h_over_eps": 0.5}, "metrics": {"symdiff_rho": 0.013406953, "hausdorff": None,
                                                       "moved_rho": 8e-12}}
    doc = {"runs": [run]}

    def changed(**metrics):
        return {"runs": [{**run, "metrics": {**run["metrics"], **metrics}}]}

    assert compare_results(doc, doc) == []
    assert compare_results(doc, changed(symdiff_rho=0.013406952)) == []  # 7e-8 relative: the solver's noise
    assert compare_results(doc, changed(moved_rho=4e-19)) == []  # round-off
    assert compare_results(doc, changed(symdiff_rho=0.0134070)) == [
        "a: metrics.symdiff_rho 0.013406953 vs 0.013407 (rtol 1e-06)"]
    assert compare_results(doc, changed(hausdorff=0.1)) == ["a: metrics.hausdorff None vs 0.1 (rtol 1e-06)"]
    assert compare_results(doc, {"runs": [{**run, "flags": [{"code": "pinned"}]}]}) == ["a: flags [] vs ['pinned']"]
    assert compare_results(doc, {"runs": []}) == ["a: only in the first results"]
    # the tolerance is the one the module states: just inside passes, just outside does not
    assert compare_results(doc, changed(symdiff_rho=0.013406953 * (1 + 0.9 * RANK_RTOL))) == []
    assert len(compare_results(doc, changed(symdiff_rho=0.013406953 * (1 + 1.1 * RANK_RTOL)))) == 1


@pytest.mark.parallel([1, 2])
def test_interrupted_then_resumed_recomputes_nothing_finished(tmp_path):
    comm = MPI.COMM_WORLD
    base = _shared_dir(tmp_path, comm)
    suite = _suite(tmp_path, comm)
    run_suite(suite, base / "full", comm, schemes=SCHEMES_T)
    out = base / "resumed"
    CALLS.clear()
    assert run_suite(suite, out, comm, schemes=SCHEMES_T, stop_after=2) == {}  # "killed" after 2 runs
    assert _computed() == [0.04, 0.02] and not (out / "results.json").exists()
    if comm.rank == 0:  # a half-written record of the third run, and a stray temporary file
        (out / "runs" / run_file_name(suite.runs[2].id)).write_text('{"run": {"id": ')
        (out / "runs" / ".junk.json.tmp").write_text("{")
    comm.barrier()
    CALLS.clear()
    run_suite(suite, out, comm, resume=True, schemes=SCHEMES_T)
    assert _computed() == [0.01], f"resume recomputed {_computed()}"
    assert (out / "table.md").read_text() == (base / "full" / "table.md").read_text()
    CALLS.clear()
    run_suite(suite, out, comm, resume=True, schemes=SCHEMES_T)
    assert _computed() == []


@pytest.mark.parallel([1, 2])
def test_failed_run_is_recorded_and_suite_goes_on(tmp_path):
    comm = MPI.COMM_WORLD
    text = SUITE.replace('schemes = ["exact"]', 'schemes = [{ name = "exact", fail_below = 0.015 }]')
    out = _shared_dir(tmp_path, comm) / "out"
    doc = run_suite(_suite(tmp_path, comm, text), out, comm, schemes=SCHEMES_T)
    assert [r["status"] for r in doc["runs"]] == ["ok", "ok", "failed"]
    failed = doc["runs"][2]
    assert failed["reason"] == "FloatingPointError: diverged at eps = 0.01"
    assert "Traceback" in failed["traceback"] and "in _exact" in failed["traceback"]
    table = (out / "table.md").read_text()
    assert "failed" in table and "diverged at eps = 0.01" in table
    # the orders are taken over the ok rows, and the table says which row was left out
    assert "least-squares order over 2 of 3 rows (failed left out)" in table, table
    if comm.rank == 0:
        saved = json.loads((out / "results.json").read_text())
        assert saved["runs"][2]["traceback"] == failed["traceback"]
    comm.barrier()


def _petsc_failure(case, phi0, eps, tau, T, options, output_times, progress):
    """A KSP asked for a type PETSc does not have: petsc4py says 'error code 86', PETSc says why."""
    from petsc4py import PETSc

    ksp = PETSc.KSP().create(phi0.function_space.mesh.comm)
    try:
        ksp.setType("nonsense")
    finally:
        ksp.destroy()


@pytest.mark.parallel([1, 2])
def test_a_petsc_failure_keeps_petscs_message(tmp_path):
    comm = MPI.COMM_WORLD
    schemes = dict(SCHEMES_T, petsc=Scheme("petsc", _petsc_failure, {}, True))
    path = _shared_dir(tmp_path, comm) / "suite.toml"
    if comm.rank == 0:
        path.write_text(SUITE.replace('schemes = ["exact"]', 'schemes = ["petsc"]').replace("0.04, 0.02, 0.01", "0.04"))
    comm.barrier()
    doc = run_suite(load_suite(path, schemes), _shared_dir(tmp_path, comm) / "out", comm, schemes=schemes)
    (run,) = doc["runs"]
    assert run["status"] == "failed" and run["reason"].startswith("Error: error code 86: "), run["reason"]
    assert "Unable to find requested KSP type nonsense" in run["reason"] and "\n" not in run["reason"]
    assert "Unable to find requested KSP type nonsense" in run["traceback"]


def _vanish(case, phi0, eps, tau, T, options, output_times, progress):
    """A scheme whose set is empty after its first step (the reference survives to T)."""
    from advmcf.meshes.evolution import Evolution

    empty = phi0.copy()
    empty.x.array[:] = 1.0
    return Evolution(list(output_times), [phi0.copy()] + [empty.copy() for _ in output_times[1:]],
                     [{"t": tau}], tau, "vanish")


def _wall(case, phi0, eps, tau, T, options, output_times, progress):
    """The exact scheme, whose set (clear of ∂Ω at t = 0) is reported within reach of ∂Ω at its last step
    when eps < 0.03, and whose step to T jumps by 1 when eps > 0.03."""
    ev = _exact(case, phi0, eps, tau, T, options, output_times, progress)
    n = round(T / tau)
    ev.diagnostics = [{"t": k * tau, "tau": tau if k else 0.0, "boundary_margin": 0.1,
                       "near_boundary": bool(k == n and eps < 0.03), "displacement": 1.0 if eps > 0.03 else 0.0}
                      for k in range(n + 1)]
    return ev


SCHEMES_F = dict(SCHEMES_T, vanish=Scheme("vanish", _vanish, {}, True),
                 pinning=Scheme("pinning", _exact, {}, True, vertex_sets=True),
                 wall=Scheme("wall", _wall, {}, True))


@pytest.mark.parallel([1, 2])
def test_a_set_at_the_boundary_and_a_jump_are_flagged(tmp_path):
    """A step that brings the set within the scheme's reach of ∂Ω, or that moves it far beyond τ|V|, makes the
    row flagged: kept out of the orders, with the flag in the table."""
    comm = MPI.COMM_WORLD
    text = SUITE.replace('schemes = ["exact"]', 'schemes = ["wall"]').replace("0.04, 0.02, 0.01", "0.04, 0.02, 0.01, 0.005")
    path = _shared_dir(tmp_path, comm) / "suite.toml"
    if comm.rank == 0:
        path.write_text(text)
    comm.barrier()
    out = _shared_dir(tmp_path, comm) / "out"
    doc = run_suite(load_suite(path, SCHEMES_F), out, comm, schemes=SCHEMES_F)
    assert [[f["code"] for f in r["flags"]] for r in doc["runs"]] == [["jump"], ["boundary"], ["boundary"], ["boundary"]]
    assert [r["status"] for r in doc["runs"]] == ["flagged"] * 4
    jump = doc["runs"][0]["flags"][0]["message"]
    # V(t) = 1/R(t) for the constant-density disc: at most 1/0.28 over [0, 0.04]
    assert "moved the set by 1, beyond 3τ|V| + 2h = 0.4" in jump, jump
    table = (out / "table.md").read_text()
    assert "boundary: the set came to the domain boundary at t = 0.04" in table
    # no row is usable: no order is printed
    assert "least-squares order over 0 of 4 rows ((a), (b), (c), (d) left out)" in table, table


@pytest.mark.parallel([1, 2])
def test_degenerate_runs_are_flagged_not_ok(tmp_path):
    """Extinction long before the reference's, NaN metrics and h/(τ|V|) ≥ 1 for a vertex-set scheme give
    status 'flagged', a marker and a footnote in the table, and no observed order through them."""
    comm = MPI.COMM_WORLD
    text = (SUITE.replace('schemes = ["exact"]', 'schemes = ["vanish", "pinning"]')
            .replace('path = "diagonal"', 'path = "eps_to_zero"\ntau = 0.004'))
    out = _shared_dir(tmp_path, comm) / "out"
    path = _shared_dir(tmp_path, comm) / "suite.toml"
    if comm.rank == 0:
        path.write_text(text)
    comm.barrier()
    doc = run_suite(load_suite(path, SCHEMES_F), out, comm, schemes=SCHEMES_F)
    vanish = [r for r in doc["runs"] if r["run"]["scheme"] == "vanish"]
    assert [r["status"] for r in vanish] == ["flagged"] * 3
    for r in vanish:
        codes = [f["code"] for f in r["flags"]]
        assert codes == ["extinct_early", "nan_metric"], codes
        assert "hausdorff" in r["flags"][1]["message"]
    pinning = [r for r in doc["runs"] if r["run"]["scheme"] == "pinning"]
    ratios = [r["ratios"]["h_over_tau_V"] for r in pinning]  # h/(tau |V|) = (eps/2)/(0.004/0.4) = 50 eps
    assert np.allclose(ratios, [2.0, 1.0, 0.5], rtol=0.02), ratios
    assert [r["status"] for r in pinning] == ["flagged", "flagged", "ok"]
    assert all(r["flags"][0]["code"] == "pinned" for r in pinning[:2])
    table = (out / "table.md").read_text()
    assert table.count("| vanish (") == 3 and table.count("| pinning (") == 2
    assert "pinned: h/(τ|V|) = 2 ≥ 1" in table and "extinct_early: the set vanished at t = 0.004" in table
    ls = [line for line in table.splitlines() if "least-squares order" in line]
    assert all("| 1." not in line and "| 2." not in line for line in ls), ls  # < 2 usable rows: no order
    csv_rows = (out / "table.csv").read_text().splitlines()
    assert sum(",flagged," in row for row in csv_rows) == 5


@pytest.mark.parallel([1, 2])
def test_provenance_and_file_modes(tmp_path):
    """results.json records every version, PETSc's options, the host, the command line and the seeds;
    every file written gets the mode the umask allows (0644 under 022, 0600 under 077)."""
    import os
    import stat

    comm = MPI.COMM_WORLD
    text = SUITE + """
[[studies]]
name = "cmp"
case = "disc"
kind = "comparison"
schemes = ["exact"]
eps = [0.04]
h = "eps/2"
min_cells_per_eps = 2
pairs = 1
seed = 7

[petsc_options]
level_set_ksp_rtol = 1e-9
"""
    base = _shared_dir(tmp_path, comm)
    for umask, mode in ((0o022, 0o644), (0o077, 0o600)):
        old = os.umask(umask)
        try:
            out = base / f"out{umask:o}"
            doc = run_suite(_suite(tmp_path, comm, text), out, comm, schemes=SCHEMES_T)
        finally:
            os.umask(old)
        if comm.rank == 0:
            files = [p for p in out.rglob("*") if p.is_file()]
            assert {p.name for p in files} >= {"results.json", "table.md", "table.tex", "table.csv", "orders.csv"}
            bad = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files if stat.S_IMODE(p.stat().st_mode) != mode}
            assert not bad, f"umask {umask:o}: expected {mode:o}, got {bad}"
    env = doc["environment"]
    for dist in ("numpy", "scipy", "mpi4py", "meshio", "gmsh", "h5py", "ortools", "PyMaxflow", "numba"):
        assert env["versions"][dist], dist
    assert env["dolfinx"].startswith("0.11") and env["petsc"].startswith("3.") and env["petsc_scalar"] == "float64"
    assert env["petsc_options"].get("level_set_ksp_rtol") == "1e-09"  # the suite's table, while it ran
    assert env["host"]["name"] and env["host"]["cpus"] >= 1 and env["command"] and env["cwd"]
    assert env["seeds"] == {"cmp": 7} and env["nprocs"] == comm.size and len(env["sources_sha256"]) == 64


@pytest.mark.parametrize("T, tau", [(0.1, 0.03), (0.2, 0.05), (0.07, 0.1)])
def test_every_step_output_times_are_the_schemes_own_steps(T, tau):
    """Keeping every step (--vtx, comparison runs) must not change the steps: the output times are
    the equal steps of advmcf.meshes.evolution.time_steps over [0, T], not k τ with a short last step."""
    from types import SimpleNamespace

    from advmcf.validation.runner import _output_times

    times = np.array(_output_times(SimpleNamespace(T=T, tau=tau), True))
    n = math.ceil(T / tau - 1e-9)
    assert times[0] == 0.0 and times[-1] == T and times.size == n + 1
    assert np.allclose(np.diff(times), T / n, rtol=0, atol=1e-15)
    assert _output_times(SimpleNamespace(T=T, tau=tau), False) == [0.0, T]


@pytest.mark.parallel([1, 2])
def test_shards_merged_by_resume_give_the_whole_suite(tmp_path):
    """--shard 0/2 and 1/2 into one folder compute each run once; --resume without a shard computes
    nothing and writes the tables of the whole suite, the same as one plain run."""
    comm = MPI.COMM_WORLD
    base = _shared_dir(tmp_path, comm)
    suite = _suite(tmp_path, comm)
    full = run_suite(suite, base / "full", comm, schemes=SCHEMES_T)
    out = base / "sharded"
    CALLS.clear()
    first = run_suite(suite, out, comm, schemes=SCHEMES_T, shard=(0, 2))
    assert _computed() == [0.04, 0.01] and [r["run"]["eps"] for r in first["runs"]] == [0.04, 0.01]
    assert not (out / "results.json").exists()
    CALLS.clear()
    second = run_suite(suite, out, comm, schemes=SCHEMES_T, shard=(1, 2), resume=True)
    assert _computed() == [0.02] and len(second["runs"]) == 3  # the last shard writes the whole suite
    CALLS.clear()
    merged = run_suite(suite, out, comm, schemes=SCHEMES_T, resume=True)
    assert _computed() == []
    # (on 2 ranks a shard's single run goes on both ranks: the same numbers to the stated tolerance)
    assert [r["run"]["id"] for r in merged["runs"]] == [r["run"]["id"] for r in full["runs"]]
    assert compare_results(merged, full) == []
