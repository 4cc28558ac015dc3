"""Class 2: sizes that let the machine be killed or never end.  Memory is estimated per dimension from
measured bytes per vertex (and, for the adversarial step, its graph from the band's vertices and
ε/h) and refused up front in one line naming the size and the limit; T/τ and the comparison pairs
are bounded; a flow stops at extinction.  The machine's limit is set to 8 GiB here (the memory of
the machine the problems were found on), so the tests do not depend on this one's."""

import re

import numpy as np
import pytest
from mpi4py import MPI

import advmcf.meshes.memory as memory
from advmcf.fem_mcf import level_set_flow
from advmcf.meshes.generate import box, gmsh_mesh
from advmcf.meshes.sets import level_set
from advmcf.meshes.shapes import disc
from advmcf.nonlocal_ import adversarial_flow, step

COMM = MPI.COMM_WORLD
GIB = 2**30


@pytest.fixture
def eight_gib(monkeypatch):
    monkeypatch.setattr(memory, "memory_limit", lambda: 8 * GIB)


MESHES = [
    (["box", "--lower", "0", "0", "0", "--upper", "1", "1", "1", "--h", "0.004"],
     r"--h: the box at h = 0.004 would need about 3\d.\d GiB \(1.58e\+07 vertices at 1690 bytes each \(3D, mesh"),
    (["box", "--lower", "0", "0", "--upper", "10", "10", "--h", "0.002"], r"--h: the box .* \(2D, mesh"),
    (["ball", "--centre", "0", "0", "0", "--radius", "1", "--h", "0.005"], r"--h: the ball at h = 0.005 would need"),
    (["disc", "--centre", "0", "0", "--radius", "10", "--h", "0.002"], r"--h: the disc at h = 0.002 would need"),
]


@pytest.mark.parametrize("argv, match", MESHES)
def test_meshes_too_big(tmp_path, eight_gib, cli, one_line, argv, match):
    one_line(cli(["mesh", *argv, "-o", tmp_path / "m.xdmf"]),
             rf"advmcf mesh: error: {match}.* more than the 8 GiB of this machine: choose a larger --h")
    assert not (tmp_path / "m.xdmf").exists()


def test_api_meshes_too_big(eight_gib):
    with pytest.raises(ValueError, match=r"h: the box with 250 x 250 x 250 cells would need about .* 8 GiB"):
        box(MPI.COMM_SELF, [0, 0, 0], [1, 1, 1], h=0.004)
    with pytest.raises(ValueError, match=r"h: the gmsh ball at h = 0.005 would need about"):
        gmsh_mesh(MPI.COMM_SELF, "ball", 0.005, centre=[0, 0, 0], radius=1)


SUITES = [
    # the adversarial scheme with a ball that covers the domain: its graph, from the band and eps/h
    ('eps = [0.1, 0.05]\nh = "eps/4"', 'path = "eps_to_zero"\ntau = 0.01\neps = [5.0]\nh = 0.005',
     r"studies\[0\]\.eps: the adversarial step at eps = 5 on the box mesh \(h_max = 0.005\) would need about .* "
     r"GiB .*a graph of about .* edges on .* band vertices at eps/h = 1e\+03"),
    # a 3D suite: its mesh at h = 0.008, the level-set FEM's run at h = 0.014 (the mesh alone would fit)
    ('dim = 2\ndomain = [[-1.0, -1.0], [1.0, 1.0]]', 'dim = 3\ndomain = [[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]\n#0.008',
     r"studies\[0\]\.h: the box .* at h = 0.008 would need about .* \(1.58e\+07 vertices .* \(3D, mesh"),
    ('dim = 2\ndomain = [[-1.0, -1.0], [1.0, 1.0]]', 'dim = 3\ndomain = [[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]\n#0.014',
     r"studies\[0\]\.h: a run on the box mesh \(h_max = 0.02\d+\) would need about .* \(3D, fem"),
]


