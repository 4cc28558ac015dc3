r"""What determines a run, and its hash: the key ``--resume`` matches records by.

A run's result depends on its parameters (scheme, options, ε, τ, h, T, study
kind and extras), on its case as resolved (the case's TOML table: density,
domain, initial set, T, and the resolved reference), on the *contents* of a
mesh file (not its name), on the PETSc options in effect (command line,
``PETSC_OPTIONS``, the suite's ``[petsc_options]``; monitors and viewers
left out), and on the code that computes it (advmcf's own sources and the
versions of the libraries it calls).  :func:`run_inputs`
collects all of it as plain JSON data and :func:`run_key` hashes it
(SHA-256 of the canonical JSON), so a record is reused only when every one of
them is unchanged; :func:`describe_change` names what differs, in one line.
A record also carries :func:`record_digest`, the SHA-256 of everything else it
says (status, metrics, mesh, the bytes of its ``.npz``), so that a record
edited or damaged after it was written is not reused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from importlib import metadata
from pathlib import Path

__all__ = ["file_sha256", "mesh_file_sha256", "code_version", "case_inputs", "petsc_inputs", "run_inputs",
           "run_key", "record_digest", "describe_change"]

#: The packages advmcf calls whose versions can change a number.
_DEPENDENCIES = ("numpy", "scipy", "fenics-dolfinx", "fenics-basix", "fenics-ffcx", "fenics-ufl", "petsc4py",
                 "mpi4py", "meshio", "gmsh", "h5py", "ortools", "PyMaxflow", "numba", "dolfinx-solver-real")
#: The folders of the four packages (installed as ``advmcf.<folder>``).
_PACKAGES = ("meshes", "fem_mcf", "nonlocal_", "validation")
#: Modules that only present finished records (command line, tables, figures, progress lines): editing
#: them cannot change a run's numbers, so they are left out of the source hash.
_PRESENTATION = ("meshes/cli.py", "validation/cli.py", "validation/tables.py", "validation/plots.py",
                 "validation/progress.py")


def file_sha256(path) -> str:
    """The SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mesh_file_sha256(path) -> str:
    """SHA-256 over a mesh file's bytes and, for XDMF, the bytes of every HDF5 file it refers to
    (the XML holds only the layout: the coordinates and cells live in the ``.h5``)."""
    import xml.etree.ElementTree as ET

    path = Path(path)
    digest = hashlib.sha256(file_sha256(path).encode())
    if path.suffix == ".xdmf":
        try:
            items = ET.parse(path).getroot().iter("DataItem")
        except ET.ParseError:
            items = ()
        heavy = sorted({(item.text or "").strip().split(":")[0] for item in items if item.get("Format") == "HDF"})
        for name in heavy:
            h5 = path.parent / name
            digest.update(name.encode() + b"\0" + (file_sha256(h5) if h5.is_file() else "missing").encode())
    return digest.hexdigest()


def _version(dist: str):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def code_version() -> dict:
    """advmcf's version, a SHA-256 over the sources of its four packages, and the library versions.

    The source hash covers every ``.py`` file of ``meshes``, ``fem_mcf``,
    ``nonlocal_`` and ``validation`` (path and bytes) but the presentation
    modules (:data:`_PRESENTATION`), so any edit of code that computes counts
    as a new version, committed or not.
    """
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for pkg in _PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            if str(path.relative_to(root)) in _PRESENTATION:
                continue
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return {"advmcf": _version("advmcf"), "sources_sha256": digest.hexdigest(),
            "libraries": {name: _version(name) for name in _DEPENDENCIES}}


def case_inputs(case) -> dict:
    """What a case contributes to its runs: its TOML table with a mesh file replaced by the
    SHA-256 of its bytes (renaming or moving the file changes nothing), and the resolved reference."""
    table = {k: v for k, v in case.spec.items() if k != "mesh"}
    if case.mesh_file is not None:
        table["mesh_sha256"] = mesh_file_sha256(case.mesh_file)
    return {"table": table, "reference": case.reference_kind}


#: PETSc options that only report (they cannot change a number), left out of the inputs.
_REPORTING = re.compile(r"(^|_)(monitor|view|converged_reason|log_view|options_left|help|info)")


def petsc_inputs() -> dict:
    """The PETSc options database as it stands (name -> value), without reporting-only options."""
    from petsc4py import PETSc

    return {k: str(v) for k, v in sorted(PETSc.Options().getAll().items()) if not _REPORTING.search(k)}


def run_inputs(spec, case: dict, code: dict, petsc: dict | None = None) -> dict:
    """Everything that determines a run: ``spec.as_dict()``, :func:`case_inputs`, :func:`petsc_inputs`
    and :func:`code_version`."""
    return json.loads(json.dumps({"run": spec.as_dict(), "case": case, "petsc_options": petsc or {},
                                  "code": code}))


def run_key(inputs: dict) -> str:
    """The SHA-256 of the canonical JSON of ``inputs`` (:func:`run_inputs`)."""
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def record_digest(record: dict) -> str:
    """The SHA-256 of the canonical JSON of a run record without its ``digest`` field, as it reads
    back from its file (NaN and infinities as null).  Any edit of the record changes it."""
    from advmcf.validation.results import json_clean

    body = json_clean({k: v for k, v in record.items() if k != "digest"})
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _flatten(obj, prefix=""):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: obj}


def describe_change(old: dict | None, new: dict, limit: int = 3) -> str:
    """One line naming the inputs that differ between two :func:`run_inputs`, e.g.
    ``case.table.initial.radius 1.0 -> 0.7``; source hashes are named, not printed."""
    if not isinstance(old, dict):
        return "the record has no inputs (written by an older advmcf)"
    a, b = _flatten(old), _flatten(new)
    changed = [k for k in sorted(set(a) | set(b)) if a.get(k, "<none>") != b.get(k, "<none>")]
    if not changed:
        return "no input changed"

    def show(k):
        if k.endswith("sha256"):
            return f"{k} changed"
        return f"{k} {a.get(k, '<none>')!r} -> {b.get(k, '<none>')!r}"

    more = f" and {len(changed) - limit} more" if len(changed) > limit else ""
    return ", ".join(show(k) for k in changed[:limit]) + more
