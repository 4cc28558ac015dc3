"""Bad input, as a hostile but realistic user gives it: suite files, command lines, mesh commands
and Python calls.  Each must end in one clear line naming the field (the suite key, the option,
the argument) and the fix, exit code 2 on the command line, and nothing half-written.

The command-line cases call ``advmcf.validation.cli.main`` in-process; the ``parallel([1, 2])`` ones
run on 1 and 2 ranks, where every rank must exit with the same code (rank 0 prints).
"""

import re
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from advmcf.fem_mcf import level_set_flow, parametric_flow
from advmcf.meshes.distance import hausdorff
from advmcf.meshes.generate import box
from advmcf.meshes.io import write_xdmf
from advmcf.meshes.measures import symmetric_difference, volume
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc, ellipse, half_space, polygons, rectangle
from advmcf.meshes.stats import mesh_stats
from advmcf.nonlocal_ import adversarial_flow, perimeter, step
from advmcf.validation.cli import main
from advmcf.validation.class_densities import make_density

COMM = MPI.COMM_WORLD


@pytest.fixture
def shared(tmp_path):
    """A folder every rank sees."""
    return Path(COMM.bcast(str(tmp_path), root=0))


def _on_root(fn):
    if COMM.rank == 0:
        fn()
    COMM.barrier()


