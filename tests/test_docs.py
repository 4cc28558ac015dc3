"""The documentation builds without a warning (``make docs`` runs the same sphinx-build -W), and it is
self-contained: no docstring or suite points at a file outside the repository."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_docs_build_without_warnings(tmp_path):
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
           str(ROOT / "docs"), str(tmp_path / "html")]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    html = (tmp_path / "html" / "theory.html").read_text()
    assert "The nonlocal perimeter" in html and "Exact solutions" in html
    api = (tmp_path / "html" / "api.html").read_text()
    for name in ("advmcf.meshes.stack", "advmcf.fem_mcf.level_set", "advmcf.nonlocal_.step", "advmcf.validation.tables"):
        assert f'id="module-{name}"' in api, name


def test_no_reference_to_files_outside_the_repository():
    """No text of the repository (sources, tests, suites, docs, README, Makefile) points at notes outside it
    or at an issue tracker."""
    pattern = re.compile(r"DESIGN\.md|FINDINGS\.md|shared notes|/work/shared|\bissues? \d+|\bissue #\d+|/issues/\d+")
    files = [p for folder in ("meshes", "fem_mcf", "nonlocal_", "validation", "examples", "docs", "tests", "benchmarks")
             for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".toml", ".rst", ".md", ".sh")
             and "_build" not in p.parts and "_generated" not in p.parts and p.resolve() != Path(__file__).resolve()]
    files += [ROOT / name for name in ("README.md", "Makefile", "pyproject.toml", "CITATION.cff")]
    assert len(files) > 100, f"the scan found only {len(files)} files: it would miss what it looks for"
    bad = [f"{p.relative_to(ROOT)}:{i}" for p in files
           for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not bad, bad
