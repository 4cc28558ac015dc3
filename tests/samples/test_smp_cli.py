"""``advmcf risk``: its files, the same on 1 and 2 ranks, one-line errors with exit code 2 on every rank."""

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.samples import gaussian_classes, optimal_risk, read_csv, write_csv
from advmcf.samples.cli import parse_budgets
from advmcf.validation.cli import _parser, main

COMM = MPI.COMM_WORLD


@pytest.fixture
def shared(tmp_path):
    """A folder every rank sees."""
    return Path(COMM.bcast(str(tmp_path), root=0))


def _cli(argv, capsys):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit_:
        code = exit_.code
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    if COMM.rank != 0:
        assert err == [], err
    return code, err


@pytest.mark.parallel([1, 2])
def test_risk_command_writes_the_curve_the_labels_and_the_figure(shared, capsys):
    data = shared / "g.csv"
    if COMM.rank == 0:
        write_csv(data, gaussian_classes(150, [0.7, 0.0, 0.0], seed=4))
    COMM.barrier()
    code, err = _cli(["risk", data, "--eps", "0:0.6:4", "--norm", "linf", "-q", "-o", shared / "out"], capsys)
    assert code == 0, err
    if COMM.rank == 0:
        curve = optimal_risk(read_csv(data), [0, 0.2, 0.4, 0.6], norm="linf")
        with open(shared / "out" / "risk.csv") as f:
            rows = list(csv.DictReader(f))
        assert [float(r["eps"]) for r in rows] == pytest.approx([0, 0.2, 0.4, 0.6])
        assert [float(r["risk"]) for r in rows] == pytest.approx(curve.risk, rel=1e-9)
        assert {r["n0"] for r in rows} == {"150"} and all(r["certified"] == "1" for r in rows)
        assert [int(r["lost0"]) + int(r["lost1"]) for r in rows] == [int(v) for v in curve.risk * 300]
        with open(shared / "out" / "labels.csv") as f:
            table = list(csv.reader(f))
        assert table[0][:4] == ["point", "label", "robust@0", "label@0"] and len(table) == 301
        labels = np.array(table[1:], dtype=int)
        np.testing.assert_array_equal(labels[:, 2 + 2 * 3], curve.robust[3])
        np.testing.assert_array_equal(labels[:, 3 + 2 * 3], curve.prediction[3])
        assert (shared / "out" / "risk.png").stat().st_size > 10000 and (shared / "out" / "risk.pdf").is_file()
    COMM.barrier()


@pytest.mark.parallel([1, 2])
def test_risk_command_errors_are_one_line(shared, capsys):
    if COMM.rank == 0:
        (shared / "bad.csv").write_text("x1,x2,label\n0,0,1\n1,abc,0\n")
    COMM.barrier()
    for argv, match in (
        (["risk", shared / "bad.csv", "--eps", "0.1"], r"advmcf risk: error: .*bad.csv line 3, column x2: 'abc' is not a number"),
        (["risk", shared / "none.csv", "--eps", "0.1"], r"advmcf risk: error: .*none.csv: cannot read the file"),
        (["risk", "digits:3", "--eps", "0.1"], r"advmcf risk: error: digits:3: write digits:A,B with two digits"),
        (["risk", "digits:3,3", "--eps", "0.1"], r"advmcf risk: error: digits: A and B must differ"),
        (["risk", "breast_cancer", "--eps", "0.1,-1"], r"advmcf risk: error: --eps 0.1,-1: budgets must be finite"),
        (["risk", "breast_cancer", "--eps", "0:1"], r"advmcf risk: error: --eps 0:1: give budgets as 0,0.5,1 or as a:b:n"),
    ):
        code, err = _cli(argv + ["-o", shared / "o"], capsys)
        assert code == 2
        if COMM.rank == 0:
            assert len(err) == 1, err
            assert re.search(match, err[0]), err