def _errors(capsys) -> list[str]:
    """The error lines rank 0 printed (every other rank prints nothing)."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    if COMM.rank != 0:
        assert lines == [], lines
    return lines


def _run_cli(argv, capsys, code=2):
    """``advmcf ARGV`` in-process: the exit code (argparse's SystemExit included) and the error lines."""
    try:
        got = main([str(a) for a in argv])
    except SystemExit as exit_:
        got = exit_.code
    lines = _errors(capsys)
    assert got == code, (got, lines)
    return lines


def _expect_one_line(lines, match):
    if COMM.rank != 0:  # _errors checked that it printed nothing
        return
    assert len(lines) == 1 and re.search(match, lines[0]), lines
    assert lines[0].startswith("advmcf"), lines


# --------------------------------------------------------------------------- suite files

SUITE_CASES = [
    # wrong types: the key, not a Python error
    ('case = "c"', 'case = ["c"]', r"studies\[0\]\.case: must be the name of a case, got \['c'\]"),
    ('case = "c"', 'case = { name = "c" }', r"studies\[0\]\.case: must be the name of a case"),
    ('schemes = ["level_set", "nonlocal"]', 'schemes = [["level_set"]]',
     r"studies\[0\]\.schemes\[0\]: must be a scheme name or a table with a name"),
    ('schemes = ["level_set", "nonlocal"]', 'schemes = [{ p = 1 }]', r"studies\[0\]\.schemes\[0\]\.name: missing"),
    ("radius = 0.4", 'radius = "1"', r"cases\[0\] \(c\)\.initial: disc: radius must be a positive number, got '1'"),
    ("sigma = 0.5", 'sigma = "0.5"', r"cases\[0\] \(c\)\.density: sigma = '0.5': must be a positive number"),
    ("centre = [0.0, 0.0]", 'centre = ["0", "0"]', r"cases\[0\] \(c\)\.initial: centre = \['0', '0'\]"),
    ("centre = [0.0, 0.0]", "centre = [[0.0], [0.0]]", r"cases\[0\] \(c\)\.initial: centre"),
    ('domain = [[-1.0, -1.0], [1.0, 1.0]]', 'domain = "box"', r"cases\[0\] \(c\)\.domain = 'box': must be"),
    ('domain = [[-1.0, -1.0], [1.0, 1.0]]', 'domain = [["-1", -1.0], [1.0, 1.0]]', r"cases\[0\] \(c\)\.domain"),
    ('density = { kind = "gaussian", sigma = 0.5 }', 'density = "gaussian"',
     r"cases\[0\] \(c\)\.density: must be a table with a 'kind'"),
    ('density = { kind = "gaussian", sigma = 0.5 }', 'density = { sigma = 0.5 }', r"\.density: kind = None: unknown density"),
    ('initial = { shape = "disc", centre = [0.0, 0.0], radius = 0.4 }', 'initial = "disc"',
     r"cases\[0\] \(c\)\.initial: must be a table with a 'shape'"),
    ("T = 0.1", "T = 0.1\nreference = 3", r"cases\[0\] \(c\)\.reference = 3: unknown"),
    ("dim = 2", 'dim = "2"', r"cases\[0\] \(c\)\.dim = '2': must be 2 or 3"),
    ('h = "eps/4"', "h = true", r"studies\[0\]\.h: must be a number or an expression in eps and tau, got True"),
    ('h = "eps/4"', 'h = "eps/4"\nmin_cells_per_eps = "4"', r"studies\[0\]\.min_cells_per_eps: '4' must be a positive number"),
    ("eps = [0.1, 0.05]", "eps = [true]", r"studies\[0\]\.eps: True is not a number"),
    ("eps = [0.1, 0.05]", 'eps = "0.1"', r"studies\[0\]\.eps: must be a list of numbers, got '0.1'"),
    ('name = "s"', "name = 3", r"studies\[0\]\.name: 3 must be a string"),
    ('name = "s"', 'name = "s"\nkind = 3', r"studies\[0\]\.kind: 3 is not one of"),
    ('name = "s"', 'name = "s"\npath = ["diagonal"]', r"studies\[0\]\.path: \['diagonal'\] is not one of"),
    ('name = "t"', "name = 3", r"suite\.name: must be a string, got 3"),
    # values accepted by the parser but failing later
    ('schemes = ["level_set", "nonlocal"]', 'schemes = [{ name = "level_set", degree = 3 }]',
     r"studies\[0\]\.schemes\[0\]\.degree: must be one of \[1, 2\], got 3"),
    ('schemes = ["level_set", "nonlocal"]', 'schemes = [{ name = "level_set", redistance_every = -1 }]',
     r"schemes\[0\]\.redistance_every: must be an integer >= 0, got -1"),
    ('schemes = ["level_set", "nonlocal"]', 'schemes = [{ name = "nonlocal", selection = "mid" }]',
     r"schemes\[0\]\.selection: must be one of \['minimal', 'maximal'\], got 'mid'"),
    ('schemes = ["level_set", "nonlocal"]', 'schemes = [{ name = "nonlocal", p = true }]',
     r"schemes\[0\]\.p: must be one of \[0, 1\], got True"),
    ('schemes = ["level_set", "nonlocal"]', 'schemes = ["level_set", { name = "nonlocal", p = 2, colour = 1 }]',
     r"studies\[0\]\.schemes\[1\]\.colour: unknown option"),
    ('name = "s"', 'name = "s"\nkind = "comparison"\nseed = -1',
     r"studies\[0\]\.seed: -1 must be an integer >= 0"),
    ('name = "s"', 'name = "s"\nkind = "comparison"\npairs = 0', r"studies\[0\]\.pairs: 0 must be an integer >= 1"),
    ('h = "eps/4"', 'h = "eps/4"\n\n[petsc_options]\n"-ksp_type" = "cg"', r"petsc_options\.-ksp_type: write the option without its dash"),
    ('domain = [[-1.0, -1.0], [1.0, 1.0]]', "mesh = 3", r"cases\[0\] \(c\)\.mesh = 3: must be a file name"),
    ('sigma = 0.5', 'sigma = 0.5, centre = [0.0]', r"cases\[0\] \(c\)\.density: centre: expected 2 coordinates"),
    ('density = { kind = "gaussian", sigma = 0.5 }', 'density = { kind = "expression", expr = "exp(-x**2" }',
     r"cases\[0\] \(c\)\.density: expression 'exp\(-x\*\*2' does not parse"),
    ('density = { kind = "gaussian", sigma = 0.5 }', 'density = { kind = "expression", expr = "x.real" }',
     r"\.density: expression 'x.real': Attribute"),
    ('density = { kind = "gaussian", sigma = 0.5 }',
     'density = { kind = "two_gaussians", means = [[0.0, 0.0]], sigmas = [1.0, 0.5] }',
     r"\.density: means = \[\[0.0, 0.0\]\]: must be a list of two entries"),
    ('name = "c"\ndim = 2', 'name = "c"\ndim = 2\n[cases.extra]', r"cases\[0\] \(c\)\.extra: unknown key"),
    ("[[studies]]", "[studies]", r"studies: must be a list of \[\[studies\]\] tables"),
    ("[suite]", 'suite = "x"\n[other]', r"other: unknown top-level key"),
    ("[suite]", 'suite = "x"\n[other]', r"suite: must be a table \(\[suite\] with name and description\), got 'x'"),
]


@pytest.mark.parametrize("old, new, match", SUITE_CASES)
def test_bad_suite(tmp_path, capsys, good, old, new, match):
    assert old in good, old
    path = tmp_path / "suite.toml"
    path.write_text(good.replace(old, new, 1))
    lines = _run_cli(["run", path, "-o", tmp_path / "out", "-q"], capsys)
    errors = lines[:-1] if len(lines) > 1 else lines  # several errors end with a count
    assert any(re.search(match, line) for line in errors), lines
    assert all(line.startswith("advmcf: error: ") for line in errors), lines
    if len(lines) > 1:
        assert lines[-1] == f"advmcf: {len(errors)} errors in {path}: nothing was run", lines
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content, match", [
    ("name = 'x'".encode("utf-16"), r"suite.toml: not a UTF-8 text file"),
    (bytes(range(256)), r"suite.toml: not a UTF-8 text file"),
    (b"[suite]\nname = 'x'\nname = 'y'\n", r"suite.toml: not valid TOML: .*line 3"),
])
def test_unreadable_suite_files(tmp_path, capsys, content, match):
    """Files that are not a UTF-8 TOML text: one line naming the file."""
    path = tmp_path / "suite.toml"
    path.write_bytes(content)
    _expect_one_line(_run_cli(["run", path, "-q", "-o", tmp_path / "out"], capsys), match)


