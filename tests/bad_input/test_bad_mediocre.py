"""Class 9: answers that were right but mediocre.  A suite whose table is not what advmcf reads (a
dimension that is a float, nesting deeper than the parser goes, an expression that overflows or
nests too deeply), a results file with fields missing or of the wrong type, and figure data that is
not an ``.npz`` of arrays end in one line naming the field or file and the fix, exit code 2, with no
warning line before it and no traceback."""

import json
import re

import numpy as np
import pytest
from mpi4py import MPI

COMM = MPI.COMM_WORLD

_DENSITY = 'density = { kind = "gaussian", sigma = 0.5 }'


def _expression(expr):
    return _DENSITY, f'density = {{ kind = "expression", expr = "{expr}" }}'


@pytest.mark.parallel([1, 2])
@pytest.mark.timeout(300)
@pytest.mark.filterwarnings("error::RuntimeWarning")  # no warning line before the error line
@pytest.mark.parametrize("old, new, match", [
    ("dim = 2", "dim = 2.0", r"dim = 2\.0: must be 2 or 3"),
    ("dim = 2", "dim = true", r"dim = True: must be 2 or 3"),
    ("dim = 2", 'dim = "2"', r"dim = '2': must be 2 or 3"),
    ("T = 0.1", "T = 0.1\nnote = " + "[" * 3000 + "]" * 3000, r"nested too deeply"),
    ("T = 0.1", "T = 0.1\nnote = " + "{ a = " * 3000 + "1" + " }" * 3000, r"nested too deeply"),
    (*_expression("exp(exp(exp(10 + x)))"), r"density: rho0 must be finite and positive .* not finite at x"),
    (*_expression("-" * 1500 + "x"), r"nested too deeply"),
    (*_expression("(" * 500 + "x" + ")" * 500), r"density: expression .* too many nested parentheses"),
    (*_expression("x**x**x**x**x**x**x**x**99"), r"density: rho0 must be finite and positive .* not finite at x"),
])
def test_suites_that_gave_tracebacks(shared, on_root, cli, good, old, new, match):
    on_root(lambda: (shared / "suite.toml").write_text(good.replace(old, new, 1)))
    lines = cli(["run", shared / "suite.toml", "-q", "-o", shared / "out"])
    if COMM.rank == 0:
        assert len(lines) == 1 and lines[0].startswith("advmcf: error: ") and re.search(match, lines[0]), lines
    assert not (shared / "out").exists()


def _tiny(good):
    return (good.replace('schemes = ["level_set", "nonlocal"]', 'schemes = ["level_set"]')
            .replace("eps = [0.1, 0.05]", "eps = [0.1]").replace('h = "eps/4"', "h = 0.25"))


def _drop(*keys):
    def edit(doc):
        *path, last = keys
        obj = doc
        for k in path:
            obj = obj[k]
        del obj[last]
    return edit


def _set(value, *keys):
    def edit(doc):
        *path, last = keys
        obj = doc
        for k in path:
            obj = obj[k]
        obj[last] = value
    return edit


RESULTS_EDITS = {
    "runs missing": (_drop("runs"), r"runs is missing"),
    "suite not a table": (_set([], "suite"), r"suite is missing"),
    "studies missing": (_drop("suite", "studies"), r"suite\.studies is missing"),
    "a run not a record": (_set(3, "runs", 0), r"runs\[0\] is not a record"),
    "metrics missing": (_drop("runs", 0, "metrics"), r"runs\[0\]\.metrics is missing"),
    "id a number": (_set(5, "runs", 0, "run", "id"), r"runs\[0\]\.run\.id is not a str"),
    "status missing": (_drop("runs", 0, "status"), r"runs\[0\]\.status is missing"),
    "a metric a string": (_set("small", "runs", 0, "metrics", "radius_error"), r"runs\[0\]\.metrics\.radius_error"),
}


@pytest.mark.timeout(300)
def test_results_and_figure_data_that_are_damaged(tmp_path, cli, one_line, good):
    (tmp_path / "suite.toml").write_text(_tiny(good))
    out = tmp_path / "out"
    assert cli(["run", tmp_path / "suite.toml", "-qq", "-o", out], code=0) == []
    results = out / "results.json"
    text = results.read_text()
    for name, (edit, match) in RESULTS_EDITS.items():
        doc = json.loads(text)
        edit(doc)
        results.write_text(json.dumps(doc))
        for command in ("table", "plot"):
            one_line(cli([command, out]), rf"^advmcf: error: .*results\.json: an incomplete advmcf results file "
                                          rf"\({match}.*\): run the suite again")
    results.write_text(text)
    (npz,) = (out / "runs").glob("*.npz")
    arrays = dict(np.load(npz))
    garbage = {"random bytes": np.random.default_rng(1).bytes(3000),
               "a zip that ends early": npz.read_bytes()[:200],
               "an empty file": b""}
    for name, data in garbage.items():
        npz.write_bytes(data)
        one_line(cli(["plot", out]), rf"^advmcf plot: error: .*{npz.name}: not the figure data of a run .*--resume")
    np.savez(npz, **{**arrays, "interface": np.array([{"a": 1}], dtype=object)})  # a pickle inside
    one_line(cli(["plot", out]), r"not the figure data of a run \(.*pickle")
