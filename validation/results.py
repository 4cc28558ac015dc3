r"""``results.json``: its schema, atomic writing, reading, and the environment block.

Schema ``advmcf.results/1``::

    {
      "schema": "advmcf.results/1",
      "suite": {"name", "description", "source" (the TOML text), "studies" (names, in order),
                "cases" (name -> TOML table), "references" (name -> resolved reference kind)},
      "environment": {"advmcf", "sources_sha256", "python", "versions" (distribution -> version),
                      "dolfinx", "petsc4py", "petsc", "petsc_scalar", "mpi_library", "mpi_standard",
                      "petsc_options" (the options database), "host" {"name", "os", "machine", "cpus"},
                      "command", "cwd", "env" (PETSC_OPTIONS, thread counts, ...), "git_commit",
                      "nprocs", "seeds" (study -> seed), "started", "finished"},
      "runs": [
        {"run": {"id", "study", "kind", "path", "case", "scheme", "scheme_label", "options",
                 "eps", "tau", "h", "T", "param", "group", "extra"},
         "key": SHA-256 of everything that determines the run (advmcf.validation.fingerprint),
         "inputs": {"case" (TOML table, mesh file SHA-256, resolved reference),
                    "petsc_options" (the options database, monitors and viewers left out),
                    "code" (advmcf version, sources SHA-256, library versions)},
         "status": "ok" | "flagged" | "failed",
         "flags": [{"code", "message"}] (advmcf.validation.flags; empty unless flagged),
         "reason": null | "one line",
         "reference": "what the errors are measured against",
         "mesh": {"h_min", "h_max", "num_vertices", "num_cells"},
         "metrics": {"radius_error", "symdiff_rho", "hausdorff", "extinction_error", "moved_rho",
                     "consistency_max", "consistency_l2", "mean_V", "violations", "pairs"}  (those that apply),
         "ratios": {"h_over_eps", "h_over_tau_V", "h_over_sqrt_tau", "delta_over_h", "tau_over_delta2"}
                   (the last three for the schemes they concern),
         "timings": {"setup", "solve", "metrics", "total"}  (seconds; total = max over ranks),
         "steps": number of time steps}
      ]
    }

NaN is written as ``null``.  A failed run has only ``run``, ``key``,
``inputs``, ``status``, ``reason`` and ``timings``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from advmcf.meshes.files import LIMITS, read_text

__all__ = ["RANK_RTOL", "ROUNDOFF_ATOL", "compare_results", "atomic_write_json", "atomic_write_text", "read_json",
           "json_clean",
           "environment", "write_results",
           "load_results"]


#: How far the numbers of one suite may differ between runs on different numbers of ranks.  The
#: nonlocal and parametric schemes give bitwise the same sets; the level-set FEM solves to a relative
#: residual of 1e-10 with GAMG, whose aggregates depend on the partition, which moves its sets by
#: ~1e-9 relative (3D ρ-symdiff 0.013406953 vs 0.013406952 on 1 and 2 ranks); every integral is a
#: sum in a partition-dependent order (~1e-15).  So the tables of 1 and N ranks agree to RANK_RTOL,
#: and a printed digit can differ where a value sits on a rounding boundary.
RANK_RTOL = 1e-6
#: Values below this are round-off (the ρ-symdiff of a set with itself is ~1e-12), compared absolutely.
ROUNDOFF_ATOL = 1e-10


def _close(a, b, rtol, atol) -> bool:
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return a == b
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= max(rtol * max(abs(a), abs(b)), atol)


def compare_results(a: dict, b: dict, rtol: float = RANK_RTOL, atol: float = ROUNDOFF_ATOL) -> list[str]:
    """The differences between two results documents of one suite, one line each (empty: they agree).

    Runs are matched by id; their status, flags, steps, mesh statistics, ratios and metrics must agree
    to ``rtol`` relative (``atol`` absolute for round-off-sized values, NaN equal to NaN).  Timings
    and the environment are not compared.
    """
    out = []
    runs_a, runs_b = ({r["run"]["id"]: r for r in d["runs"]} for d in (a, b))
    for rid in sorted(set(runs_a) ^ set(runs_b)):
        out.append(f"{rid}: only in the {'first' if rid in runs_a else 'second'} results")
    for rid in (r for r in runs_a if r in runs_b):
        ra, rb = runs_a[rid], runs_b[rid]
        for key in ("status", "steps"):
            if ra.get(key) != rb.get(key):
                out.append(f"{rid}: {key} {ra.get(key)!r} vs {rb.get(key)!r}")
        flags = [sorted(f.get("code", "") for f in r.get("flags") or []) for r in (ra, rb)]
        if flags[0] != flags[1]:
            out.append(f"{rid}: flags {flags[0]} vs {flags[1]}")
        for group in ("mesh", "ratios", "metrics"):
            ga, gb = ra.get(group) or {}, rb.get(group) or {}
            for k in sorted(set(ga) | set(gb)):
                if not _close(ga.get(k), gb.get(k), rtol, atol):
                    out.append(f"{rid}: {group}.{k} {ga.get(k)!r} vs {gb.get(k)!r} (rtol {rtol:g})")
    return out


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def json_clean(obj):
    """``obj`` as it reads back from JSON written by :func:`atomic_write_json`: NaN and infinities as
    None, tuples as lists."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_clean(v) for v in obj]
    return obj


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, fsync it, then rename it onto ``path``.

    The file gets the mode a plain ``open()`` would give it (0666 less the
    umask: readable by colleagues on a shared cluster unless the umask says
    otherwise).  OSError if ``path`` is a symbolic link, a device, a pipe or a
    folder (:func:`advmcf.meshes.checks.replaceable_file`), or if the write fails
    (the temporary file is removed)."""
    from advmcf.meshes.checks import replaceable_file

    path = replaceable_file(path)  # never replace a link, a device, a pipe or a folder
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600: give the file the mode open() would
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
    atomic_write_text(path, json.dumps(json_clean(doc), indent=1, allow_nan=False) + "\n")


def read_json(path: Path, limit: int = LIMITS["record"]):
    """The JSON document at ``path``, or None if it is missing, not a regular file of at most ``limit``
    bytes (:func:`advmcf.meshes.files.read_text`), or not valid JSON."""
    try:
        return json.loads(read_text(path, limit))
    except (OSError, ValueError, RecursionError):
        return None


def load_results(folder) -> dict:
    """``folder/results.json``; ValueError naming the file if missing or invalid."""
    path = Path(folder) / "results.json"
    if not path.exists():
        raise ValueError(f"{path}: missing (is {folder} the --out folder of a finished 'advmcf run'?)")
    try:
        doc = json.loads(read_text(path, LIMITS["results"], "results file"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        doc = None
    if not isinstance(doc, dict) or doc.get("schema") != "advmcf.results/1":
        raise ValueError(f"{path}: not an advmcf results file (schema advmcf.results/1)")
    missing = _missing_field(doc)
    if missing is not None:
        raise ValueError(f"{path}: an incomplete advmcf results file ({missing}): run the suite again, with --resume")
    return doc


#: What the tables and figures read of a results document: the fields of the suite and of each run's record.
_SUITE_FIELDS = {"name": str, "studies": list}
_RUN_FIELDS = {"id": str, "study": str, "kind": str, "path": str, "scheme": str, "param": str, "group": list}
_RECORD_FIELDS = {"run": dict, "status": str}


def _missing_field(doc: dict) -> str | None:
    """The first field of ``doc`` that the tables need and that is missing or of the wrong type, or None."""
    def bad(obj, fields, where):
        for key, kind in fields.items():
            if not isinstance(obj.get(key), kind):
                return f"{where}{key} is {'missing' if key not in obj else f'not a {kind.__name__}'}"
        return None

    if not isinstance(doc.get("suite"), dict):
        return "suite is missing"
    if not isinstance(doc.get("runs"), list):
        return "runs is missing"
    problem = bad(doc["suite"], _SUITE_FIELDS, "suite.")
    for i, rec in enumerate(doc["runs"]):
        if problem is not None:
            break
        if not isinstance(rec, dict):
            return f"runs[{i}] is not a record"
        problem = bad(rec, _RECORD_FIELDS, f"runs[{i}].") or bad(rec["run"], _RUN_FIELDS, f"runs[{i}].run.")
        if problem is None and rec["status"] != "failed":
            problem = bad(rec, {"metrics": dict}, f"runs[{i}].") or next(
                (f"runs[{i}].{k} is not a table" for k in ("ratios", "mesh") if not isinstance(rec.get(k, {}), dict)),
                None)
            for group in ("metrics", "ratios"):
                if problem is None and group in rec:
                    problem = next((f"runs[{i}].{group}.{k} is not a number" for k, v in rec[group].items()
                                    if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)))),
                                   None)
    return problem


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


#: Environment variables that change how a run computes or reports.
_ENV_VARS = ("PETSC_OPTIONS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS", "MPICH_VERSION",
             "XDG_CACHE_HOME")


def _stack():
    """DOLFINx's, PETSc's and MPI's versions (as the modules report them: a wheel or a conda install
    may not register every distribution) and PETSc's options database as it stands."""
    import dolfinx
    import numpy as np
    import petsc4py
    from mpi4py import MPI
    from petsc4py import PETSc

    return {"dolfinx": dolfinx.__version__, "petsc4py": petsc4py.__version__,
            "petsc": ".".join(map(str, PETSc.Sys.getVersion())), "petsc_scalar": np.dtype(PETSc.ScalarType).name,
            "mpi_library": MPI.Get_library_version().strip().splitlines()[0],
            "mpi_standard": ".".join(map(str, MPI.Get_version())),
            "petsc_options": {k: (None if v is None else str(v)) for k, v in sorted(PETSc.Options().getAll().items())}}


