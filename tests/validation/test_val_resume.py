"""``--resume`` reuses a record only when nothing that determines the run changed.

A probe scheme counts its calls and returns the initial set unchanged, so its
metrics depend on the case (density, domain, initial set, mesh) and a stale
record would show old numbers.  Each test changes one input, resumes, and
checks that exactly the affected runs are recomputed, that the log line names
the input, and that the results equal a fresh run of the changed suite.
"""

import json
import logging
from pathlib import Path

import pytest
from mpi4py import MPI

from advmcf.meshes.generate import box
from advmcf.meshes.io import write_xdmf
from advmcf.meshes.evolution import Evolution
from advmcf.validation import runner
from advmcf.validation.runner import run_suite
from advmcf.validation.schemes import SCHEMES, Scheme
from advmcf.validation.suites import load_suite

COMM = MPI.COMM_WORLD

SUITE = """
[suite]
name = "resume"

[[cases]]
name = "c"
dim = 2
domain = [[-1.0, -1.0], [1.0, 1.0]]
T = 0.2
density = { kind = "gaussian", sigma = 2.0 }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.5 }

[[studies]]
name = "s"
case = "c"
schemes = [{ name = "probe", tag = 1 }]
eps = [0.2, 0.1]
h = "eps/2"
min_cells_per_eps = 2
"""

CALLS = []


def _computed():
    """The eps of the runs computed since CALLS was cleared, on any rank (a suite on lanes of ranks
    computes each run on one lane), largest first."""
    return sorted({e for part in COMM.allgather(CALLS) for e in part}, reverse=True)
FAIL = []


def _probe(case, phi0, eps, tau, T, options, output_times, progress):
    CALLS.append(eps)
    if FAIL:
        raise FloatingPointError("probe failure")
    return Evolution(list(output_times), [phi0.copy() for _ in output_times], [], None, "probe")


def _tag(v):
    if not isinstance(v, int):
        raise ValueError(f"must be an integer, got {v!r}")


SCHEMES_T = dict(SCHEMES, probe=Scheme("probe", _probe, {"tag": _tag}, True))


@pytest.fixture
def base(tmp_path):
    return Path(COMM.bcast(str(tmp_path), root=0))


def _load(base, text, name="suite.toml"):
    path = base / name
    if COMM.rank == 0:
        path.write_text(text)
    COMM.barrier()
    return load_suite(path, SCHEMES_T)


def _metrics(doc):
    """Ids, statuses and metrics as JSON text (NaN as null, as in a record read back)."""
    return json.dumps([(r["run"]["id"], r["status"], r.get("metrics")) for r in doc["runs"]]).replace("NaN", "null")


def _resume_after(base, caplog, old_text, new_text, expect_calls, expect_log):
    """Run ``old_text`` into a folder, then ``new_text`` with resume; compare with a fresh run."""
    out = base / "out"
    run_suite(_load(base, old_text), out, COMM, schemes=SCHEMES_T)
    CALLS.clear()
    with caplog.at_level(logging.INFO, logger="advmcf"):
        doc = run_suite(_load(base, new_text), out, COMM, resume=True, schemes=SCHEMES_T)
    assert _computed() == expect_calls, f"recomputed {_computed()}, expected {expect_calls}"
    if COMM.rank == 0 and expect_log is not None:
        lines = [r.getMessage() for r in caplog.records if "recomputing" in r.getMessage()]
        assert lines and all(expect_log in line for line in lines), lines
    fresh = run_suite(_load(base, new_text), base / "fresh", COMM, schemes=SCHEMES_T)
    assert _metrics(doc) == _metrics(fresh)
    if COMM.rank == 0:
        assert (out / "table.csv").read_text() == (base / "fresh" / "table.csv").read_text()
    COMM.barrier()


@pytest.mark.parametrize("old, new, field", [
    ("radius = 0.5", "radius = 0.7", "case.table.initial.radius 0.5 -> 0.7"),
    ("centre = [0.0, 0.0], radius", "centre = [0.1, 0.0], radius", "case.table.initial.centre"),
    ('initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.5 }',
     'initial = { shape = "rectangle", lower = [-0.5, -0.4], upper = [0.5, 0.4] }', "case.table.initial"),
    ("sigma = 2.0", "sigma = 1.0", "case.table.density.sigma 2.0 -> 1.0"),
    ('density = { kind = "gaussian", sigma = 2.0 }',
     'rho0 = { kind = "constant" }\nrho1 = { kind = "constant", value = 2.0 }', "case.table.density"),
    ("domain = [[-1.0, -1.0], [1.0, 1.0]]", "domain = [[-1.0, -1.0], [1.2, 1.0]]", "case.table.domain"),
    ("T = 0.2", "T = 0.4", "run.T 0.2 -> 0.4"),
    ("T = 0.2", 'T = 0.2\nreference = "none"', "case.reference 'radial_ode' -> 'none'"),
    ("tag = 1", "tag = 2", None),
    ("[[studies]]", '[petsc_options]\nlevel_set_ksp_rtol = 1e-6\n\n[[studies]]', "petsc_options.level_set_ksp_rtol"),  # options are part of the run id: a new record
])
def test_changed_case_or_scheme_is_recomputed(base, caplog, old, new, field):
    assert old in SUITE
    _resume_after(base, caplog, SUITE, SUITE.replace(old, new), [0.2, 0.1], field)