@pytest.mark.parallel([1, 2])
def test_every_error_of_a_suite_at_once(shared, capsys, good):
    text = (good.replace("T = 0.1", "T = -0.1").replace('h = "eps/4"', 'h = "eps/4"\ncolour = "red"')
            + '\n[[studies]]\nname = "u"\ncase = "nothere"\nschemes = ["magic"]\neps = [0.1]\n')
    _on_root(lambda: (shared / "suite.toml").write_text(text))
    lines = _run_cli(["run", shared / "suite.toml", "-o", shared / "out", "-q"], capsys)
    if COMM.rank == 0:
        assert [re.sub(r":.*", "", line.removeprefix("advmcf: error: ")) for line in lines[:-1]] == [
            "cases[0] (c).T = -0.1", "studies[0].colour", "studies[1].case", "studies[1].schemes[0]"], lines
        assert lines[-1] == f"advmcf: {len(lines) - 1} errors in {shared / 'suite.toml'}: nothing was run"
    assert not (shared / "out").exists()


# --------------------------------------------------------------------------- the output folder

@pytest.mark.parallel([1, 2])
def test_output_folder_errors(shared, capsys, good):
    def write():
        (shared / "suite.toml").write_text(good)
        (shared / "a_file").write_text("x")

    _on_root(write)
    suite = shared / "suite.toml"
    _expect_one_line(_run_cli(["run", suite, "-q", "-o", shared / "a_file"], capsys),
                     r"--out .*a_file: exists and is not a folder")
    _expect_one_line(_run_cli(["run", suite, "-q", "-o", shared / "a_file" / "sub"], capsys),
                     r"--out .*a_file/sub: cannot create the folder")
    _expect_one_line(_run_cli(["run", suite, "-q", "-o", "/proc/advmcf-out"], capsys),
                     r"--out /proc/advmcf-out: cannot create the folder")
    _expect_one_line(_run_cli(["run", suite, "-q", "-o", shared / "nothing", "--resume"], capsys),
                     r"--resume: .*nothing does not exist: nothing to resume \(drop --resume to start\)")
    # ... asked before the suite is read and checked (a suite's up-front checks can take minutes)
    _expect_one_line(_run_cli(["run", shared / "no_suite.toml", "-q", "-o", shared / "nothing", "--resume"], capsys),
                     r"--resume: .*nothing does not exist: nothing to resume")
    # a folder that holds another suite's results is refused unless --force
    def other():
        (shared / "other").mkdir()
        (shared / "other" / "suite.json").write_text('{"name": "paper", "source": ""}')

    _on_root(other)
    _expect_one_line(_run_cli(["run", suite, "-q", "-o", shared / "other"], capsys),
                     r"--out .*other holds the results of suite 'paper', not 't': choose another folder, "
                     r"or --force to replace them")
    _expect_one_line(_run_cli(["run", suite, "-q", "-o", shared / "other", "--resume"], capsys),
                     r"holds the results of suite 'paper'")
    tiny = (good.replace('schemes = ["level_set", "nonlocal"]', 'schemes = ["level_set"]')
            .replace("eps = [0.1, 0.05]", "eps = [0.1]").replace('h = "eps/4"', "h = 0.25").replace("T = 0.1", "T = 0.1"))
    _on_root(lambda: (shared / "tiny.toml").write_text(tiny))
    assert _run_cli(["run", shared / "tiny.toml", "-qq", "-o", shared / "other", "--force"], capsys, code=0) == []
    if COMM.rank == 0:
        assert '"name": "t"' in (shared / "other" / "suite.json").read_text()
        assert (shared / "other" / "results.json").is_file()
    COMM.barrier()


