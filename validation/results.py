r"""``results.json``: its schema, atomic writing, reading, and the environment block.

Schema ``advmcf.results/1``::

    {
      "schema": "advmcf.results/1",
      "suite": {"name", "description", "source" (the TOML text), "studies" (names, in order),
                "cases" (name -> TOML table), "references" (name -> resolved reference kind)},
      "environment": {"advmcf", "python", "numpy", "scipy", "dolfinx", "petsc4py", "mpi4py",
                      "git_commit", "nprocs", "started", "finished"},
      "runs": [
        {"run": {"id", "study", "kind", "path", "case", "scheme", "scheme_label", "options",
                 "eps", "tau", "h", "T", "param", "group", "extra"},
         "key": SHA-256 of everything that determines the run (validation.fingerprint),
         "inputs": {"case" (TOML table, mesh file SHA-256, resolved reference),
                    "petsc_options" (the options database, monitors and viewers left out),
                    "code" (advmcf version, sources SHA-256, library versions)},
         "status": "ok" | "failed",
         "reason": null | "one line",
         "reference": "what the errors are measured against",
         "mesh": {"h_min", "h_max", "num_vertices", "num_cells"},
         "metrics": {"radius_error", "symdiff_rho", "hausdorff", "extinction_error", "moved_rho",
                     "consistency_max", "consistency_l2", "mean_V", "violations", "pairs"}  (those that apply),
         "ratios": {"h_over_eps", "h_over_tau_V"},
         "timings": {"setup", "solve", "metrics", "total"}  (seconds; total = max over ranks),
         "steps": number of time steps}
      ]
    }

NaN is written as ``null``.  A failed run has only ``run``, ``key``,
``inputs``, ``status``, ``reason`` and ``timings``.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

__all__ = ["atomic_write_json", "atomic_write_text", "read_json", "environment", "write_results",
           "load_results"]


def _clean(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, fsync it, then rename it onto ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, doc: dict) -> None:
    """:func:`atomic_write_text` of ``doc`` as JSON (NaN written as null)."""
    atomic_write_text(path, json.dumps(_clean(doc), indent=1, allow_nan=False) + "\n")


def read_json(path: Path):
    """The JSON document at ``path``, or None if it is missing or not valid JSON."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def load_results(folder) -> dict:
    """``folder/results.json``; ValueError naming the file if missing or invalid."""
    path = Path(folder) / "results.json"
    doc = read_json(path)
    if doc is None or doc.get("schema") != "advmcf.results/1":
        raise ValueError(f"{path}: missing or not an advmcf results file (schema advmcf.results/1)")
    return doc


def _version(module):
    try:
        return str(importlib.import_module(module).__version__)
    except (ImportError, AttributeError):
        return None


def _git_commit():
    try:
        root = Path(__file__).resolve().parent.parent
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        if out.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment(comm, started: str) -> dict:
    """Package versions, git commit (``-dirty`` if tracked files changed), ranks and times (rank 0's view, broadcast)."""
    env = None
    if comm.rank == 0:
        try:
            advmcf = metadata.version("advmcf")
        except metadata.PackageNotFoundError:
            advmcf = None
        env = {"advmcf": advmcf, "python": sys.version.split()[0],
               **{name: _version(name) for name in
                  ("numpy", "scipy", "dolfinx", "petsc4py", "mpi4py", "basix", "ufl", "ffcx")},
               "git_commit": _git_commit(), "nprocs": comm.size, "started": started,
               "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return comm.bcast(env, root=0)


def write_results(folder: Path, doc: dict) -> None:
    """Write ``results.json`` and the tables into ``folder`` (call on one rank): ``table.md``,
    ``table.tex`` (every study) and ``table_<study>.tex`` (one each, for ``\\input``), ``table.csv``
    (one row per run) and ``orders.csv`` (one row per observed order); see :mod:`validation.tables`."""
    from validation.tables import orders_csv, render

    folder = Path(folder)
    atomic_write_json(folder / "results.json", doc)
    for fmt in ("md", "tex", "csv"):
        atomic_write_text(folder / f"table.{fmt}", render(doc, fmt))
    for study in doc["suite"]["studies"]:
        if any(r["run"]["study"] == study for r in doc["runs"]):
            atomic_write_text(folder / f"table_{study}.tex", render(doc, "tex", studies=[study]))
    atomic_write_text(folder / "orders.csv", orders_csv(doc))
