"""Class 5: output paths built from names.  A suite's name names its default output folder
(results/<name>), so it must be a plain name; ``--out`` must not be empty; a folder that holds
anything but an advmcf suite's results is never written into or emptied; ``--force`` does not go
through a link; every ``-o`` refuses to replace a link, a pipe or a device; two runs never share a
record file."""

import os
from pathlib import Path

import pytest
from mpi4py import MPI

COMM = MPI.COMM_WORLD

NAMES = ["../../escaped", "/tmp/advmcf-absolute", "a/b", "..", ".", ".hidden", "-rf", "", "x" * 101, "tab\there",
         "name with space"]


@pytest.mark.parametrize("name", NAMES)
def test_suite_names_that_are_paths(tmp_path, monkeypatch, cli, one_line, good, name):
    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    (work / "suite.toml").write_text(good.replace('name = "t"', f"name = {name!r}".replace("'", '"'), 1)
                                     if "\t" not in name else good.replace('name = "t"', 'name = "tab\\there"', 1))
    one_line(cli(["run", "suite.toml", "-q"]), r"^advmcf: error: suite\.name: .* must be a plain name")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "b", "suite.toml", "work"]
    assert not Path("/tmp/advmcf-absolute").exists()


@pytest.mark.parametrize("stem", ["-x", ".", "..."])
def test_file_names_that_would_name_the_folder(tmp_path, monkeypatch, cli, one_line, good, stem):
    """A suite without [suite] name takes its file's name, which is checked the same way."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / f"{stem}.toml"
    path.write_text(good.replace('[suite]\nname = "t"\n', ""))
    one_line(cli(["run", path, "-q"]), r"suite\.name \(missing, so the file name is used\): .* plain name")
    assert not (tmp_path / "results").exists()


@pytest.mark.parallel([1, 2])
def test_output_folders_that_are_not_ours(shared, on_root, cli, one_line, good):
    tiny = (good.replace('schemes = ["level_set", "nonlocal"]', 'schemes = ["level_set"]')
            .replace("eps = [0.1, 0.05]", "eps = [0.1]").replace('h = "eps/4"', "h = 0.25"))

    def write():
        (shared / "suite.toml").write_text(tiny)
        (shared / "papers").mkdir()
        (shared / "papers" / "table.md").write_text("my own table\n")
        (shared / "notes").mkdir()
        (shared / "notes" / "suite.toml").write_text(tiny)
        (shared / "real").mkdir()
        (shared / "real" / "suite.json").write_text('{"name": "other", "source": ""}')
        os.symlink(shared / "real", shared / "link")

    on_root(write)
    suite = shared / "suite.toml"
    one_line(cli(["run", suite, "-q", "-o", ""]), r"--out: an empty folder name")
    for extra in ([], ["--force"], ["--resume"]):
        one_line(cli(["run", suite, "-q", "-o", shared / "papers", *extra]),
                 r"--out .*papers holds files that are not an advmcf suite's results but have the names of its "
                 r"outputs \(e\.g\. 'table\.md'\)")
    one_line(cli(["run", suite, "-q", "-o", shared / "link", "--force"]),
             r"--out .*link is a symbolic link: --force empties folders, not links")
    if COMM.rank == 0:
        assert (shared / "papers" / "table.md").read_text() == "my own table\n"
        assert sorted(p.name for p in (shared / "papers").iterdir()) == ["table.md"]
        assert (shared / "link").is_symlink() and (shared / "real" / "suite.json").is_file()
    COMM.barrier()
    # the folder a link points to is emptied when named itself; other files beside the outputs are kept
    assert cli(["run", suite, "-qq", "-o", shared / "real", "--force"], code=0) == []
    assert cli(["run", shared / "notes" / "suite.toml", "-qq", "-o", shared / "notes"], code=0) == []
    assert (shared / "notes" / "suite.toml").read_text() == tiny


def test_runs_never_share_a_record(tmp_path, cli, one_line, good):
    path = tmp_path / "suite.toml"
    path.write_text(good.replace('schemes = ["level_set", "nonlocal"]',
                                 'schemes = [{ name = "level_set", tau = "+h/4" }, { name = "level_set", tau = " h/4" }]')
                    .replace("eps = [0.1, 0.05]", "eps = [0.1]"))
    one_line(cli(["run", path, "-q", "-o", tmp_path / "out"]),
             r"runs .*tau=\+h/4.* and .*tau= h/4.* would share the record")
    assert not (tmp_path / "out").exists()


def test_outputs_never_replace_links_pipes_or_folders(tmp_path, cli, one_line, good):
    """``table -o``, ``mesh ... -o`` and ``plot -o``: a link, a named pipe or a folder in the way is
    refused in one line and left as it was."""
    out = tmp_path / "res"
    (tmp_path / "suite.toml").write_text(good.replace('schemes = ["level_set", "nonlocal"]', 'schemes = ["level_set"]')
                                         .replace("eps = [0.1, 0.05]", "eps = [0.1]").replace('h = "eps/4"', "h = 0.25"))
    assert cli(["run", tmp_path / "suite.toml", "-qq", "-o", out], code=0) == []
    target = tmp_path / "target.md"
    target.write_text("keep\n")
    os.symlink(target, tmp_path / "link.md")
    os.mkfifo(tmp_path / "pipe.md")
    (tmp_path / "dir.md").mkdir()
    for name, match in (("link.md", "is a symbolic link"), ("pipe.md", "is not a regular file"),
                        ("dir.md", "is a folder")):
        one_line(cli(["table", out, "-o", tmp_path / name]), rf"advmcf table: error: -o .*{name}: cannot write \({match}")
    os.symlink(tmp_path / "t.xdmf", tmp_path / "link.xdmf")
    os.mkfifo(tmp_path / "pipe.xdmf")
    for name, match in (("link.xdmf", "is a symbolic link"), ("pipe.xdmf", "is not a regular file")):
        one_line(cli(["mesh", "box", "--lower", "0", "0", "--upper", "1", "1", "--h", "0.5", "-o", tmp_path / name]),
                 rf"advmcf mesh: error: -o .*{name}: {match}")
    assert target.read_text() == "keep\n" and (tmp_path / "link.md").is_symlink()
    assert (tmp_path / "pipe.md").is_fifo() and (tmp_path / "pipe.xdmf").is_fifo()
    assert not (tmp_path / "t.xdmf").exists()
