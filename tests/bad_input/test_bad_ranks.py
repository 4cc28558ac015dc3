"""Class 8: ranks that disagree.  The command line, PETSC_OPTIONS and the suite's text are compared
across ranks by a digest before anything runs, and the arguments of collective API calls are checked
by every rank together (:func:`advmcf.meshes.mpi.agreed`): one line, every rank raises or exits 2,
instead of a hang.  (On one rank nothing can disagree: these tests run on 2.)"""

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.fem_mcf import level_set_flow, thresholding_flow
from advmcf.meshes.generate import box, gmsh_mesh
from advmcf.meshes.mpi import RankDivergenceError, agreed
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.nonlocal_ import adversarial_flow, perimeter, step

COMM = MPI.COMM_WORLD


def _one(x):
    return np.ones(x.shape[1])


def _per_rank(a, b):
    return a if COMM.rank == 0 else b


@pytest.mark.parallel(2)
@pytest.mark.timeout(120)
def test_api_calls_with_arguments_that_differ():
    msh = box(COMM, [-1, -1], [1, 1], n=8)
    phi = level_set(msh, disc([0, 0], 0.5))
    calls = [
        (lambda: level_set_flow(phi, _one, _per_rank(0.01, 0.0), 0.02), ValueError, r"tau must be a positive number"),
        (lambda: level_set_flow(phi, _one, _per_rank(0.01, 0.02), 0.02), RankDivergenceError,
         r"tau, T and output_times: rank 1 was given other values than rank 0"),
        (lambda: thresholding_flow(phi, _one, 0.01, 0.02, output_times=_per_rank([0, 0.02], [0, 0.01, 0.02])),
         RankDivergenceError, r"tau, T and output_times"),
        (lambda: adversarial_flow(phi, _one, _one, _per_rank(0.5, 0.6), 0.02), RankDivergenceError,
         r"eps and discretization"),
        (lambda: adversarial_flow(phi, _one, _one, 0.5, _per_rank(0.02, float("nan"))), ValueError,
         r"T must be a positive number"),
        (lambda: step(phi, _one, _one, 0.5, 0.01, selection=_per_rank("minimal", "maximal")), RankDivergenceError,
         r"p, selection, method, solver, boundary and keep_covers"),
        (lambda: perimeter(phi, _one, _one, _per_rank(0.5, -1.0)), ValueError, r"eps must be a positive number"),
        (lambda: box(COMM, [0, 0], [1, 1], h=_per_rank(0.1, 0.2)), RankDivergenceError, r"box: lower, upper, h"),
        (lambda: box(COMM, [0, 0], _per_rank([1, 1], [1, 1, 1]), n=4), ValueError, r"box: lower and upper must have "),
        (lambda: box(COMM, [0, 0], _per_rank([1, 1], [1, 2]), n=4), RankDivergenceError, r"box: lower, upper"),
        (lambda: gmsh_mesh(COMM, "disc", _per_rank(0.3, 0.4), centre=[0, 0], radius=1), RankDivergenceError,
         r"gmsh_mesh: kind, h"),
    ]
    for k, (call, kind, match) in enumerate(calls):
        with pytest.raises(kind, match=match) as info:
            call()
        assert "\n" not in str(info.value), k
    # and the same arguments still run
    assert level_set_flow(phi, _one, 0.01, 0.02).sets


@pytest.mark.parallel(2)
@pytest.mark.timeout(120)
def test_agreed_shares_errors_and_compares_digests():
    def fails_on_rank_1():
        if COMM.rank == 1:
            raise ValueError("x: only rank 1 sees this")
        return 3

    with pytest.raises(ValueError, match=r"^x: only rank 1 sees this$"):
        agreed(COMM, "x", None, fails_on_rank_1)
    assert agreed(COMM, "x", [1.0, np.arange(3), {"a": None}], lambda: 3) == 3
    with pytest.raises(RankDivergenceError, match=r"^y: rank 1"):
        agreed(COMM, "y", np.arange(3) + COMM.rank)


