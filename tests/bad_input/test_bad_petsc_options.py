"""Class 4: PETSc options.  A solver set-up that fails leaves the options database as it found it (no
prefix left pushed, nothing left set), so no later run changes; option values are checked before the
first run with PETSc's own message; an option under no advmcf prefix is refused and options nothing
read are reported."""

import pytest
from mpi4py import MPI
from petsc4py import PETSc

from advmcf.fem_mcf import PetscOptionError, allen_cahn_flow, level_set_flow, thresholding_flow
from advmcf.meshes.generate import box
from advmcf.meshes.measures import volume
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.meshes.stack import options_restored

COMM = MPI.COMM_WORLD

BAD_VALUES = [({"ksp_type": "nonsense"}, r"Unable to find requested KSP type nonsense"),
              ({"pc_type": "hypre"}, r"Unable to find requested PC type hypre"),
              ({"ksp_rtol": "abc"}, r"Input string abc has no numeric value"),
              ({"ksp_max_it": "1.5e"}, r"no (integer|numeric) value|Input string")]


def _flows(comm):
    msh = box(comm, [-1, -1], [1, 1], n=10)
    phi = level_set(msh, disc([0, 0], 0.6))
    rho = lambda x: 1.0 + 0.5 * x[0] ** 2  # noqa: E731
    return {"level_set": lambda **kw: level_set_flow(phi, rho, 0.01, 0.02, **kw),
            "thresholding": lambda **kw: thresholding_flow(phi, rho, 0.01, 0.02, **kw),
            "allen_cahn": lambda **kw: allen_cahn_flow(phi, rho, 0.01, 0.02, delta=0.3, **kw)}


def _state():
    """The options database and where a new option lands (a pushed prefix would show)."""
    db = PETSc.Options()
    db["advmcf_test_probe"] = 1
    state = db.getAll()
    for k in [k for k in state if k.endswith("advmcf_test_probe")]:
        db.delValue(k)
    return state


@pytest.mark.parallel([1, 2])
def test_failed_setups_leave_the_database_and_later_runs_alone():
    flows = _flows(COMM)
    clean = {name: [volume(s) for s in run().sets] for name, run in flows.items()}
    before = _state()
    for name, run in flows.items():
        for options, match in BAD_VALUES:
            with pytest.raises(PetscOptionError, match=rf"solver -{name}_\*: .*({match})") as info:
                run(petsc_options=options)
            assert "\n" not in str(info.value)
            assert _state() == before, (name, options)
    assert {name: [volume(s) for s in run().sets] for name, run in flows.items()} == clean


def test_options_restored_pops_prefixes_and_restores_values():
    db = PETSc.Options()
    db["advmcf_keep"] = "1"
    before = _state()
    with pytest.raises(RuntimeError):
        with options_restored():
            db.prefixPush("level_set_")
            db.prefixPush("inner_")
            db["ksp_rtol"] = "1e-3"
            db.delValue("advmcf_keep")
            raise RuntimeError("a set-up failed half-way")
    assert _state() == before
    db.delValue("advmcf_keep")


@pytest.mark.parallel([1, 2])
@pytest.mark.parametrize("argv, match", [
    (["-level_set_ksp_type", "nonsense"], r"PETSc options of the solver -level_set_\*: .*KSP type nonsense"),
    (["-thresholding_ksp_rtol", "abc"], r"solver -thresholding_\*: .*Input string abc has no numeric value"),
    (["-allen_cahn_pc_type", "hypre"], r"solver -allen_cahn_\*: .*PC type hypre"),
    (["-levelset_ksp_rtol", "1e-8"], r"PETSc option -levelset_ksp_rtol: no solver of advmcf reads it"),
    (["-ksp_monitor"], r"PETSc option -ksp_monitor: no solver of advmcf reads it"),
    (["-thresholding_pc_type", "sor", "-allen_cahn_ksp_type", "bogus"], r"solver -allen_cahn_\*: .*KSP type bogus"),
])
def test_bad_options_before_the_first_run(shared, on_root, cli, one_line, good, argv, match):
    on_root(lambda: (shared / "suite.toml").write_text(good))
    with options_restored():
        one_line(cli(["run", shared / "suite.toml", "-q", "-o", shared / "out", *argv]), rf"^advmcf: error: .*{match}")
    assert not (shared / "out").exists()