def environment(comm, started: str, seeds: dict | None = None) -> dict:
    """Provenance of a suite's results (rank 0's view, broadcast).

    advmcf's version and source hash, every library's version
    (:func:`advmcf.validation.fingerprint.code_version`), Python, PETSc and MPI
    versions, PETSc's options database (command line, ``PETSC_OPTIONS``,
    the suite's ``[petsc_options]``), the host (name, OS, machine, CPU
    count), the command line and working folder, relevant environment
    variables, the git commit (``-dirty`` if tracked files changed), the
    number of ranks, the random ``seeds`` of the suite's studies, and the
    start and end times.
    """
    import platform
    import socket

    from advmcf.validation.fingerprint import code_version

    env = None
    if comm.rank == 0:
        code = code_version()
        env = {"advmcf": code["advmcf"], "sources_sha256": code["sources_sha256"],
               "python": sys.version.split()[0], "versions": code["libraries"], **_stack(),
               "host": {"name": socket.gethostname(), "os": platform.platform(), "machine": platform.machine(),
                        "cpus": os.cpu_count()},
               "command": [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:]],
               "cwd": os.getcwd(),
               "env": {k: os.environ[k] for k in _ENV_VARS if k in os.environ},
               "git_commit": _git_commit(), "nprocs": comm.size, "seeds": seeds or {},
               "started": started, "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return comm.bcast(env, root=0)


def write_results(folder: Path, doc: dict) -> None:
    """Write ``results.json`` and the tables into ``folder`` (call on one rank): ``table.md``,
    ``table.tex`` (every study) and ``table_<study>.tex`` (one each, for ``\\input``), ``table.csv``
    (one row per run) and ``orders.csv`` (one row per observed order); see :mod:`advmcf.validation.tables`."""
    from advmcf.validation.tables import orders_csv, render

    folder = Path(folder)
    atomic_write_json(folder / "results.json", doc)
    for fmt in ("md", "tex", "csv"):
        atomic_write_text(folder / f"table.{fmt}", render(doc, fmt))
    for study in doc["suite"]["studies"]:
        if any(r["run"]["study"] == study for r in doc["runs"]):
            atomic_write_text(folder / f"table_{study}.tex", render(doc, "tex", studies=[study]))
    atomic_write_text(folder / "orders.csv", orders_csv(doc))