@pytest.mark.parallel(2)
@pytest.mark.timeout(120)
def test_command_lines_that_differ(shared, on_root, cli, one_line, good, monkeypatch):
    on_root(lambda: [(shared / f"{n}.toml").write_text(good.replace('name = "t"', f'name = "{n}"', 1))
                     for n in ("a", "b")])
    one_line(cli(["run", shared / f"{_per_rank('a', 'b')}.toml", "-q", "-o", shared / "out"]),
             r"^advmcf: error: the command line and PETSC_OPTIONS: rank 1 was given other values than rank 0")
    one_line(cli(["run", shared / "a.toml", "-q", "-o", shared / "out", *_per_rank([], ["-level_set_ksp_rtol", "1e-8"])]),
             r"the command line and PETSC_OPTIONS: rank 1")
    monkeypatch.setenv("PETSC_OPTIONS", _per_rank("", "-level_set_ksp_monitor"))
    one_line(cli(["list"]), r"the command line and PETSC_OPTIONS: rank 1")
    assert not (shared / "out").exists()


@pytest.mark.parallel(2)
@pytest.mark.timeout(120)
def test_suites_that_differ_between_ranks(shared, on_root, cli, one_line, good, monkeypatch):
    """The same file name, read as another text (or not at all) on one rank: a file that differs between nodes."""
    from advmcf.validation import suites

    on_root(lambda: (shared / "s.toml").write_text(good))
    real = suites.load_suite
    if COMM.rank == 1:
        monkeypatch.setattr(suites, "load_suite", lambda path: real(path).__class__(
            **{**real(path).__dict__, "source": real(path).source + "\n# another node's copy\n"}))
    one_line(cli(["run", shared / "s.toml", "-q", "-o", shared / "out"]),
             r"^advmcf: error: the text of the suite .*s.toml: rank 1 was given other values than rank 0")
    if COMM.rank == 1:
        def unreadable(path):
            raise suites.SuiteError(f"{path}: cannot read (Permission denied)")

        monkeypatch.setattr(suites, "load_suite", unreadable)
    one_line(cli(["run", shared / "s.toml", "-q", "-o", shared / "out"]), r"^advmcf: error: .*s.toml: cannot read")
    assert not (shared / "out").exists()


_STUCK = '''
import os, sys, time
import advmcf.validation.cli as cli

def stuck(args, comm):
    with open(os.path.join(sys.argv[1], f"pid{comm.rank}"), "w") as f:
        f.write(str(os.getpid()))
    comm.Barrier()
    if comm.rank == 0:
        comm.Barrier()  # rank 1 never joins: rank 0 waits inside MPI (native code) for ever
    else:
        comm.recv(source=0)  # rank 0 never sends
    return 0

cli._command = stuck
sys.exit(cli.main(["list"]))
'''


@pytest.mark.timeout(120)
def test_sigterm_ends_ranks_stuck_in_mpi(tmp_path):
    """Both ranks wait inside MPI for a message that never comes; SIGTERM on each still ends the job
    with one line and exit code 143 (Python alone would never run its handler there)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from advmcf.validation.cli import SIGNAL_GRACE

    (tmp_path / "stuck.py").write_text(_STUCK)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_", "MPIR_", "HYDRA_"))}
    job = subprocess.Popen([str(Path(sys.executable).parent / "mpiexec"), "-n", "2", sys.executable,
                            str(tmp_path / "stuck.py"), str(tmp_path)], stderr=subprocess.PIPE, text=True, env=env)
    pids = [tmp_path / f"pid{r}" for r in (0, 1)]
    while not all(p.is_file() and p.read_text() for p in pids):
        assert job.poll() is None, job.stderr.read()
        time.sleep(0.2)
    time.sleep(1.0)  # both in MPI by now
    t0 = time.monotonic()
    for p in pids:
        os.kill(int(p.read_text()), signal.SIGTERM)
    _, err = job.communicate(timeout=60)
    took = time.monotonic() - t0
    lines = [line for line in err.splitlines() if line.strip()]
    assert job.returncode == 143 and lines == [
        "advmcf: terminated (inside a solver or an MPI call: nothing more written)"], (job.returncode, lines)
    assert SIGNAL_GRACE <= took < SIGNAL_GRACE + 20, took


def test_main_in_process_leaves_the_signal_handlers(cli):
    """advmcf's SIGTERM handler and wakeup pipe are its own while it runs, not left to the caller."""
    import signal

    before = signal.getsignal(signal.SIGTERM), signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before[1])
    assert len(cli(["table", "no-such-folder"], code=2)) == 1  # (list loads every built-in suite: minutes)
    after = signal.getsignal(signal.SIGTERM), signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(after[1])
    assert after == before
