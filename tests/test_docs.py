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
    pattern = re.compile(r"DESIGN\.md|shared notes|/work/shared")
    bad = [f"{p.relative_to(ROOT)}:{i}" for pkg in ("advmcf.meshes", "advmcf.fem_mcf", "advmcf.nonlocal_", "advmcf.validation", "examples", "docs")
           for p in (ROOT / pkg).rglob("*") if p.suffix in (".py", ".toml", ".rst") and "_build" not in p.parts
           for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    bad += [f"README.md:{i}" for i, line in enumerate((ROOT / "README.md").read_text().splitlines(), 1)
            if pattern.search(line)]
    assert not bad, bad
