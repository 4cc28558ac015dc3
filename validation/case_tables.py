r"""A case's TOML table, read and checked: :func:`make_case` builds a :class:`advmcf.validation.cases.Case`.

The keys (see :mod:`advmcf.validation.cases` for what they mean): ``name``, ``dim``
(2 or 3), ``T``, exactly one of ``domain`` (a box ``[lower, upper]``, with an
optional ``mesh_type``: one of :data:`advmcf.meshes.generate.MESH_TYPES`,
``crossed`` by default) and ``mesh`` (a file, relative to the suite's
folder), ``density`` or both
``rho0`` and ``rho1`` (:func:`advmcf.validation.class_densities.make_density`),
``initial`` (a shape of :mod:`advmcf.meshes.shapes` with its keyword arguments, or
``{ shape = "bayes" }``) and ``reference`` (one of
:data:`advmcf.validation.cases.REFERENCES`).  Keys that do not depend on each other
are all checked and every problem is reported, one line each.
"""

from __future__ import annotations

import inspect
import math
from pathlib import Path

from advmcf.meshes import shapes
from advmcf.meshes.generate import MESH_TYPES
from advmcf.validation.cases import REFERENCES, SHAPES, Case
from advmcf.validation.class_densities import make_density

__all__ = ["make_case"]


def _check_initial(initial, dim):
    if not isinstance(initial, dict) or "shape" not in initial:
        raise ValueError(f"must be a table with a 'shape' (one of {', '.join(SHAPES + ('bayes',))}), got {initial!r}")
    name = initial["shape"]
    if name == "bayes":
        if len(initial) > 1:
            raise ValueError(f"shape 'bayes' takes no parameters, got {sorted(set(initial) - {'shape'})}")
        return
    if not isinstance(name, str) or name not in SHAPES:
        raise ValueError(f"shape = {name!r}: unknown (known: {', '.join(SHAPES + ('bayes',))})")
    params = inspect.signature(getattr(shapes, name)).parameters
    given = set(initial) - {"shape"}
    unknown = given - set(params)
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r} for shape {name!r} (allowed: {', '.join(params)})")
    missing = {p for p, v in params.items() if v.default is inspect.Parameter.empty} - given
    if missing:
        raise ValueError(f"shape {name!r} needs key {sorted(missing)[0]!r}")
    for key in ("centre", "lower", "upper", "normal", "left_centre", "right_centre"):
        value = initial.get(key)
        if key in initial and (not isinstance(value, list) or len(value) != dim
                               or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in value)):
            raise ValueError(f"{key} = {value!r}: must be a list of {dim} numbers (dim = {dim})")
    try:
        getattr(shapes, name)(**{k: v for k, v in initial.items() if k != "shape"})
    except (ValueError, TypeError) as err:
        raise ValueError(str(err)) from None


_CASE_KEYS = ("name", "dim", "T", "domain", "mesh", "mesh_type", "density", "rho0", "rho1", "initial", "reference")


def _name(name):
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"name = {name!r}: must be a string of letters, digits, '_' and '-'")
    return name


def _dim(dim):
    if isinstance(dim, bool) or not isinstance(dim, int) or dim not in (2, 3):  # 2.0 is not a dimension
        raise ValueError(f"dim = {dim!r}: must be 2 or 3")
    return dim


def _final_time(T):
    if isinstance(T, bool) or not isinstance(T, (int, float)):
        raise ValueError(f"T = {T!r}: must be a number")
    if not T > 0 or not math.isfinite(T):
        raise ValueError(f"T = {T!r}: the final time must be positive")
    return float(T)


def _domain(d, dim):
    ok = (isinstance(d, list) and len(d) == 2 and all(isinstance(v, list) and len(v) == dim for v in d)
          and all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for v in d for c in v))
    if not ok:
        raise ValueError(f"domain = {d!r}: must be [lower, upper], two lists of {dim} numbers")
    if any(b <= a for a, b in zip(*d)):
        raise ValueError(f"domain = {d!r}: need lower < upper in every coordinate")
    return tuple(float(v) for v in d[0]), tuple(float(v) for v in d[1])