@pytest.mark.parallel([1, 2])
def test_interrupt_is_one_line(shared, capsys, monkeypatch, good):
    """Ctrl-C in the middle of a run: one line saying where the finished runs are, exit code 130."""
    from advmcf.validation import schemes

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    def leave(code):  # on N ranks the process leaves without MPI_Finalize: not this test's process
        raise SystemExit(code)

    monkeypatch.setattr("os._exit", leave)
    monkeypatch.setitem(schemes.SCHEMES, "level_set", schemes.SCHEMES["level_set"].__class__(
        **{**schemes.SCHEMES["level_set"].__dict__, "run": interrupted}))
    _on_root(lambda: (shared / "suite.toml").write_text(good.replace('schemes = ["level_set", "nonlocal"]',
                                                                     'schemes = ["level_set"]')))
    try:
        code = main([str(a) for a in ["run", shared / "suite.toml", "-q", "-o", shared / "out"]])
    except SystemExit as exit_:
        code = exit_.code
    # (here nothing ends the other ranks, so each says it; under mpiexec rank 0's exit ends them)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 130
    assert len(lines) == 1 and re.fullmatch(rf"advmcf: interrupted: finished runs are kept in {shared / 'out'}/runs, "
                                            r"add --resume to go on", lines[0]), lines


def test_table_and_plot_errors(tmp_path, capsys):
    _expect_one_line(_run_cli(["table", tmp_path / "nothing"], capsys), r"nothing/results.json: missing")
    (tmp_path / "results.json").write_text("{")
    _expect_one_line(_run_cli(["table", tmp_path], capsys), r"results.json: .*not an advmcf results file")
    _expect_one_line(_run_cli(["plot", tmp_path / "nothing"], capsys), r"nothing/results.json: missing")


