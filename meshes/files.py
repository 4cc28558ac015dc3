r"""Reading input files with a bound: only regular files, never more than a stated size.

A file name that points to a device (``/dev/zero``), a pipe or a socket can
be read forever, and a multi-GB file given by mistake is read until memory
runs out.  Every file advmcf reads whole (suite TOML files, run records,
``suite.json``, ``results.json``, PETSc's ``-options_file``, mesh files) is
read through :func:`read_bytes` or checked by :func:`check_regular_file`
first, with the size bound of its kind (:data:`LIMITS`); a file over it is one
line naming the file, its size and the bound.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["LIMITS", "check_regular_file", "read_bytes", "read_text"]

#: The largest file of each kind advmcf reads (bytes).  Mesh files are bounded by the memory their
#: mesh would need instead (:func:`advmcf.meshes.memory.mesh_file_limit`).
LIMITS = {"suite": 2**20, "options": 2**20, "record": 64 * 2**20, "results": 512 * 2**20}


def _size(n: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


def check_regular_file(path, limit: int, what: str = "file") -> int:
    """The size of ``path``; OSError (ENOENT, a missing file) or ValueError (one line: ``{what} {path}:
    ...``) unless it is a regular file (a link to one will do) of at most ``limit`` bytes."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a device, a pipe or a socket, not a regular file"
        raise ValueError(f"{what} {path}: is {kind}")
    if st.st_size > limit:
        raise ValueError(f"{what} {path}: {_size(st.st_size)}, more than the {_size(limit)} advmcf reads of such a file")
    return st.st_size


def read_bytes(path, limit: int, what: str = "file") -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes (:func:`check_regular_file`;
    at most ``limit`` bytes are read, so a file that grows meanwhile is refused too)."""
    check_regular_file(path, limit, what)
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{what} {path}: more than the {_size(limit)} advmcf reads of such a file")
    return data


def read_text(path, limit: int, what: str = "file") -> str:
    """:func:`read_bytes` decoded as UTF-8 (UnicodeDecodeError if it is not)."""
    return read_bytes(Path(path), limit, what).decode("utf-8")
