"""Class 1: input that writes.  An expression cannot pass NumPy's output argument, its variables are
evaluated on copies, and no scheme hands a density the mesh geometry (or an array it uses again): a
density that writes into its argument changes nothing but its own copy, so the mesh stays where it
is and every number equals that of the same density without the write."""

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.fem_mcf import allen_cahn_flow, level_set_flow, parametric_flow, thresholding_flow
from advmcf.meshes.generate import box
from advmcf.meshes.measures import volume
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.nonlocal_ import adversarial_flow, perimeter, step
from advmcf.validation.class_densities import make_density
from advmcf.validation.expressions import Expression

COMM = MPI.COMM_WORLD

WRITING = ["exp(x, y)", "minimum(1.01*y, 1.01*y, y)", "maximum(x, y, x)", "sqrt(r, x)", "arctan2(x, y, z)",
           "hypot(x, y, y)", "abs(x, x)", "1 + tanh(x, y)", "exp(-minimum(x, y, r))"]


@pytest.mark.parametrize("text", WRITING)
def test_output_arguments_do_not_parse(text):
    with pytest.raises(ValueError, match=r"takes [12] arguments?, got [23]") as info:
        Expression(text)
    assert "\n" not in str(info.value)


def test_too_few_arguments_do_not_parse():
    for text in ("exp()", "minimum(x)", "arctan2(y)"):
        with pytest.raises(ValueError, match=r"takes [12] arguments?, got [01]"):
            Expression(text)


def test_expressions_evaluate_on_copies():
    """Whatever the expression, the arrays given for its variables are not changed."""
    x = np.linspace(-1, 1, 7)
    given = {"x": x.copy(), "y": 2 * x, "z": np.zeros(7), "r": np.abs(x)}
    before = {k: v.copy() for k, v in given.items()}
    for text in ("exp(x) + minimum(y, r)", "-x", "+y", "x", "maximum(x, y)**2"):
        Expression(text)(**given)
        for k in given:
            np.testing.assert_array_equal(given[k], before[k], err_msg=text)


def test_suite_density_that_would_write_is_refused(tmp_path, cli, good, one_line):
    for expr in ("minimum(1.01*y, 1.01*y, y)", "exp(x, y)"):
        path = tmp_path / "suite.toml"
        path.write_text(good.replace('density = { kind = "gaussian", sigma = 0.5 }',
                                     f'density = {{ kind = "expression", expr = "{expr}" }}'))
        one_line(cli(["run", path, "-q", "-o", tmp_path / "out"]),
                 r"cases\[0\] \(c\)\.density: expression .*takes [12] arguments?, got [23]")
        assert not (tmp_path / "out").exists()


def _writer(value):
    """A density that writes into its argument (moves every point) and returns the constant ``value``."""
    def rho(x):
        out = np.full(x.shape[1], value)
        x *= 1.01
        x += 0.25
        return out
    return rho


def _honest(value):
    return lambda x: np.full(x.shape[1], value)


def _runs(comm):
    """Every scheme and measure that takes a density, on a small mesh: name -> (f(rho0, rho1) -> numbers)."""
    msh = box(comm, [-1, -1], [1, 1], n=12)
    phi = level_set(msh, disc([0, 0], 0.6))
    theta = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    circle = 0.6 * np.stack([np.cos(theta), np.sin(theta)], axis=1)

    def final(evolution):
        return [volume(s) for s in evolution.sets]

    return msh, {
        "level_set": lambda r0, r1: final(level_set_flow(phi, r0, 0.01, 0.02)),
        "thresholding": lambda r0, r1: final(thresholding_flow(phi, r0, 0.01, 0.02)),
        "allen_cahn": lambda r0, r1: final(allen_cahn_flow(phi, r0, 0.01, 0.02, delta=0.3)),
        "parametric": lambda r0, r1: [c.tolist() for c in parametric_flow([circle], r0, 0.01, 0.02,
                                                                          comm=comm).curves[-1]],
        "adversarial_flow": lambda r0, r1: final(adversarial_flow(phi, r0, r1, 0.5, 0.02, tau=0.01,
                                                                  boundary="neumann")),
        "step": lambda r0, r1: [volume(step(phi, r0, r1, 0.5, 0.01, boundary="neumann")[0])],
        "perimeter": lambda r0, r1: [perimeter(phi, r0, r1, 0.5)],
    }


@pytest.mark.parallel([1, 2])
def test_no_scheme_hands_the_mesh_to_a_density():
    """Every scheme, with densities that write into their argument: the mesh does not move and every
    number is the one the same constants give without writing (ρ0 ≠ ρ1, so a moved argument between
    the two would show)."""
    msh, runs = _runs(COMM)
    x0 = msh.geometry.x.copy()
    for name, run in runs.items():
        honest = run(_honest(2.0), _honest(1.0))
        writing = run(_writer(2.0), _writer(1.0))
        np.testing.assert_array_equal(msh.geometry.x, x0, err_msg=f"{name} moved the mesh")
        assert writing == honest, (name, writing, honest)


def test_density_of_a_suite_leaves_its_points_alone():
    """The density built from a suite's table, evaluated at points, leaves them as they were."""
    x = np.random.default_rng(1).uniform(-1, 1, (3, 50))
    before = x.copy()
    for table in ({"kind": "expression", "expr": "2 + 0*minimum(x, y)"}, {"kind": "gaussian", "sigma": 1.0}):
        d = make_density(2, table)
        d.rho(x), d.rho0(x), d.grad_log_rho(x[:2]), d.log_ratio(x)
        np.testing.assert_array_equal(x, before)