def test_argument_errors_exit_2(tmp_path, capsys):
    for argv in ([], ["run", "quick", "--bogus"], ["table"], ["table", tmp_path, "-f", "xls"],
                 ["mesh", "box", "--lower", "0", "--upper", "1"], ["mesh", "ball", "--centre", "0", "0", "--radius", "1",
                                                                  "--h", "0.1", "-o", "b.xdmf"], ["frobnicate"]):
        with pytest.raises(SystemExit) as exit_:
            main([str(a) for a in argv])
        assert exit_.value.code == 2
        capsys.readouterr()


# --------------------------------------------------------------------------- mesh commands

MESH_CASES = [
    (["box", "--lower", "nan", "0", "--upper", "1", "1", "--h", "0.1"], r"--lower must have finite coordinates"),
    (["box", "--lower", "0", "0", "--upper", "inf", "1", "--h", "0.1"], r"--upper must have finite coordinates"),
    (["box", "--lower", "0", "0", "--upper", "1", "--h", "0.1"], r"--upper must have 2 or 3 coordinates, got 1"),
    (["box", "--lower", "0", "0", "0", "--upper", "1", "1", "--h", "0.1"], r"--lower and --upper must have the same number"),
    (["box", "--lower", "0", "0", "0", "0", "--upper", "1", "1", "1", "1", "--h", "0.1"], r"--lower must have 2 or 3"),
    (["box", "--lower", "1", "1", "--upper", "0", "0", "--h", "0.1"], r"need --lower < --upper"),
    (["box", "--lower", "0", "0", "--upper", "1", "1", "--h", "0"], r"--h must be a positive number, got 0"),
    (["box", "--lower", "0", "0", "--upper", "1", "1", "--h", "nan"], r"--h must be a positive number"),
    (["box", "--lower", "0", "0", "--upper", "1", "1", "--h", "1e-7"], r"--h: the box at h = 1e-07 would need about .* GiB \(2e\+14 vertices at 660 bytes each \(2D, mesh, "
     r"measured\), x1.5\), more than the .* GiB of this machine, and PETSc indices are 32-bit: choose a larger --h"),
    (["disc", "--centre", "inf", "0", "--radius", "1", "--h", "0.1"], r"--centre must have finite coordinates"),
    (["disc", "--centre", "0", "0", "--radius", "-1", "--h", "0.1"], r"--radius must be a positive number, got -1"),
    (["disc", "--centre", "0", "0", "--radius", "1", "--h", "-0.1"], r"--h must be a positive number"),
    (["disc", "--centre", "0", "0", "--radius", "1", "--h", "0.1", "--band", "0.5", "0.1", "0.5"],
     r"--band: H_FINE = 0.5 must be in \(0, --h\]"),
    (["disc", "--centre", "0", "0", "--radius", "1", "--h", "1e-6"], r"--h: the disc .* would need about .* GiB \(.* vertices at 660 bytes each"),
    (["ball", "--centre", "0", "0", "0", "--radius", "0", "--h", "0.1"], r"--radius must be a positive number"),
]


@pytest.mark.parametrize("argv, match", MESH_CASES)
def test_bad_mesh_command(tmp_path, capsys, argv, match):
    out = tmp_path / "m.xdmf"
    _expect_one_line(_run_cli(["mesh", *argv, "-o", out], capsys), r"advmcf mesh: error: " + match)
    assert not out.exists()


