"""One namespace: advmcf installs ``advmcf.meshes``, ``advmcf.fem_mcf``, ``advmcf.nonlocal_`` and
``advmcf.validation`` and no top-level package of those names, and no source imports the old names
(inside the repository they would still resolve, to a second copy of every module)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("meshes", "fem_mcf", "nonlocal_", "validation", "samples")
OLD_IMPORT = re.compile(r"^\s*(from|import)\s+(" + "|".join(PACKAGES) + r")\b", re.M)


def test_no_source_imports_a_top_level_package_name():
    sources = [p for folder in (*PACKAGES, "tests", "benchmarks", "examples", "docs")
               for p in (ROOT / folder).rglob("*.py") if "_build" not in p.parts]
    assert len(sources) > 50, "the scan found too few files to mean anything"
    bad = [f"{p.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
           for p in sources for text in [p.read_text()] for m in OLD_IMPORT.finditer(text)]
    assert not bad, bad


@pytest.mark.parametrize("name", PACKAGES)
def test_installed_under_advmcf_only(tmp_path, name):
    """Outside the repository (cwd elsewhere), ``advmcf.<name>`` imports and ``<name>`` does not."""
    code = (f"import importlib, importlib.util\n"
            f"m = importlib.import_module('advmcf.{name}')\n"
            f"print(m.__name__, importlib.util.find_spec('{name}'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env={"PATH": str(Path(sys.executable).parent)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [f"advmcf.{name}", "None"], out.stdout