@pytest.mark.parallel([1, 2])
def test_changed_parameters_recompute_only_the_changed_runs(base, caplog):
    # h of the first level only (0.1 -> 0.08); the second keeps h = 0.05
    new = SUITE.replace('h = "eps/2"', 'h = "minimum(eps/2, 0.08)"')
    _resume_after(base, caplog, SUITE, new, [0.2], None)
    new = SUITE.replace("eps = [0.2, 0.1]", "eps = [0.2, 0.1, 0.05]")
    _resume_after(base, caplog, SUITE, new, [0.05], None)


@pytest.mark.parallel([1, 2])
def test_unchanged_suite_is_not_recomputed_and_failed_runs_are_retried(base, caplog):
    out = base / "out"
    run_suite(_load(base, SUITE), out, COMM, schemes=SCHEMES_T)
    CALLS.clear()
    run_suite(_load(base, SUITE), out, COMM, resume=True, schemes=SCHEMES_T)
    assert _computed() == []
    # a suite file with another name but the same contents is the same runs
    run_suite(_load(base, SUITE, "copy.toml"), out, COMM, resume=True, schemes=SCHEMES_T)
    assert _computed() == []
    # a run that failed is retried by --resume
    FAIL.append(True)
    try:
        doc = run_suite(_load(base, SUITE), base / "failing", COMM, schemes=SCHEMES_T)
    finally:
        FAIL.clear()
    assert [r["status"] for r in doc["runs"]] == ["failed", "failed"]
    CALLS.clear()
    with caplog.at_level(logging.INFO, logger="advmcf"):
        doc = run_suite(_load(base, SUITE), base / "failing", COMM, resume=True, schemes=SCHEMES_T)
    # the probe keeps a set the reference sees vanish: NaN metrics, flagged (advmcf.validation.flags), not failed
    assert _computed() == [0.2, 0.1] and [r["status"] for r in doc["runs"]] == ["flagged", "flagged"]
    if COMM.rank == 0:
        assert any("failed before (FloatingPointError: probe failure)" in r.getMessage() for r in caplog.records)


@pytest.mark.parallel([1, 2])
def test_changed_code_version_is_recomputed(base, caplog, monkeypatch):
    out = base / "out"
    run_suite(_load(base, SUITE), out, COMM, schemes=SCHEMES_T)
    code = runner.code_version()
    monkeypatch.setattr(runner, "code_version", lambda: {**code, "sources_sha256": "0" * 64})
    CALLS.clear()
    with caplog.at_level(logging.INFO, logger="advmcf"):
        run_suite(_load(base, SUITE), out, COMM, resume=True, schemes=SCHEMES_T)
    assert _computed() == [0.2, 0.1]
    if COMM.rank == 0:
        assert any("code.sources_sha256 changed" in r.getMessage() for r in caplog.records)
    monkeypatch.setattr(runner, "code_version", lambda: {**code, "libraries": {**code["libraries"], "numpy": "0"}})
    CALLS.clear()
    run_suite(_load(base, SUITE), out, COMM, resume=True, schemes=SCHEMES_T)
    assert _computed() == [0.2, 0.1]


@pytest.mark.parallel([1, 2])
def test_changed_mesh_file_contents_are_recomputed(base, caplog):
    text = (SUITE.replace("domain = [[-1.0, -1.0], [1.0, 1.0]]", 'mesh = "m.xdmf"')
            .replace('h = "eps/2"\nmin_cells_per_eps = 2', "min_cells_per_eps = 1.5")
            .replace("eps = [0.2, 0.1]", "eps = [0.4, 0.2]").replace("T = 0.2", "T = 0.4"))
    write_xdmf(base / "m.xdmf", box(COMM, [-1, -1], [1, 1], n=16))
    run_suite(_load(base, text), base / "out", COMM, schemes=SCHEMES_T)
    CALLS.clear()
    run_suite(_load(base, text), base / "out", COMM, resume=True, schemes=SCHEMES_T)
    assert _computed() == []
    # same name, same layout (the XDMF text is identical), other coordinates in the .h5
    xml = (base / "m.xdmf").read_text()
    write_xdmf(base / "m.xdmf", box(COMM, [-1.1, -1], [0.9, 1], n=16))  # shifted: the same h_max
    assert (base / "m.xdmf").read_text() == xml
    CALLS.clear()
    with caplog.at_level(logging.INFO, logger="advmcf"):
        doc = run_suite(_load(base, text), base / "out", COMM, resume=True, schemes=SCHEMES_T)
    assert _computed() == [0.4, 0.2]
    if COMM.rank == 0:
        assert any("case.table.mesh_sha256 changed" in r.getMessage() for r in caplog.records)
    fresh = run_suite(_load(base, text), base / "fresh", COMM, schemes=SCHEMES_T)
    assert _metrics(doc) == _metrics(fresh)
