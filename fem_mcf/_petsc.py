r"""PETSc solver options and checked solves, shared by the fem_mcf schemes.

Every scheme has one stable options prefix (:data:`PREFIXES`): ``level_set_``,
``thresholding_``, ``allen_cahn_``.  (The parametric scheme solves its small
systems with scipy and has no PETSc solver.)  A KSP's options come from three
places, the later winning (:func:`advmcf.meshes.stack.solver_options`):

1. the scheme's defaults (:func:`default_petsc_options`: CG + GAMG to a
   relative residual of 1e-10);
2. the PETSc options database under the prefix: ``PETSC_OPTIONS``,
   command-line options such as ``-level_set_ksp_monitor`` or
   ``-thresholding_ksp_rtol 1e-8``, a suite's ``[petsc_options]``;
3. the ``petsc_options`` dict given to the solver function from Python.

Options of 1 and 3 are set for the set-up of the KSP and removed again;
options of 2 stay in the database.  A set-up that fails raises
:class:`PetscOptionError` with PETSc's own message and leaves the database as
it found it (no prefix left pushed, nothing left set).
:func:`check_petsc_options` checks the database before anything runs: an
option for a solver under no advmcf prefix, and option values PETSc refuses
(each prefix's solver is set up on a small matrix), are one line each.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile

from petsc4py import PETSc

from advmcf.meshes.stack import options_restored, pop_option_prefixes
from advmcf.meshes.stack import solver_options as stack_solver_options

__all__ = ["PREFIXES", "default_petsc_options", "solver_options", "create_ksp", "configure_ksp", "clear_options", "check_converged",
           "PetscOptionError", "petsc_errors", "check_petsc_options", "unused_petsc_options"]

#: The options prefix of each scheme's linear solver.
PREFIXES = {"level_set": "level_set_", "thresholding": "thresholding_", "allen_cahn": "allen_cahn_"}

_REASONS = {value: name for name, value in vars(PETSc.KSP.ConvergedReason).items()
            if isinstance(value, int) and not name.startswith("_")}


def default_petsc_options() -> dict:
    """CG + GAMG to a relative residual of 1e-10, GAMG interpolation reused when the matrix changes."""
    return {
        "ksp_type": "cg",
        "ksp_rtol": 1.0e-10,
        "ksp_atol": 1.0e-50,
        "ksp_max_it": 1000,
        "pc_type": "gamg",
        "pc_gamg_reuse_interpolation": True,
        "ksp_initial_guess_nonzero": True,
    }


def solver_options(prefix: str, petsc_options: dict | None) -> dict:
    """The options to set under ``prefix``: :func:`default_petsc_options` where the database has
    none, then ``petsc_options`` (:func:`advmcf.meshes.stack.solver_options`)."""
    return stack_solver_options(prefix, default_petsc_options(), petsc_options)


class PetscOptionError(ValueError):
    """A solver set-up that PETSc refused: one line naming the solver's options prefix and PETSc's message."""


def _petsc_message(text: str) -> str:
    """The message of PETSc's traceback error report (``[0]PETSC ERROR: ...`` lines), in one line:
    its first line's first sentence and its last specific line, without the report's boilerplate."""
    lines = [ln.split("PETSC ERROR:", 1)[1].strip() for ln in text.splitlines() if "PETSC ERROR:" in ln]
    boiler = re.compile(r"^(-+ Error Message|It appears a new error|-  |PetscCall|- +The second|Above is the|ALL ERRORS|"
                        r"WARNING! There are unused|Option left|See https|PETSc Release|Configure options|#\d+ |"
                        r".* on .* by .*\d{4}$|.* with \d+ MPI process)")
    lines = [ln for ln in lines if ln and not boiler.match(ln)]
    if not lines:
        return ""
    first, last = lines[0].split(". ")[0].rstrip("."), lines[-1]
    return last if first == last else f"{first}: {last}"


@contextlib.contextmanager
def petsc_errors(what: str, comm=None):
    """Run a solver set-up with PETSc's traceback error handler, its report captured from stderr: a
    ``PETSc.Error`` becomes :class:`PetscOptionError` ``{what}: {PETSc's message}`` (not the bare
    ``error code 86``), and the options database is left as it was found
    (:func:`advmcf.meshes.stack.pop_option_prefixes`: no prefix left pushed).  With ``comm`` (the
    solver's communicator, an mpi4py one) the outcome is agreed: if the set-up failed on any rank,
    every rank raises with the same message (PETSc prints some reports on one rank only)."""
    sys.stderr.flush()
    saved = os.dup(2)
    report, text = tempfile.TemporaryFile(), io.StringIO()  # PETSc prints through sys.stderr or to fd 2
    PETSc.Sys.pushErrorHandler("traceback")
    os.dup2(report.fileno(), 2)
    message = None
    try:
        with contextlib.redirect_stderr(text):
            yield
    except PETSc.Error as err:
        sys.stderr.flush()
        report.seek(0)
        printed = report.read().decode(errors="replace") + "\n" + text.getvalue()
        message = _petsc_message(printed) or f"PETSc error code {err.ierr}"
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        report.close()
        PETSc.Sys.popErrorHandler()
    if comm is not None and comm.size > 1:
        failed = [m for m in comm.allgather(message) if m is not None]
        message = next((m for m in failed if not m.startswith("PETSc error code")), failed[0]) if failed else None
    if message is not None:
        pop_option_prefixes()
        raise PetscOptionError(f"{what}: {message}")


def create_ksp(A: PETSc.Mat, prefix: str, petsc_options: dict | None) -> PETSc.KSP:
    """A KSP on ``A`` with options prefix ``prefix``, configured by :func:`configure_ksp`."""
    ksp = PETSc.KSP().create(A.comm)
    ksp.setOperators(A)
    configure_ksp(ksp, prefix, petsc_options)
    return ksp


def configure_ksp(ksp: PETSc.KSP, prefix: str, petsc_options: dict | None, *owned: PETSc.Object) -> None:
    """Give ``ksp`` the options prefix ``prefix`` and set it up from :func:`solver_options` and the
    database (as :class:`dolfinx.fem.petsc.LinearProblem` configures its KSP).  If PETSc refuses the
    options: PetscOptionError with PETSc's message on every rank (:func:`petsc_errors`), after
    ``ksp`` and the objects ``owned`` are destroyed on every rank together.  (Left to Python's
    garbage collector, the objects of a failed set-up are destroyed at a different moment on each
    rank, and the next solver created on the communicator waits forever: measured on 2 ranks.)"""
    ksp.setOptionsPrefix(prefix)
    options = solver_options(prefix, petsc_options)
    database = PETSc.Options(prefix)
    try:
        with petsc_errors(f"PETSc options of the solver -{prefix}*", ksp.comm.tompi4py()):
            for key, value in options.items():
                database[key] = value
            ksp.setFromOptions()
    except PetscOptionError:
        for obj in (ksp, *owned):
            obj.destroy()
        raise
    finally:
        clear_options(prefix, options)


def clear_options(prefix: str, options: dict) -> None:
    """Remove ``options`` under ``prefix`` from the options database again (after popping any prefix a
    failed set-up left pushed).

    (``del Options()[key]`` after ``prefixPush`` does not remove anything in
    petsc4py 3.25, so :class:`~dolfinx.fem.petsc.LinearProblem` leaves its
    options behind; call this after creating one.)
    """
    pop_option_prefixes()
    database = PETSc.Options()
    for key in options:
        database.delValue(prefix + key)


#: A solver option (of a KSP, PC, matrix or nonlinear solver) rather than one of PETSc's global options.
_SOLVER_OPTION = re.compile(r"(^|_)(ksp|pc|mat|snes|mg|sub|fieldsplit)_")


def check_petsc_options() -> None:
    """Check PETSc's options database before any solve (rank-local; the database is the same on every
    rank): PetscOptionError, one line, for a solver option under none of the prefixes
    :data:`PREFIXES` that PETSc has not used (a mistyped prefix, ``-levelset_ksp_rtol``, reaches no
    solver), and for option values PETSc refuses under a prefix (each prefix's KSP is set up from the
    database on a small matrix, as the scheme would set it up; PETSc's own message).  The database is
    left as it was found."""
    db = PETSc.Options()
    names = db.getAll()
    known = tuple(PREFIXES.values())
    for name in sorted(names):
        if not name.startswith(known) and not db.used(name) and _SOLVER_OPTION.search(name):
            raise PetscOptionError(f"PETSc option -{name}: no solver of advmcf reads it (their options prefixes are "
                                   f"{', '.join(known)}): correct the prefix")
    for prefix in known:
        if any(name.startswith(prefix) for name in names):
            with options_restored():
                _set_up_small_solver(prefix)


def _set_up_small_solver(prefix: str) -> None:
    """A KSP with ``prefix`` set up (with the defaults and the database's options) on the 1D Laplacian of
    size 8, on this rank alone."""
    n = 8
    A = PETSc.Mat().createAIJ([n, n], nnz=3, comm=PETSc.COMM_SELF)
    for i in range(n):
        A.setValue(i, i, 2.0)
        if i > 0:
            A.setValue(i, i - 1, -1.0)
            A.setValue(i - 1, i, -1.0)
    A.assemble()
    ksp = create_ksp(A, prefix, None)
    try:
        with petsc_errors(f"PETSc options of the solver -{prefix}*"):
            ksp.setUp()
    finally:
        ksp.destroy()
        A.destroy()


#: PETSc's global options that PETSc reads when it finalizes (so they are unused until then).
_READ_AT_EXIT = ("options_left", "malloc_dump", "memory_view", "objects_dump")


def unused_petsc_options() -> list[str]:
    """The options in PETSc's database that nothing has read so far (``-name`` each): misspelt, or for a
    solver that did not run (PETSc's options read at exit, :data:`_READ_AT_EXIT`, left out)."""
    db = PETSc.Options()
    return [f"-{name}" for name in sorted(db.getAll()) if not db.used(name) and name not in _READ_AT_EXIT]


def check_converged(ksp: PETSc.KSP, scheme: str) -> int:
    """The iteration count of the last solve; raise RuntimeError naming the reason if it diverged."""
    reason = ksp.getConvergedReason()
    if reason < 0:
        raise RuntimeError(
            f"{scheme}: the linear solve diverged ({_REASONS.get(reason, reason)}, "
            f"{ksp.getIterationNumber()} iterations, residual {ksp.getResidualNorm():.3e}); "
            f"its PETSc options prefix is {ksp.getOptionsPrefix()!r}")
    return ksp.getIterationNumber()