def _mesh_file(name, base_dir):
    if not isinstance(name, str):
        raise ValueError(f"mesh = {name!r}: must be a file name")
    path = Path(name)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.exists():
        raise ValueError(f"mesh = {name!r}: no such file ({path})")
    if not path.is_file():
        raise ValueError(f"mesh = {name!r}: {path} is a folder, a device, a pipe or a socket, not a mesh file")
    return path


def _density(spec, dim):
    try:
        return make_density(dim, spec.get("density"), spec.get("rho0"), spec.get("rho1"))
    except ValueError as err:
        raise ValueError(f"density: {err}") from None


def _initial(initial, dim, density):
    try:
        _check_initial(initial, dim)
    except ValueError as err:
        raise ValueError(f"initial: {err}") from None
    if initial["shape"] == "bayes" and density is not None and not density.bayes:
        raise ValueError("initial: shape 'bayes' needs two classes (rho0 and rho1, or kind 'two_gaussians'); "
                         "with rho0 = rho1 = rho/2 the Bayes classifier is empty")
    return dict(initial)


def make_case(spec: dict, base_dir: Path | None = None) -> Case:
    """Build and check a case from its TOML table.

    Raises ValueError with one line per problem ("key: reason"); keys that do
    not depend on each other are all checked.  Relative mesh paths are taken
    relative to ``base_dir`` (the suite file's folder).
    """
    if not isinstance(spec, dict):
        raise ValueError(f"must be a table, got {spec!r}")
    problems = [f"{k}: unknown key (allowed: {', '.join(sorted(_CASE_KEYS))})" for k in sorted(set(spec) - set(_CASE_KEYS))]
    problems += [f"{k}: missing" for k in ("name", "dim", "T", "initial") if k not in spec]
    if ("domain" in spec) == ("mesh" in spec):
        problems.append("domain: give exactly one of 'domain' (a box [lower, upper]) or 'mesh' (a file)")

    def attempt(fn, *args):
        try:
            return fn(*args)
        except ValueError as err:
            problems.extend(str(err).splitlines())
            return None

    name = attempt(_name, spec["name"]) if "name" in spec else None
    dim = attempt(_dim, spec["dim"]) if "dim" in spec else None
    T = attempt(_final_time, spec["T"]) if "T" in spec else None
    mesh_file = attempt(_mesh_file, spec["mesh"], base_dir) if "mesh" in spec and "domain" not in spec else None
    mesh_type = spec.get("mesh_type", "crossed")
    if mesh_type not in MESH_TYPES:
        problems.append(f"mesh_type = {mesh_type!r}: unknown (known: {', '.join(MESH_TYPES)})")
    elif "mesh_type" in spec and "domain" not in spec:
        problems.append("mesh_type: only with 'domain' (a mesh file is read as it is)")
    ref = spec.get("reference", "auto")
    if not isinstance(ref, str) or ref not in REFERENCES:
        problems.append(f"reference = {ref!r}: unknown (known: {', '.join(REFERENCES)})")
    if dim is None:  # the rest is read in dim dimensions
        raise ValueError("\n".join(problems or ["dim: missing"]))
    domain = attempt(_domain, spec["domain"], dim) if "domain" in spec and "mesh" not in spec else None
    density = attempt(_density, spec, dim)
    initial = attempt(_initial, spec["initial"], dim, density) if "initial" in spec else None
    if problems:
        raise ValueError("\n".join(problems))
    case = Case(name, dim, T, density, initial, ref, domain, mesh_file, dict(spec), mesh_type)
    if mesh_file is not None:
        from advmcf.meshes.io import MeshFileError

        try:
            case.plan(None)  # reads the file: it parses, holds simplices, and has dimension dim
        except MeshFileError as err:
            raise ValueError(f"mesh = {spec['mesh']!r}: {err}") from None
    applicable = case.applicable_references()
    if ref == "auto":
        case.reference_kind = next(k for k in applicable if k != "disc_recursion")
    elif ref not in applicable:
        raise ValueError(f"reference = {ref!r}: does not apply to this case (applicable: {', '.join(applicable)})")
    return case
