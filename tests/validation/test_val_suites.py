"""Suite loading: every bad input is answered before anything runs, in one line, exit code 2."""

import pytest

from advmcf.validation.cli import main
from advmcf.validation.suites import SuiteError, builtin_suites, load_suite

GOOD = """
[suite]
name = "t"

[[cases]]
name = "c"
dim = 2
domain = [[-1.0, -1.0], [1.0, 1.0]]
T = 0.04
density = { kind = "gaussian", sigma = 0.5 }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }

[[studies]]
name = "s"
case = "c"
path = "diagonal"
schemes = ["level_set", "nonlocal"]
eps = [0.04, 0.02]
h = "eps/8"
"""


def _write(tmp_path, text, name="suite.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_suite_expands_runs(tmp_path):
    suite = load_suite(_write(tmp_path, GOOD))
    assert [(r.scheme, r.eps, r.tau, r.h) for r in suite.runs] == [
        ("level_set", 0.04, 0.04, 0.005), ("level_set", 0.02, 0.02, 0.0025),
        ("nonlocal", 0.04, 0.04, 0.005), ("nonlocal", 0.02, 0.02, 0.0025)]
    assert suite.cases["c"].reference_kind == "radial_ode"


def test_paths_expand(tmp_path):
    text = GOOD.replace('path = "diagonal"', 'path = "grid"').replace("eps = [0.04, 0.02]",
                                                                     "eps = [0.04, 0.02]\ntau = [0.01, 0.005]")
    runs = load_suite(_write(tmp_path, text)).runs
    assert len(runs) == 8 and {(r.eps, r.tau) for r in runs} == {(e, t) for e in (0.04, 0.02) for t in (0.01, 0.005)}
    text = GOOD.replace('path = "diagonal"', 'path = "tau_to_zero"').replace("eps = [0.04, 0.02]",
                                                                            "eps = 0.04\ntau = [0.01, 0.005]")
    runs = load_suite(_write(tmp_path, text)).runs
    assert {(r.eps, r.tau, r.param) for r in runs} == {(0.04, 0.01, "tau"), (0.04, 0.005, "tau")}


@pytest.mark.parametrize("old, new, match", [
    ('name = "s"', 'name = "s"\ncolour = "red"', r"studies\[0\]\.colour: unknown key"),
    ("T = 0.04", "T = 0.04\nsize = 3", r"cases\[0\] \(c\)\.size: unknown key"),
    ("T = 0.04", "T = -0.05", r"T = -0.05: the final time must be positive"),
    ("T = 0.04", "T = 0.0", r"T = 0.0: the final time must be positive"),
    ("T = 0.04", 'T = "long"', r"T = 'long': must be a number"),
    ("eps = [0.04, 0.02]", "eps = [0.04, 0.0]", r"studies\[0\]\.eps: eps = 0.0 must be positive"),
    ("eps = [0.04, 0.02]", "eps = [0.04, -0.02]", r"eps = -0.02 must be positive"),
    ("eps = [0.04, 0.02]", 'eps = ["a"]', r"studies\[0\]\.eps: 'a' is not a number"),
    ('h = "eps/8"', 'h = "eps/2"', r"studies\[0\]\.h: eps = 0.04 is too small for the mesh \(h_max = 0.02\): "
                                   r"eps/h_max = 2, need >= 4"),
    ('h = "eps/8"', "h = -0.01", r"studies\[0\]\.h: h = -0.01 must be positive"),
    ('h = "eps/8"', 'h = "eps/foo"', r"studies\[0\]\.h: .*unknown name 'foo'"),
    ("sigma = 0.5", "sigma = 0", r"density: sigma = 0: must be a positive number"),
    ('density = { kind = "gaussian", sigma = 0.5 }',
     'density = { kind = "expression", expr = "x" }',
     r"cases\[0\] \(c\)\.density: rho0 must be finite and positive on the box mesh at h = 0.005 .*"
     r"rho0\(x\) = -0.5 at x = \(-1, -1, 0\)"),
    ('density = { kind = "gaussian", sigma = 0.5 }',
     'density = { kind = "power", alpha = 1.0 }', r"density: rho0 must be .* rho0\(x\) = 0 at x = \(0, 0, 0\)"),
    ('density = { kind = "gaussian", sigma = 0.5 }',
     'density = { kind = "expression", expr = "__import__(1)" }', r"function '__import__' is not allowed"),
    ('domain = [[-1.0, -1.0], [1.0, 1.0]]', 'mesh = "nowhere.msh"', r"mesh = 'nowhere.msh': no such file"),
    ('domain = [[-1.0, -1.0], [1.0, 1.0]]', 'domain = [[1.0, -1.0], [1.0, 1.0]]', r"need lower < upper"),
    ("dim = 2", "dim = 4", r"dim = 4: must be 2 or 3"),
    ("radius = 0.4", "radius = -0.4", r"initial: disc: radius must be a positive number, got -0.4"),
    ('shape = "disc"', 'shape = "blob"', r"initial: shape = 'blob': unknown"),
    ('centre = [0.0, 0.0], radius', 'centre = [0.0, 0.0, 0.0], radius', r"centre = .*must be a list of 2 numbers"),
    ('schemes = ["level_set", "nonlocal"]', 'schemes = ["magic"]', r"studies\[0\]\.schemes\[0\]: unknown scheme 'magic'"),
    ('schemes = ["level_set", "nonlocal"]', 'schemes = [{ name = "nonlocal", p = 2 }]',
     r"schemes\[0\]\.p: must be one of \[0, 1\], got 2"),
    ('schemes = ["level_set", "nonlocal"]', 'schemes = [{ name = "nonlocal", colour = 1 }]',
     r"schemes\[0\]\.colour: unknown option of scheme 'nonlocal'"),
    ('case = "c"', 'case = "d"', r"studies\[0\]\.case: no case named 'd'"),
    ('path = "diagonal"', 'path = "sideways"', r"studies\[0\]\.path: 'sideways' is not one of"),
    ('path = "diagonal"', 'path = "eps_to_zero"', r"studies\[0\]\.tau: missing"),
    ('h = "eps/8"', 'h = "eps/8"\ntau = 0.01', r"the diagonal path sets tau = eps"),
    ("T = 0.04", "T = 0.03", r"tau = 0.04 exceeds the final time T = 0.03"),
    ("T = 0.04", "T = 0.05", r"studies\[0\]\.eps: tau = 0.04 does not divide T = 0.05 .* 2 steps of 0.025"),
    ('initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }', 'initial = { shape = "bayes" }',
     r"shape 'bayes' needs two classes"),
    ("[[cases]]", "[[case]]", r"case: unknown top-level key"),
    ("T = 0.04", "T = 0.04\nreference = \"half_space\"", r"reference = 'half_space': does not apply"),
    ('name = "s"', 'name = "s"\nkind = "one_step"', None),
    ('initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }',
     'initial = { shape = "rectangle", lower = [-0.3, -0.3], upper = [0.3, 0.3] }\n'
     '[[studies]]\nname = "o"\ncase = "c"\nkind = "one_step"\nschemes = ["nonlocal"]\neps = [0.04]',
     r"studies\[0\]\.kind: 'one_step' needs a smooth initial shape"),
    ("dim = 2", "dim = 2\ndim = 3", r"not valid TOML"),
])
def test_bad_input_is_named(tmp_path, old, new, match):
    assert old in GOOD
    text = GOOD.replace(old, new)
    if match is None:  # a change that must be accepted
        load_suite(_write(tmp_path, text))
        return
    with pytest.raises(SuiteError, match=match) as info:
        load_suite(_write(tmp_path, text))
    assert info.value.problems and all("\n" not in p for p in info.value.problems)


def test_cli_exit_code_2_and_one_line(tmp_path, capsys):
    path = _write(tmp_path, GOOD.replace("T = 0.04", "T = -1.0"))
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "T = -1.0: the final time must be positive" in err[0], err
    assert not (tmp_path / "out").exists()
    assert main(["run", "no-such-suite"]) == 2
    assert "neither a file nor a built-in suite" in capsys.readouterr().err


def test_builtin_suites_load():
    assert set(builtin_suites()) == {"quick", "exact", "schemes", "paper", "perimeter", "phase", "consistency",
                                     "comparison", "meshes"}


@pytest.mark.parametrize("name", sorted(builtin_suites()))
def test_builtin_suite_loads(name):
    assert load_suite(name).runs


def test_cli_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "quick" in out and "two_gaussians" in out and "nonlocal" in out


def test_every_problem_in_one_round(tmp_path):
    """A tau that does not divide T, a tau beyond T, eps too small for h and an unknown option, in three
    studies: one SuiteError lists them all (nothing waits for another to be fixed first)."""
    text = GOOD.replace('eps = [0.04, 0.02]', 'eps = [0.04, 0.03]') + """
[[studies]]
name = "e"
case = "c"
path = "eps_to_zero"
schemes = [{ name = "nonlocal", colour = 1 }]
eps = [0.04, 0.02]
tau = 0.05
h = "eps/2"
"""
    with pytest.raises(SuiteError) as info:
        load_suite(_write(tmp_path, text))
    problems = info.value.problems
    expected = [r"studies\[0\]\.eps: tau = 0\.03 does not divide T = 0\.04",
                r"studies\[1\]\.schemes\[0\]\.colour: unknown option",
                r"studies\[1\]\.tau: tau = 0\.05 exceeds the final time T = 0\.04"]
    import re
    for pattern in expected:
        assert any(re.search(pattern, p) for p in problems), (pattern, problems)


def test_the_tau_of_a_row_is_the_tau_that_runs(tmp_path):
    """A scheme's own tau rule that does not divide T becomes T/ceil(T/tau) (the table and the run id say
    so); Allen–Cahn's delta rule gives way to the study's tau on a tau -> 0 path."""
    text = GOOD.replace('schemes = ["level_set", "nonlocal"]',
                        'schemes = [{ name = "level_set", tau = "0.3*eps" }, "allen_cahn"]')
    runs = load_suite(_write(tmp_path, text)).runs
    ls = [r for r in runs if r.scheme == "level_set"]
    # 0.3 * 0.04 = 0.012 -> 0.04/4 = 0.01; 0.3 * 0.02 = 0.006 -> 0.04/7
    assert [r.tau for r in ls] == pytest.approx([0.01, 0.04 / 7], rel=1e-12)
    assert ls[0].id.endswith("/tau=0.01/h=0.005")
    ac = [r for r in runs if r.scheme == "allen_cahn"]  # min(tau, delta^2/4), delta = 4 h_max = 0.02, 0.01
    assert [r.tau for r in ac] == pytest.approx([0.04 / 400, 0.04 / 1600], rel=1e-12)
    text = GOOD.replace('path = "diagonal"', 'path = "tau_to_zero"').replace(
        "eps = [0.04, 0.02]", "eps = 0.04\ntau = [0.004, 0.002, 0.001]").replace(
        'schemes = ["level_set", "nonlocal"]', 'schemes = ["allen_cahn"]')
    assert [r.tau for r in load_suite(_write(tmp_path, text)).runs] == [0.004, 0.002, 0.001]
