"""Sphinx configuration of advmcf's documentation (``make docs``: built with -W, warnings are errors)."""

import os
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("MPLBACKEND", "Agg")

import advmcf.meshes  # noqa: E402,F401  (prepares the DOLFINx stack before autodoc imports any module)

project = "advmcf"
author = "The advmcf developers"
copyright = "2026, The advmcf developers"
try:
    release = metadata.version("advmcf")
except metadata.PackageNotFoundError:
    release = "unknown"
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax", "sphinx.ext.viewcode"]
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
nitpicky = False
exclude_patterns = ["_build", "_generated"]
html_theme = "alabaster"
html_theme_options = {"description": "adversarial training as weighted mean curvature flow, computed",
                      "fixed_sidebar": True}
html_static_path = []


def _write_api_pages():
    """``_generated/<package>.rst``: an automodule section for every public module of each package, so
    a new module is documented without editing the docs (private modules, ``_name``, are skipped)."""
    import importlib
    import pkgutil

    out = Path(__file__).resolve().parent / "_generated"
    out.mkdir(exist_ok=True)
    for pkg in ("advmcf.meshes", "advmcf.fem_mcf", "advmcf.nonlocal_", "advmcf.validation", "advmcf.samples"):
        module = importlib.import_module(pkg)
        names = sorted(m.name for m in pkgutil.iter_modules(module.__path__) if not m.name.startswith("_"))
        lines = [f"``{pkg}``", "-" * (len(pkg) + 4), "", f".. automodule:: {pkg}", "   :no-members:", ""]
        for name in names:
            title = f"``{pkg}.{name}``"
            lines += [title, "^" * len(title), "", f".. automodule:: {pkg}.{name}", ""]
        text = "\n".join(lines)
        target = out / f"{pkg.removeprefix('advmcf.')}.rst"
        if not target.exists() or target.read_text() != text:
            target.write_text(text)


_write_api_pages()
