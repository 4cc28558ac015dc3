"""Class 6: files that never end.  Every file advmcf reads whole is a regular file of bounded size
(:mod:`advmcf.meshes.files`): a device, a pipe or a file over the bound is one line naming it, at
once, instead of a read until memory runs out (or forever)."""

import json
import os

import pytest
from mpi4py import MPI

import advmcf.meshes.memory as memory
from advmcf.meshes.io import MeshFileError, read_mesh

COMM = MPI.COMM_WORLD


def _endless(tmp_path):
    """Names that never end: a device, a link to it, a named pipe."""
    os.symlink("/dev/zero", tmp_path / "zero_link")
    os.mkfifo(tmp_path / "pipe")
    return {"device": "/dev/zero", "link to a device": tmp_path / "zero_link", "pipe": tmp_path / "pipe"}


@pytest.mark.timeout(120)
def test_suite_files(tmp_path, cli, one_line):
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (2**20) + b"\n")
    for name, path in {**_endless(tmp_path), "2 MiB file": big}.items():
        one_line(cli(["run", path, "-q", "-o", tmp_path / "out"]),
                 r"advmcf: error: (suite: .* is a device, a pipe or a socket, not a suite file|suite .*big.toml: 1 MiB, "
                 r"more than the 1 MiB advmcf reads)")
    assert not (tmp_path / "out").exists()


@pytest.mark.timeout(120)
def test_petsc_options_files(tmp_path, cli, one_line, good, monkeypatch):
    (tmp_path / "suite.toml").write_text(good)
    big = tmp_path / "opts"
    big.write_bytes(b"-level_set_ksp_rtol 1e-8\n" * 50000)
    for name, path in {**_endless(tmp_path), "big file": big}.items():
        one_line(cli(["run", tmp_path / "suite.toml", "-q", "-o", tmp_path / "out", "-options_file", path]),
                 r"advmcf: error: -options_file .*: (is a device, a pipe or a socket|1.19 MiB, more than the 1 MiB)")
    monkeypatch.setenv("PETSC_OPTIONS", "-options_file /dev/zero")
    one_line(cli(["list"]), r"advmcf: error: -options_file /dev/zero: is a device")
    one_line(cli(["run", tmp_path / "suite.toml", "-q", "-options_file"]), r"advmcf: error: -options_file: give the file")
    assert not (tmp_path / "out").exists()


@pytest.mark.timeout(120)
def test_results_and_records(tmp_path, cli, one_line, good):
    """results.json, suite.json and run records that never end: one line, or recomputed (a record)."""
    text = (good.replace('schemes = ["level_set", "nonlocal"]', 'schemes = ["level_set"]')
            .replace("eps = [0.1, 0.05]", "eps = [0.1]").replace('h = "eps/4"', "h = 0.25"))
    (tmp_path / "suite.toml").write_text(text)
    out = tmp_path / "out"
    assert cli(["run", tmp_path / "suite.toml", "-qq", "-o", out], code=0) == []
    truth = json.loads((out / "results.json").read_text())["runs"][0]["metrics"]
    (record,) = (out / "runs").glob("*.json")
    record.write_bytes(b"[" * (80 * 2**20))  # 80 MiB: over the bound of a record, never parsed
    assert cli(["run", tmp_path / "suite.toml", "-qq", "-o", out, "--resume"], code=0) == []
    assert json.loads((out / "results.json").read_text())["runs"][0]["metrics"] == truth
    (out / "results.json").unlink()
    os.symlink("/dev/zero", out / "results.json")
    one_line(cli(["table", out]), r"advmcf: error: results file .*results.json: is a device")
    (out / "suite.json").unlink()
    os.symlink("/dev/zero", out / "suite.json")
    one_line(cli(["run", tmp_path / "suite.toml", "-q", "-o", out]), r"--out .* holds the results of suite None")


@pytest.mark.parallel([1, 2])
@pytest.mark.timeout(120)
def test_mesh_files(shared, on_root, monkeypatch):
    from advmcf.meshes.generate import box
    from advmcf.meshes.io import write_xdmf

    write_xdmf(shared / "m.xdmf", box(COMM, [0, 0], [1, 1], n=4))

    def make():
        os.symlink("/dev/zero", shared / "zero.vtu")
        os.mkfifo(shared / "pipe.msh")
        os.symlink("/dev/zero", shared / "zero.xdmf")

    on_root(make)
    for name in ("zero.vtu", "pipe.msh", "zero.xdmf"):
        with pytest.raises(MeshFileError, match=rf"mesh file .*{name}: is a device, a pipe or a socket"):
            read_mesh(COMM, shared / name)
    monkeypatch.setattr(memory, "mesh_file_limit", lambda: 1000)
    with pytest.raises(MeshFileError, match=r"mesh file .*m.xdmf: .* more than the 1000 bytes advmcf reads"):
        read_mesh(COMM, shared / "m.xdmf")
