r"""The DOLFINx stack, loaded in the one order that works, from any install.

Every advmcf package imports :mod:`advmcf.meshes` first, and :mod:`advmcf.meshes` calls
:func:`prepare` on import, so this module is the one place where the
libraries below DOLFINx are put in order.  Three things decide whether a
process can use DOLFINx, h5py and PETSc together:

1. **MPI first.**  ``mpi4py.MPI`` loads ``libmpi``; DOLFINx and PETSc,
   imported before it, may not find it (the PyPI wheel, and conda-like
   installs whose ``libmpi`` is not on the loader path).
2. **The PyPI wheel's guard.**  ``dolfinx_solver`` (only the wheel
   ``dolfinx-solver-real`` ships it) checks that no second PETSc is
   installed; it is imported when present and skipped when not (DOLFINx from
   conda-forge, Spack, Docker or a source build).
3. **Two HDF5 libraries.**  h5py (needed by meshio's XDMF reader and writer)
   may bundle a different HDF5 than PETSc/DOLFINx, and PETSc puts its HDF5
   in the process's global symbol scope.  h5py loaded afterwards binds to
   the wrong library and fails ("Not a datatype").  :func:`prepare` loads
   h5py with ``RTLD_DEEPBIND`` (Linux), so that its extension modules bind
   to their own HDF5 whatever was loaded before; where that is not enough,
   the import fails with one line naming the order that works.

PETSc options (:func:`split_petsc_args`, :func:`init_petsc`,
:func:`solver_options`): the ``advmcf`` command passes every option that
looks like PETSc's (``-ksp_monitor``, ``-level_set_ksp_rtol 1e-8``,
``-log_view``) to PETSc's initialization, ``PETSC_OPTIONS`` is read by PETSc
itself, and every solver of advmcf has a fixed options prefix
(``level_set_``, ...) under which its defaults apply only where the options
database has no value: the command line and ``PETSC_OPTIONS`` win.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys

__all__ = ["prepare", "split_petsc_args", "init_petsc", "solver_options", "options_database",
           "options_restored", "pop_option_prefixes", "HDF5_ORDER_ERROR"]

#: The one-line error when h5py cannot be loaded beside PETSc's HDF5.
HDF5_ORDER_ERROR = ("h5py cannot be loaded after PETSc/DOLFINx loaded another HDF5 library on this system: "
                    "import advmcf.meshes (or h5py) before dolfinx, petsc4py and dolfinx.fem.petsc")

_prepared = False


def _import_h5py():
    """Import h5py bound to its own HDF5 (``RTLD_DEEPBIND`` where the platform has it)."""
    if "h5py" in sys.modules:
        return
    deepbind = getattr(os, "RTLD_DEEPBIND", 0)
    flags = sys.getdlopenflags()
    if deepbind:
        sys.setdlopenflags(os.RTLD_NOW | os.RTLD_LOCAL | deepbind)
    try:
        importlib.import_module("h5py")
    except ValueError as err:  # h5py's extension bound to the other HDF5: "Not a datatype"
        for name in [m for m in sys.modules if m == "h5py" or m.startswith("h5py.")]:
            del sys.modules[name]
        raise ImportError(f"{HDF5_ORDER_ERROR} ({err})") from None
    finally:
        sys.setdlopenflags(flags)


def prepare() -> None:
    """Load h5py, ``mpi4py.MPI`` and (if installed) ``dolfinx_solver``, in that order; idempotent.

    Called when :mod:`advmcf.meshes` is imported, so importing any advmcf package
    prepares the stack; DOLFINx itself is imported afterwards by whoever
    needs it, in any order.
    """
    global _prepared
    if _prepared:
        return
    _import_h5py()
    importlib.import_module("mpi4py.MPI")
    try:
        importlib.import_module("dolfinx_solver")
    except ModuleNotFoundError as err:
        if err.name != "dolfinx_solver":
            raise
    _prepared = True


_PETSC_NAME = re.compile(r"-[A-Za-z][A-Za-z0-9_]+")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def split_petsc_args(argv, own=("-h", "-o", "-v", "-vv", "-vvv", "-q", "-qq")) -> tuple[list, list]:
    """Split a command line into the program's arguments and PETSc options.

    A PETSc option is a token of one dash and a name of at least two
    characters (``-ksp_monitor``, ``-level_set_pc_type``) that is not one of
    ``own``; the next token is its value unless it starts with a dash (a
    negative number is a value).  So PETSc options go after the program's
    positional arguments, as PETSc itself reads them::

        advmcf run quick --out r -level_set_ksp_rtol 1e-8 -log_view

    Returns ``(program_args, petsc_args)``.
    """
    argv = list(argv)
    mine, petsc = [], []
    i = 0
    while i < len(argv):
        tok = argv[i]
        if _PETSC_NAME.fullmatch(tok) and tok not in own:
            petsc.append(tok)
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            if nxt is not None and (not nxt.startswith("-") or _NUMBER.fullmatch(nxt)):
                petsc.append(nxt)
                i += 1
        else:
            mine.append(tok)
        i += 1
    return mine, petsc


def init_petsc(args=()) -> None:
    """Initialize PETSc with the options ``args`` (a list of tokens, as on a command line).

    Called before anything imports ``petsc4py.PETSc``, this is PETSc's own
    initialization: ``PETSC_OPTIONS`` is read, and ``-log_view``,
    ``-options_file`` and ``-help`` work (under mpirun too).  If PETSc was
    already initialized (DOLFINx imported earlier in this process), the
    options are inserted into the options database instead, which the
    solvers read when they are set up; ``-log_view`` then starts logging
    now and prints the log at exit.
    """
    args = [str(a) for a in args]
    if "petsc4py.PETSc" not in sys.modules:
        import petsc4py

        petsc4py.init([sys.argv[0] if sys.argv and sys.argv[0] else "advmcf", *args])
        return
    if not args:
        return
    from petsc4py import PETSc

    PETSc.Options().insertString(" ".join(args))
    if any(a.startswith("-log_view") for a in args):
        import atexit

        PETSc.Log.begin()
        atexit.register(PETSc.Log.view)


def solver_options(prefix: str, defaults: dict, options: dict | None = None) -> dict:
    """The options a solver with options ``prefix`` sets before ``setFromOptions``.

    ``defaults`` apply only where PETSc's options database has no value under
    ``prefix`` (so ``-level_set_ksp_rtol 1e-8`` on the command line, in
    ``PETSC_OPTIONS`` or in a suite's ``petsc_options`` wins over them);
    ``options`` (given explicitly from Python) always apply.  Pass the result
    as ``petsc_options`` to DOLFINx's ``LinearProblem`` (which deletes what it
    set after ``setFromOptions``, so the database keeps only the user's).
    """
    from petsc4py import PETSc

    db = PETSc.Options()
    out = {k: v for k, v in defaults.items() if not db.hasName(prefix + k)}
    out.update(options or {})
    return out


@contextlib.contextmanager
def options_database(options: dict):
    """Put ``options`` (name without dash -> value, ``""`` for a flag) into PETSc's options database
    for the duration of the ``with`` block; names the database already has (from the command line or
    ``PETSC_OPTIONS``) are left as they are.  Yields the names it added (removed again on exit)."""
    from petsc4py import PETSc

    db = PETSc.Options()
    added = [k for k in options if not db.hasName(k)]
    for k in added:
        db[k] = options[k] if options[k] != "" else None
    try:
        yield added
    finally:
        for k in added:
            db.delValue(k)


_PROBE = "advmcf_prefix_probe"


def pop_option_prefixes() -> int:
    """Pop every prefix left on PETSc's options prefix stack; returns how many.

    A solver set-up that raises between ``prefixPush`` and ``prefixPop``
    (DOLFINx's ``LinearProblem`` on an invalid option) leaves its prefix
    pushed, and every option set afterwards lands under it
    (``level_set_thresholding_ksp_rtol``).  petsc4py cannot read the stack,
    so a probe option is set (it lands under the pushed prefixes) and the
    stack popped until it lands bare."""
    from petsc4py import PETSc

    db = PETSc.Options()
    popped = 0
    while True:
        db.setValue(_PROBE, "1")
        landed = [k for k in db.getAll() if k.endswith(_PROBE)]
        for k in landed:
            db.delValue(k)
        if _PROBE in landed or popped >= 64:  # PETSc's stack holds at most 25
            return popped
        db.prefixPop()
        popped += 1


@contextlib.contextmanager
def options_restored():
    """PETSc's options database on leaving the ``with`` block as it was on entering it, whatever
    happened inside: prefixes left pushed are popped (:func:`pop_option_prefixes`), options added are
    removed, options changed or removed are put back.  (Whether an option was used is PETSc's own
    record and stays.)"""
    from petsc4py import PETSc

    db = PETSc.Options()
    before = db.getAll()
    try:
        yield
    finally:
        pop_option_prefixes()
        after = db.getAll()
        for k in after:
            if k not in before or after[k] != before[k]:
                db.delValue(k)
        for k, v in before.items():
            if k not in after or after[k] != v:
                db.setValue(k, v)