@pytest.mark.parallel([1, 2])
def test_mesh_files_that_cannot_be_used(shared, capsys):
    def write():
        (shared / "garbage.msh").write_text("not a mesh\n")
        (shared / "ro").mkdir()

    _on_root(write)
    write_xdmf(shared / "sq.xdmf", box(COMM, [0, 0], [1, 1], n=4))
    write_xdmf(shared / "gone.xdmf", box(COMM, [0, 0], [1, 1], n=4))
    write_xdmf(shared / "cut.xdmf", box(COMM, [0, 0], [1, 1], n=4))

    def damage():
        (shared / "gone.h5").unlink()
        data = (shared / "cut.h5").read_bytes()
        (shared / "cut.h5").write_bytes(data[: len(data) // 3])

    _on_root(damage)
    cases = [
        (["info", shared / "missing.xdmf"], r"mesh file .*missing.xdmf: no such file"),
        (["info", shared / "garbage.msh"], r"mesh file .*garbage.msh: "),
        (["info", shared / "gone.xdmf"], r"mesh file .*gone.xdmf: its data file gone.h5 is missing"),
        (["info", shared / "cut.xdmf"], r"mesh file .*cut.xdmf: its data file cut.h5 cannot be read"),
        (["convert", shared / "sq.xdmf", "-o", shared / "out.vtu"], r"-o .*out.vtu: must end in .xdmf"),
        (["convert", shared / "sq.xdmf", "-o", "/proc/advmcf.xdmf"], r"-o /proc/advmcf.xdmf: cannot write"),
        (["disc", "--centre", "0", "0", "--radius", "1", "--h", "0.5", "-o", "/proc/advmcf.xdmf"],
         r"-o /proc/advmcf.xdmf: cannot write"),
    ]
    for argv, match in cases:
        _expect_one_line(_run_cli(["mesh", *argv], capsys), r"advmcf mesh: error: " + match)


# --------------------------------------------------------------------------- the Python API

def _square(comm=MPI.COMM_SELF):
    return box(comm, [-1, -1], [1, 1], n=8)


def one(x):
    return np.ones(x.shape[1])


API_CASES = [
    (lambda: box(MPI.COMM_SELF, [[-1, -1], [1, 1]], [1, 1], h=0.1), r"box: lower must be a list of 2 or 3 coordinates"),
    (lambda: box(MPI.COMM_SELF, [0, 0], [1, 1]), r"box: give exactly one of h \(cell size\) or n"),
    (lambda: box(MPI.COMM_SELF, [0, 0], [1, 1], h="0.1"), r"box: h must be a positive number, got '0.1'"),
    (lambda: box(MPI.COMM_SELF, [0, 0], [1, 1], n=2.5), r"box: n must be an integer >= 1, got 2.5"),
    (lambda: box(MPI.COMM_SELF, [0, 0], [1, 1], h=1e-7), r"h: the box with .* cells would need about .* GiB"),
    (lambda: disc([0, 0], "1"), r"disc: radius must be a positive number, got '1'"),
    (lambda: disc("00", 1.0), r"disc: centre must be a list of 2 or 3 coordinates"),
    (lambda: ellipse([0, 0, 0], [1, 1]), r"ellipse: centre must have 2 coordinates, got 3"),
    (lambda: half_space([0, 0], 0.1), r"half_space: normal must be nonzero"),
    (lambda: rectangle([0, 0], [1, 1, 1]), r"rectangle: need lower < upper"),
    (lambda: polygons(np.zeros((5, 2))), r"polygons: give a list of curves"),
    (lambda: level_set(_square(), 3.0), r"level_set: shape must be a callable sdf\(x\)"),
    (lambda: level_set(np.zeros(4), disc([0, 0], 1.0)), r"level_set: the first argument must be a dolfinx mesh"),
    (lambda: level_set(_square(), lambda x: np.full(x.shape[1], np.nan)), r"level_set: shape is NaN at the vertex"),
    (lambda: mesh_stats(np.zeros(3)), r"mesh_stats: msh must be a dolfinx mesh, got ndarray"),
    (lambda: volume(np.zeros(3)), r"phi must be a scalar P1 dolfinx.fem.Function"),
    (lambda: symmetric_difference(level_set(_square(), disc([0, 0], 0.5)), level_set(_square(), disc([0, 0], 0.5))),
     r"symmetric_difference: phi and psi must live on the same mesh"),
    (lambda: hausdorff(level_set(_square(), disc([0, 0], 0.5)), level_set(_square(), disc([5, 5], 0.5))),
     r"hausdorff: the interface of 'phi' is empty"),
    (lambda: level_set_flow(np.zeros(9), one, 0.01, 0.1), r"phi0:? must be a scalar P1 dolfinx.fem.Function"),
    (lambda: level_set_flow(level_set(_square(), disc([0, 0], 0.5)), 1.0, 0.01, 0.1),
     r"rho must be a callable density rho\(x\)"),
    (lambda: level_set_flow(level_set(_square(), disc([0, 0], 0.5)), lambda x: np.ones((x.shape[1], 2)), 0.01, 0.1),
     r"rho: returned an array of shape \(\d+, 2\) for \d+ points"),
    (lambda: level_set_flow(level_set(_square(), disc([0, 0], 0.5)), one, "0.01", 0.1),
     r"tau:? (the time step )?must be a positive number, got '0.01'"),
    (lambda: adversarial_flow(level_set(_square(), disc([0, 0], 0.5)), 1.0, one, 0.5, 0.1),
     r"rho0 must be a callable density rho\(x\)"),
        (lambda: step(level_set(_square(), disc([0, 0], 0.5)), one, one, "0.5", 0.1), r"eps must be a positive number"),
    (lambda: perimeter(level_set(_square(), disc([0, 0], 0.5)), lambda x: np.ones((2, x.shape[1])), one, 0.5),
     r"rho0: returned an array of shape \(2, \d+\) for \d+ points"),
(lambda: level_set(_square(), disc([0, 0], 0.5)).x.array.sum() and volume(disc([0, 0], 0.5)),
     r"phi must be a scalar P1 dolfinx.fem.Function .*, got Shape"),
    (lambda: parametric_flow([np.zeros((2, 2))], one, 0.01, 0.1), r"curves|curve"),
    (lambda: make_density(2, {"kind": "gaussian", "sigma": "1"}), r"sigma = '1': must be a positive number"),
    (lambda: make_density(4, {"kind": "constant"}), r"dim = 4: must be 2 or 3"),
]


@pytest.mark.parametrize("make, match", API_CASES, ids=[m for _, m in API_CASES])
def test_bad_api_call(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert "\n" not in str(info.value)


def test_numpy_scalars_are_numbers():
    """np.float32 / np.int64 are accepted wherever a number is (they were rejected as not positive)."""
    msh = box(MPI.COMM_SELF, [-1.5, -1.5], [1.5, 1.5], h=np.float32(0.25))
    phi = level_set(msh, disc(np.array([0.0, 0.0], np.float32), np.float32(0.6)))
    ev = adversarial_flow(phi, one, one, np.float64(0.5), np.float32(0.02), tau=np.float32(0.01))
    assert ev.steps == 2 and ev.taus == [pytest.approx(0.01)] * 2 and ev.times == [0.0, pytest.approx(0.02)]


@pytest.mark.parallel([1, 2])
def test_bad_api_calls_raise_on_every_rank():
    """Errors that depend on the data raise on every rank together (no rank left in a collective)."""
    msh = box(COMM, [-1, -1], [1, 1], n=8)
    phi = level_set(msh, disc([0, 0], 0.5))
    with pytest.raises(ValueError, match=r"level_set: shape is NaN at the vertex \(1, 1\)"):
        level_set(msh, lambda x: np.where((x[0] > 0.99) & (x[1] > 0.99), np.nan, 1.0))
    with pytest.raises(ValueError, match=r"rho must be finite and positive on the mesh vertices"):
        level_set_flow(phi, lambda x: np.where(x[0] > 0.9, -1.0, 1.0), 0.01, 0.02)
    with pytest.raises(ValueError, match=r"rho1 must be finite and positive"):
        perimeter(phi, one, lambda x: np.where(x[1] < -0.9, 0.0, 1.0), 0.5)