def test_bad_suite_options_before_the_first_run(tmp_path, cli, one_line, good):
    for table, match in (('level_set_ksp_type = "nonsense"', r"KSP type nonsense"),
                         ("thresholding_ksp_rtol = \"x\"", r"Input string x"),
                         ("levelsetksp_pc_type = \"jacobi\"", r"-levelsetksp_pc_type: no solver of advmcf")):
        (tmp_path / "suite.toml").write_text(good + f"\n[petsc_options]\n{table}\n")
        with options_restored():
            one_line(cli(["run", tmp_path / "suite.toml", "-q", "-o", tmp_path / "out"]), match)
        assert not (tmp_path / "out").exists()


def test_a_run_that_fails_half_way_changes_no_other(tmp_path, good):
    """A scheme that pushes a prefix, sets options and raises (as a LinearProblem on a bad option did):
    the runs after it equal those of a clean suite, and results.json records no option nobody gave."""
    from advmcf.validation import schemes as registry
    from advmcf.validation.results import json_clean
    from advmcf.validation.runner import run_suite
    from advmcf.validation.suites import load_suite

    text = good.replace('schemes = ["level_set", "nonlocal"]', 'schemes = ["level_set", "thresholding", "allen_cahn"]')
    text = text.replace("eps = [0.1, 0.05]", "eps = [0.1]").replace('h = "eps/4"', "h = 0.25")
    text += '\n[petsc_options]\nthresholding_ksp_rtol = 1e-9\nallen_cahn_ksp_rtol = 1e-9\n'
    (tmp_path / "suite.toml").write_text(text)
    suite = load_suite(tmp_path / "suite.toml")

    def fails_half_way(*args, **kwargs):
        db = PETSc.Options()
        db.prefixPush("level_set_")
        db["ksp_rtol"] = "1e-2"
        raise PETSc.Error(86)

    broken = dict(registry.SCHEMES)
    broken["level_set"] = registry.Scheme(**{**registry.SCHEMES["level_set"].__dict__, "run": fails_half_way})
    before = _state()
    clean = run_suite(suite, tmp_path / "clean", MPI.COMM_SELF)
    hurt = run_suite(suite, tmp_path / "hurt", MPI.COMM_SELF, schemes=broken)
    assert _state() == before
    assert hurt["runs"][0]["status"] == "failed" and "error code 86" in hurt["runs"][0]["reason"]
    assert [r["status"] for r in hurt["runs"][1:]] == [r["status"] for r in clean["runs"][1:]]
    for a, b in zip(clean["runs"][1:], hurt["runs"][1:]):
        assert json_clean(a["metrics"]) == json_clean(b["metrics"]), a["run"]["id"]  # NaN read as None
    assert not any(k.startswith("level_set_") for k in hurt["environment"]["petsc_options"]), \
        hurt["environment"]["petsc_options"]


def test_unused_options_are_reported(tmp_path, cli, good, caplog):
    text = (good.replace('schemes = ["level_set", "nonlocal"]', 'schemes = ["level_set"]')
            .replace("eps = [0.1, 0.05]", "eps = [0.1]").replace('h = "eps/4"', "h = 0.25"))
    (tmp_path / "suite.toml").write_text(text)
    with options_restored():
        lines = cli(["run", tmp_path / "suite.toml", "-q", "-o", tmp_path / "out", "-level_set_ksp_rtoll", "1e-3",
                     "-thresholding_ksp_rtol", "1e-9"], code=0)
    assert [line for line in lines if "PETSc options" in line] == [
        "PETSc options that nothing read: -level_set_ksp_rtoll (misspelt, or for a solver this suite does not run)"]
