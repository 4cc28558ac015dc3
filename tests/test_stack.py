"""The DOLFINx stack from any install and in any import order; PETSc options through the CLI.

The conda-forge/Spack/Docker situation is simulated as in ENVIRONMENT.md: a
``sitecustomize`` on ``PYTHONPATH`` makes ``dolfinx_solver`` (which only the
PyPI wheel ships) unimportable.  There, ``import dolfinx`` before
``mpi4py.MPI`` fails to find ``libmpi``; advmcf must import MPI itself.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from advmcf.meshes.stack import HDF5_ORDER_ERROR, split_petsc_args

BIN = Path(sys.executable).parent

HIDE = '''
import sys
class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "dolfinx_solver" or name.startswith("dolfinx_solver."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Hide())
'''


def _env(tmp_path, hide=True, **extra):
    """A clean environment for a child process (no MPI singleton variables of this process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_", "MPIR_", "HYDRA_"))}
    if hide:
        (tmp_path / "sitecustomize.py").write_text(HIDE)
        env["PYTHONPATH"] = str(tmp_path)
    env.update(extra)
    return env


def test_split_petsc_args():
    mine, petsc = split_petsc_args(["run", "quick", "--out", "r", "-q", "-ksp_monitor", "-level_set_ksp_rtol",
                                    "1e-8", "-log_view", ":log.txt", "-pc_gamg_threshold", "-0.5", "-vv"])
    assert mine == ["run", "quick", "--out", "r", "-q", "-vv"]
    assert petsc == ["-ksp_monitor", "-level_set_ksp_rtol", "1e-8", "-log_view", ":log.txt",
                     "-pc_gamg_threshold", "-0.5"]
    assert split_petsc_args(["table", "d", "-o", "t.tex"]) == (["table", "d", "-o", "t.tex"], [])


ROUND_TRIP = """
from advmcf.meshes.io import read_mesh, write_xdmf
import numpy as np, meshio
path = {path!r}
meshio.write(path, meshio.Mesh(np.array([[0., 0.], [1., 0.], [0., 1.]]), [("triangle", np.array([[0, 1, 2]]))]),
             compression=None)
from mpi4py import MPI
msh = read_mesh(MPI.COMM_SELF, path)
write_xdmf(path.replace(".xdmf", "_dolfinx.xdmf"), msh)
print("cells", msh.topology.index_map(2).size_global)
"""


@pytest.mark.parametrize("hide", [False, True], ids=["wheel", "no-dolfinx_solver"])
@pytest.mark.parametrize("first", [
    "import advmcf.meshes",
    "from mpi4py import MPI; import dolfinx.fem.petsc",
    "from mpi4py import MPI; import dolfinx.fem.petsc; import petsc4py.PETSc; import advmcf.fem_mcf",
    "import advmcf.validation.cli; import advmcf.nonlocal_",
])
def test_any_import_order_reads_and_writes_xdmf(tmp_path, first, hide):
    """h5py (meshio's XDMF) and DOLFINx's HDF5 work whichever module is imported first."""
    code = first + "\n" + ROUND_TRIP.format(path=str(tmp_path / "m.xdmf"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=_env(tmp_path, hide), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "cells 1" in out.stdout


SUITE = """
[suite]
name = "petsc"
description = "level-set FEM and the nonlocal scheme on a coarse mesh"

[petsc_options]
level_set_ksp_rtol = 1e-12
level_set_ksp_converged_reason = true

[[cases]]
name = "disc"
dim = 2
domain = [[-0.6, -0.6], [0.6, 0.6]]
T = 0.12
density = { kind = "constant" }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.45 }

[[studies]]
name = "diag"
case = "disc"
schemes = ["level_set", "nonlocal"]
eps = [0.06]
h = "eps/3"
min_cells_per_eps = 3
"""


def test_cli_without_dolfinx_solver_and_petsc_options_under_mpirun(tmp_path):
    """``advmcf run`` on 2 ranks with DOLFINx as conda ships it; PETSc options from the command line
    (beating the suite's), from PETSC_OPTIONS and from the suite; -log_view prints PETSc's log."""
    (tmp_path / "s.toml").write_text(SUITE)
    cmd = [str(BIN / "mpiexec"), "-n", "2", str(BIN / "advmcf"), "run", "s.toml", "--out", "out",
           "-level_set_ksp_rtol", "1e-2", "-log_view"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env=_env(tmp_path, PETSC_OPTIONS="-level_set_ksp_monitor"))
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    its = [int(m) for m in re.findall(r"Linear level_set_ solve converged due to \w+ iterations (\d+)", text)]
    assert len(its) == 2, text[-3000:]  # the suite's flag: T/tau = 2 steps, printed once (rank 0)
    assert max(its) <= 4, its  # rtol 1e-2 from the command line, not the suite's 1e-12 (about 15)
    assert "KSP Residual norm" in text  # PETSC_OPTIONS
    assert re.search(r"^KSPSolve\s+2 ", text, re.M), text[-3000:]  # -log_view, both steps, at exit
    assert (tmp_path / "out" / "table.md").is_file()


def test_hdf5_clash_without_deepbind_is_one_line_naming_the_order(tmp_path):
    """Where h5py cannot bind to its own HDF5 (simulated: no RTLD_DEEPBIND) after PETSc loaded its HDF5,
    importing advmcf fails with the one-line error naming the order that works."""
    code = ("from mpi4py import MPI\nimport dolfinx.fem.petsc\nimport os\ndel os.RTLD_DEEPBIND\n"
            "try:\n    import advmcf.meshes\nexcept ImportError as err:\n    print('ERROR', err)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=_env(tmp_path, hide=False))
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("ERROR")), "")
    assert line.startswith("ERROR " + HDF5_ORDER_ERROR), out.stdout + out.stderr[-2000:]