def test_budget_lists_and_help(capsys):
    np.testing.assert_allclose(parse_budgets("0:1:5"), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(parse_budgets("0.5, 0.1,"), [0.5, 0.1])
    with pytest.raises(SystemExit):
        _parser().parse_args(["risk", "-h"])
    out = capsys.readouterr().out
    assert "examples:\n  advmcf risk digits:3,8" in out and "-v, --verbose" in out


@pytest.mark.parallel([1, 2])
def test_train_command_writes_the_flow(shared, capsys):
    """advmcf train on 2-D data, on 3-D data (used as is, no figure) and on 64-D digits (projected): the files,
    the steps, the final classifier's labels of the points."""
    data = shared / "g.csv"
    if COMM.rank == 0:
        write_csv(data, gaussian_classes(60, [0.6, 0.0], 0.5, seed=3))
    COMM.barrier()
    code, err = _cli(["train", data, "--eps", "0.3", "--tau", "0.15", "--T", "0.3", "-q", "-o", shared / "t"], capsys)
    assert code == 0, err
    if COMM.rank == 0:
        with open(shared / "t" / "train.csv") as f:
            rows = list(csv.DictReader(f))
        assert [r["step"] for r in rows] == ["1", "2"] and [float(r["t"]) for r in rows] == [0.15, 0.3]
        assert all(r["certified"] == "1" for r in rows)
        assert all(float(r["risk"]) <= float(r["adversarial_risk"]) <= 1 for r in rows)
        labels = np.loadtxt(shared / "t" / "labels.csv", delimiter=",", skiprows=1)
        assert labels.shape == (120, 4)
        assert np.mean(labels[:, 2] != labels[:, 3]) == pytest.approx(float(rows[-1]["risk"]), abs=1e-12)
        assert (shared / "t" / "boundary.png").stat().st_size > 20000 and (shared / "t" / "train.bp").is_dir()
    if COMM.rank == 0:
        write_csv(shared / "g3.csv", gaussian_classes(20, [0.6, 0.0, 0.0], 0.4, seed=3))
    COMM.barrier()
    code, err = _cli(["train", shared / "g3.csv", "--eps", "0.6", "--T", "0.6", "--h", "0.2", "-q", "-o",
                      shared / "t3"], capsys)
    assert code == 0, err
    if COMM.rank == 0:
        assert np.loadtxt(shared / "t3" / "labels.csv", delimiter=",", skiprows=1).shape == (40, 5)
        assert not (shared / "t3" / "boundary.png").exists() and (shared / "t3" / "train.bp").is_dir()
    code, err = _cli(["train", "digits:1,7", "--eps", "0.5", "--T", "0.5", "--h", "0.25", "-q", "-o",
                      shared / "d"], capsys)
    assert code == 0, err
    if COMM.rank == 0:
        assert np.loadtxt(shared / "d" / "labels.csv", delimiter=",", skiprows=1).shape == (361, 4)
    COMM.barrier()


@pytest.mark.parallel([1, 2])
def test_train_command_errors_are_one_line(shared, capsys):
    if COMM.rank == 0:
        write_csv(shared / "line.csv", gaussian_classes(5, [1.0], seed=0))
    COMM.barrier()
    for argv, match in (
        (["train", shared / "line.csv", "--eps", "0.3", "--T", "1"], r"one-dimensional data: the scheme runs on 2D or 3D"),
        (["train", "breast_cancer", "--eps", "-1", "--T", "1"], r"--eps must be a positive number, got -1.0"),
        (["train", "breast_cancer", "--eps", "0.5", "--T", "1", "--h", "0.5"],
         r"--eps = 0.5 is too small for the mesh \(h_max = 0.4979\): eps/h_max = 1, need >= 1.5"),
    ):
        code, err = _cli(argv + ["-q", "-o", shared / "o"], capsys)
        assert code == 2
        if COMM.rank == 0:
            assert len(err) == 1 and re.search(match, err[0]) and err[0].startswith("advmcf train: error:"), err
