"""ParaView output of a suite: every step, the mesh once, phi a signed distance for every scheme,
the reference and the densities beside it (XDMF read back with h5py; VTX checked by its index)."""

from pathlib import Path

import h5py
import numpy as np
import pytest
from mpi4py import MPI

from advmcf.validation.runner import run_suite
from advmcf.validation.suites import load_suite

SUITE = """
[suite]
name = "pv"

[[cases]]
name = "gauss_disc"
dim = 2
domain = [[-1.6, -1.6], [1.6, 1.6]]
T = 0.2
density = { kind = "gaussian", sigma = 2.0 }
initial = { shape = "disc", centre = [0.0, 0.0], radius = 1.0 }

[[studies]]
name = "d"
case = "gauss_disc"
schemes = ["level_set", "nonlocal"]
eps = [0.1]
h = "eps/3"
min_cells_per_eps = 3
"""


def _steps_in_bp(folder: Path) -> int:
    """Number of steps of an ADIOS2 BP4 folder: its index is a 64-byte header and 64 bytes per step."""
    return ((folder / "md.idx").stat().st_size - 64) // 64


def _data_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("data.*"))


@pytest.mark.parallel([1, 2])
def test_vtx_and_xdmf_time_series(tmp_path):
    comm = MPI.COMM_WORLD
    base = Path(comm.bcast(str(tmp_path), root=0))
    if comm.rank == 0:
        (base / "s.toml").write_text(SUITE)
    comm.barrier()
    suite = load_suite(base / "s.toml")
    doc = run_suite(suite, base / "out", comm, vtx=True, xdmf=True)
    assert [r["status"] for r in doc["runs"]] == ["ok", "ok"]
    times = [0.0, 0.1, 0.2]  # T/tau = 2 steps
    reference = suite.cases["gauss_disc"].reference()
    for scheme in ("level_set", "nonlocal"):
        stem = f"d__{scheme}__eps=0.1__tau=0.1__h=0.0333333"
        bp = base / "out" / "vtx" / (stem + ".bp")
        assert _steps_in_bp(bp) == len(times)
        if comm.rank == 0:
            with h5py.File(base / "out" / "xdmf" / (stem + ".h5"), "r") as f:
                x = f["Mesh/mesh/geometry"][:]
                r = np.linalg.norm(x, axis=1)
                phi = {k: f[f"Function/phi/{k}"][:, 0] for k in f["Function/phi"]}
                ref = {k: f[f"Function/phi_reference/{k}"][:, 0] for k in f["Function/phi_reference"]}
                rho0, rho1 = f["Function/rho0/0"][:, 0], f["Function/rho1/0"][:, 0]
            assert len(phi) == len(ref) == len(times)
            keys = sorted(phi, key=lambda k: float(k.replace("_", ".")))
            for k, t in zip(keys, times, strict=True):
                assert float(k.replace("_", ".")) == pytest.approx(t)
                # the reference: the exact signed distance |x| - R(t) of the radial ODE's disc
                assert np.allclose(ref[k], r - float(reference.radius(t)), atol=1e-12)
            # phi is the distance to the scheme's P1 interface (not the nonlocal scheme's clipped level set):
            # at t = 0 it is |x| - R0 up to the P1 interface's O(h^2) error, far from the set too
            assert np.max(np.abs(phi[keys[0]] - (r - 1.0))) < 2e-3
            for k in keys:
                assert np.max(np.abs(phi[k])) > 1.0  # not clipped near the interface
                inside = phi[k] < 0
                assert np.all(r[inside] < 1.05) and np.all(r[~inside] > 0.75)
            assert np.allclose(rho0, np.exp(-(r**2) / 8) / 2) and np.allclose(rho1, rho0)
    # the mesh is written once: three steps cost far less than three one-step files
    from advmcf.meshes.generate import box
    from advmcf.meshes.io import write_time_series
    from advmcf.meshes.sets import level_set
    from advmcf.meshes.shapes import disc

    msh = box(comm, [-1.2, -1.2], [1.2, 1.2], h=0.1 / 3)
    phis = [level_set(msh, disc([0.0, 0.0], R)) for R in (0.8, 0.7, 0.6)]
    static = {"rho0": phis[0], "rho1": phis[0]}
    one = write_time_series(base / "one.bp", [0.0], {"phi": phis[:1], "phi_reference": phis[:1]}, static)
    three = write_time_series(base / "three.bp", [0.0, 0.1, 0.2], {"phi": phis, "phi_reference": phis}, static)
    if comm.rank == 0:
        assert _steps_in_bp(three) == 3
        assert _data_bytes(three) < 2 * _data_bytes(one), (_data_bytes(one), _data_bytes(three))


PARAMETRIC = """
[suite]
name = "pvp"

[[cases]]
name = "flower"
dim = 2
domain = [[-1.2, -1.2], [1.2, 1.2]]
T = 0.1
density = { kind = "two_gaussians", means = [[0.0, 0.0], [0.3, 0.0]], sigmas = [1.0, 0.6], weights = [0.5, 0.5] }
initial = { shape = "flower", centre = [0.0, 0.0], r0 = 0.8, amplitude = 0.12, k = 5 }
reference = "parametric"

[[studies]]
name = "d"
case = "flower"
schemes = ["level_set", "parametric"]
eps = [0.1]
h = "eps/3"
min_cells_per_eps = 3
"""


@pytest.mark.parallel([1, 2])
def test_series_with_a_computed_reference(tmp_path):
    """--xdmf with a parametric reference: the reference is one fine run through every output time, starting
    at the initial curve (t = 0 included); both runs ok."""
    comm = MPI.COMM_WORLD
    base = Path(comm.bcast(str(tmp_path), root=0))
    if comm.rank == 0:
        (base / "s.toml").write_text(PARAMETRIC)
    comm.barrier()
    suite = load_suite(base / "s.toml")
    doc = run_suite(suite, base / "out", comm, xdmf=True)
    assert [r["status"] for r in doc["runs"]] == ["ok", "ok"], [r.get("reason") for r in doc["runs"]]
    case = suite.cases["flower"]
    if comm.rank == 0:
        stem = "d__level_set__eps=0.1__tau=0.1__h=0.0333333"
        with h5py.File(base / "out" / "xdmf" / (stem + ".h5"), "r") as f:
            x = f["Mesh/mesh/geometry"][:]
            ref = {float(k.replace("_", ".")): f[f"Function/phi_reference/{k}"][:, 0]
                   for k in f["Function/phi_reference"]}
        assert sorted(ref) == [0.0, 0.1]
        x3 = np.c_[x[:, :2], np.zeros(len(x))].T
        near = np.abs(case.shape()(x3)) < 0.2
        # t = 0: the 1024-point polygon of the flower, within its chord error of the exact distance
        assert np.max(np.abs(ref[0.0] - case.shape()(x3))[near]) < 1e-4
        # t = T: the same fine run as the errors' reference
        at_T = case.reference().shape_at(0.1)(x3)
        assert np.max(np.abs(ref[0.1] - at_T)) < 1e-9
    comm.barrier()