@pytest.mark.parametrize("old, new, match", SUITES)
def test_suites_too_big(tmp_path, eight_gib, cli, good, old, new, match):
    text = good.replace(old, new)
    if "dim = 3" in new:
        text = (text.replace("centre = [0.0, 0.0]", "centre = [0.0, 0.0, 0.0]").replace('"disc"', '"ball"')
                .replace('schemes = ["level_set", "nonlocal"]', 'schemes = ["level_set"]')
                .replace('eps = [0.1, 0.05]\nh = "eps/4"', f'eps = [0.1]\nh = {new.rsplit("#", 1)[1]}'))
    assert text != good
    (tmp_path / "suite.toml").write_text(text)
    lines = cli(["run", tmp_path / "suite.toml", "-q", "-o", tmp_path / "out"])
    assert any(re.search(match, line) for line in lines), lines
    assert any("more than the 8 GiB of this machine" in line for line in lines), lines
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("old, new, match", [
    ("T = 0.1", "T = 1e9", r"studies\[0\]\.schemes\.level_set: T/tau = 1e\+09/0.1 = 1e\+10 steps .*at most 1e\+06"),
    ('name = "s"', 'name = "s"\nkind = "comparison"\npairs = 1000000000', r"studies\[0\]\.pairs: 1000000000 must be an "
                                                                         r"integer >= 1 and at most 10000"),
    ('schemes = ["level_set", "nonlocal"]', 'schemes = [{ name = "level_set", tau = "h*1e-6" }]',
     r"T/tau = 0.1/2.5e-08 = 4e\+06 steps"),
])
def test_runs_without_a_bound_on_time(tmp_path, cli, good, old, new, match):
    (tmp_path / "suite.toml").write_text(good.replace(old, new))
    lines = cli(["run", tmp_path / "suite.toml", "-q", "-o", tmp_path / "out"])
    assert any(re.search(match, line) for line in lines), lines


def test_api_steps_are_bounded():
    phi = level_set(box(MPI.COMM_SELF, [-1, -1], [1, 1], n=8), disc([0, 0], 0.5))
    one = lambda x: np.ones(x.shape[1])  # noqa: E731
    for call in (lambda: level_set_flow(phi, one, 0.01, 1e9), lambda: adversarial_flow(phi, one, one, 0.5, 1e9),
                 lambda: level_set_flow(phi, one, 1e-9, 1.0),
                 lambda: level_set_flow(phi, one, 0.1, 1.0, output_times=np.linspace(0, 1, 2 * 10**6))):
        with pytest.raises(ValueError, match=r"(T/tau = .* steps: at most 1e\+06|output_times: .* at most)"):
            call()


@pytest.mark.parallel([1, 2])
def test_flows_stop_at_extinction():
    """A disc that vanishes at t = 0.045 asked for T = 1 with an output every step: the steps stop there and
    the remaining output times hold the one empty set, not copies."""
    phi = level_set(box(COMM, [-1, -1], [1, 1], n=16), disc([0, 0], 0.3))
    one = lambda x: np.ones(x.shape[1])  # noqa: E731
    times = list(np.linspace(0, 1, 101))
    for evolution in (level_set_flow(phi, one, 0.01, 1.0, output_times=times),
                      adversarial_flow(phi, one, one, 0.4, 1.0, tau=0.01, output_times=times)):
        assert evolution.extinction_time is not None and evolution.extinction_time < 0.1
        assert len(evolution.diagnostics) <= 11, len(evolution.diagnostics)
        after = [s for t, s in zip(evolution.times, evolution.sets) if t > evolution.extinction_time + 0.01]
        assert len({id(s) for s in after}) <= 1


@pytest.mark.parallel([1, 2])
def test_adversarial_step_refuses_a_graph_too_big(monkeypatch):
    """The step estimates its graph from its band before building it: one line on every rank.  (The limit is
    set 1 MiB above what the mesh alone needs, so that the graph decides.)"""
    msh = box(COMM, [-1, -1], [1, 1], n=32)
    vertices = msh.topology.index_map(0).size_global
    monkeypatch.setattr(memory, "memory_limit", lambda: memory.estimate(vertices, 2, "nonlocal") + 2**20)
    phi = level_set(msh, disc([0, 0], 0.5))
    one = lambda x: np.ones(x.shape[1])  # noqa: E731
    with pytest.raises(ValueError, match=r"^eps: the adversarial step would need about .* a graph of about .* edges on "
                                         r"\S+ band vertices at eps/h = 8.* more than the 0.\d+ GiB of this machine: "
                                         r"choose a smaller eps") as info:
        step(phi, one, one, 0.5, 0.01, boundary="neumann")  # (the set is within eps of the boundary)
    assert "\n" not in str(info.value)
