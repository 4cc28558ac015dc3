r"""Argument checks shared by every public function of advmcf: one style, one-line errors.

Each check returns the value in the form the caller needs (a float, an int,
a coordinate array) or raises :class:`ValueError` whose message starts with
the argument's name and says what is expected, e.g.
``tau must be a positive number, got -0.1``.  Numbers may be Python or numpy
scalars (``np.float32(0.1)``, ``np.int64(3)``); booleans, strings and arrays
are not numbers.  The checks are pure (no MPI): the arguments are the same on
every rank, so every rank raises together.
"""

from __future__ import annotations

import errno
import math
import numbers
import os
import re
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["is_real", "real", "positive", "integer", "choice", "point", "density_callable", "p1_function",
           "writable_file", "writable_folder", "replaceable_file", "plain_name"]


def is_real(value) -> bool:
    """Whether ``value`` is a real number (Python or numpy; not a bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def real(name: str, value) -> float:
    """``value`` as a float; ValueError unless it is a finite real number."""
    if not is_real(value) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def positive(name: str, value) -> float:
    """``value`` as a float; ValueError unless it is a finite number > 0."""
    if not is_real(value) or not math.isfinite(float(value)) or not float(value) > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def integer(name: str, value, minimum: int | None = None) -> int:
    """``value`` as an int; ValueError unless it is an integer (Python or numpy) >= ``minimum``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer{'' if minimum is None else f' >= {minimum}'}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def choice(name: str, value, choices):
    """``value`` itself; ValueError unless it is one of ``choices`` (``True`` is not ``1``)."""
    try:
        ok = not isinstance(value, (bool, np.bool_)) and value in choices
    except (TypeError, ValueError):  # an unhashable or incomparable value (an array)
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def point(name: str, value, dims=(2, 3)) -> np.ndarray:
    """``value`` as a float array of shape ``(d,)``, d in ``dims``; ValueError on anything else
    (a nested list, a string, a non-finite coordinate, the wrong number of coordinates)."""
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        a = None
    want = " or ".join(map(str, dims))
    if a is None or a.ndim != 1 or isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a list of {want} coordinates, got {value!r}")
    if a.size not in dims:
        raise ValueError(f"{name} must have {want} coordinates, got {a.size}: {value!r}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must have finite coordinates, got {value!r}")
    return a


def density_callable(name: str, rho):
    """``rho`` itself; ValueError unless it is callable (a density ``rho(x)``, x of shape (3, n))."""
    if not callable(rho):
        raise ValueError(f"{name} must be a callable density rho(x), x of shape (3, n) -> (n,) values, "
                         f"got {type(rho).__name__} {rho!r}")
    return rho


def p1_function(name: str, f):
    """``f`` itself; ValueError unless it is a scalar P1 ``dolfinx.fem.Function`` (a level set)."""
    from dolfinx import fem

    if not isinstance(f, fem.Function):
        raise ValueError(f"{name} must be a scalar P1 dolfinx.fem.Function (a level set {{{name} < 0}}), "
                         f"got {type(f).__name__}; make one with advmcf.meshes.level_set(mesh, shape)")
    V = f.function_space
    if V.element.basix_element.degree != 1 or V.value_size != 1:
        raise ValueError(f"{name} must be a scalar P1 function, got degree {V.element.basix_element.degree} "
                         f"with {V.value_size} components; interpolate it into advmcf.meshes.p1_space(mesh)")
    return f


def plain_name(name: str, value, limit: int = 100) -> str:
    """``value`` itself; ValueError unless it can name a file or folder inside another one: letters,
    digits, ``_``, ``-`` and ``.``, not starting with ``.`` or ``-``, at most ``limit`` characters (no
    path separator, no ``..``, nothing absolute)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", value) or len(value) > limit:
        raise ValueError(f"{name}: {value!r} must be a plain name of letters, digits, '_', '-' and '.' (not "
                         f"starting with '.' or '-', at most {limit} characters): it names files and folders")
    return value


def replaceable_file(path) -> Path:
    """``path`` as a Path; OSError (EEXIST, naming the path) if something is there that writing a file
    would destroy without being a file: a symbolic link (it would be replaced, not followed), a
    device, a pipe, a socket or a folder."""
    path = Path(path)
    if path.is_symlink():
        raise OSError(errno.EEXIST, "is a symbolic link: advmcf does not replace links (give the file it points "
                                    "to, or another name)", str(path))
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file (a device, a pipe or a socket)"
        raise OSError(errno.EEXIST, f"is {what}: choose a file name", str(path))
    return path


def writable_folder(name: str, path) -> Path:
    """``path`` as a Path; ValueError unless it is a folder (made if missing) where a file can be made
    (an empty name is refused: it would be the working folder)."""
    if str(path) == "":
        raise ValueError(f"{name}: an empty folder name (it would be the working folder): give a folder")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} {path}: exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".advmcf-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        what = "cannot create the folder" if not path.is_dir() else "cannot write in the folder"
        raise ValueError(f"{name} {path}: {what} ({err.strerror or err})") from None
    return path


def writable_file(name: str, path) -> Path:
    """``path`` as a Path; ValueError unless a file can be written there (its folder exists and takes
    files; ``path`` is not a folder, a symbolic link, a device, a pipe or a socket:
    :func:`replaceable_file`)."""
    path = Path(path)
    if str(path) in ("", "."):
        raise ValueError(f"{name}: an empty file name")
    if path.is_dir() and not path.is_symlink():
        raise ValueError(f"{name} {path}: is a folder, not a file")
    try:
        replaceable_file(path)
    except OSError as err:
        raise ValueError(f"{name} {path}: {err.strerror}") from None
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{name} {path}: cannot write (no folder {parent})")
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".advmcf-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ValueError(f"{name} {path}: cannot write ({err.strerror or err})") from None
    return path
