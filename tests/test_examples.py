"""The scripts in examples/ run as a user runs them (a fresh process), at small sizes, and print
numbers that are right: the FEM radius against the closed form, the scheme against the disc
recursion, a custom suite's table, a 3D case.  One of them also runs on 2 ranks."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BIN = Path(sys.executable).parent


def _run(script, *args, ranks=1, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_", "MPIR_", "HYDRA_"))}
    cmd = [sys.executable, str(EXAMPLES / script), *args]
    if ranks > 1:
        cmd = [str(BIN / "mpiexec"), "-n", str(ranks)] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=cwd)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    return out.stdout


def test_every_example_is_tested():
    tested = set(re.findall(r'_run\("(\w+\.py)"', Path(__file__).read_text()))
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


@pytest.mark.parametrize("ranks", [1, 2])
def test_fem_flow(ranks):
    out = _run("fem_flow.py", "--h", "0.2", "--levels", "2", ranks=ranks)
    errors = [float(e) for e in re.findall(r"radius error (\S+)", out)]
    assert len(errors) == 2 and errors[1] < errors[0] < 0.05, out


def test_scheme_on_gmsh_mesh():
    out = _run("scheme_on_gmsh_mesh.py", "--eps", "0.1", "--steps", "1")
    rows = re.findall(r"radius (\S+)\s+disc recursion (\S+)", out)
    assert len(rows) == 2, out
    for computed, recursion in rows:
        assert abs(float(computed) - float(recursion)) < 0.03, out  # one step of the scheme vs r+
    assert "physical groups ['boundary', 'domain']" in out and re.search(r"[1-9]\d* boundary facets tagged", out)


def test_custom_suite(tmp_path):
    out = _run("custom_suite.py", "-o", str(tmp_path / "ellipse"), "--eps", "0.4", "0.2", "--T", "0.4")
    assert "| level_set | 0.4 |" in out and "| nonlocal" in out and "| parametric" in out, out
    assert (tmp_path / "ellipse" / "table_diagonal.tex").is_file()
    assert (tmp_path / "ellipse" / "convergence_diagonal.pdf").is_file()


def test_sphere_3d():
    out = _run("sphere_3d.py", "--h", "0.1")
    per = re.search(r"relative error (\S+)", out)
    fem = re.search(r"level-set FEM .* error (\S+)$", out, re.M)
    assert per and fem, out
    assert float(per.group(1)) < 0.15 and float(fem.group(1)) < 5e-3, out
