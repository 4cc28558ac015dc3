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
options of 2 stay in the database.
"""

from __future__ import annotations

from petsc4py import PETSc

from advmcf.meshes.stack import solver_options as stack_solver_options

__all__ = ["PREFIXES", "default_petsc_options", "solver_options", "create_ksp", "clear_options", "check_converged"]

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


def create_ksp(A: PETSc.Mat, prefix: str, petsc_options: dict | None) -> PETSc.KSP:
    """A KSP on ``A`` with options prefix ``prefix``, configured from :func:`solver_options` and the
    database (as :class:`dolfinx.fem.petsc.LinearProblem` configures its KSP)."""
    ksp = PETSc.KSP().create(A.comm)
    ksp.setOperators(A)
    ksp.setOptionsPrefix(prefix)
    options = solver_options(prefix, petsc_options)
    database = PETSc.Options(prefix)
    try:
        for key, value in options.items():
            database[key] = value
        ksp.setFromOptions()
    finally:
        clear_options(prefix, options)
    return ksp


def clear_options(prefix: str, options: dict) -> None:
    """Remove ``options`` under ``prefix`` from the options database again.

    (``del Options()[key]`` after ``prefixPush`` does not remove anything in
    petsc4py 3.25, so :class:`~dolfinx.fem.petsc.LinearProblem` leaves its
    options behind; call this after creating one.)
    """
    database = PETSc.Options()
    for key in options:
        database.delValue(prefix + key)


def check_converged(ksp: PETSc.KSP, scheme: str) -> int:
    """The iteration count of the last solve; raise RuntimeError naming the reason if it diverged."""
    reason = ksp.getConvergedReason()
    if reason < 0:
        raise RuntimeError(
            f"{scheme}: the linear solve diverged ({_REASONS.get(reason, reason)}, "
            f"{ksp.getIterationNumber()} iterations, residual {ksp.getResidualNorm():.3e}); "
            f"its PETSc options prefix is {ksp.getOptionsPrefix()!r}")
    return ksp.getIterationNumber()
