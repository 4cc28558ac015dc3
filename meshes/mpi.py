"""MPI habits shared by every entry point.

- :func:`install_abort_hook`: an uncaught exception on any rank prints its
  traceback and aborts the whole job, so that one failing rank never leaves
  the others waiting in a collective.
- :func:`agreed`: argument checks whose outcome every rank shares: a check
  that fails on one rank, or arguments that differ between ranks (a cheap
  digest compared), raise one line on every rank instead of leaving the
  other ranks in a collective that never completes.  Python API users who
  run under mpirun should also call :func:`install_abort_hook` once (the
  command line does): any other uncaught exception then ends every rank.
- :func:`on_root`: work that only rank 0 does (gmsh, a gathered band, a file
  read) runs there; its result (or only the fact that it succeeded) and its
  error are broadcast, and every rank returns or raises together.  The other
  ranks wait asleep, not spinning in MPI's progress loop: a spinning rank
  holds a core that rank 0 and other jobs could use (2 ranks on a shared
  2-core machine, one nonlocal step at 131k vertices: 8.8-10.1 s with rank 1
  spinning, 5.6-5.7 s with it asleep).
"""

from __future__ import annotations

import hashlib
import sys
import time
import traceback

import numpy as np

from mpi4py import MPI

__all__ = ["install_abort_hook", "on_root", "agreed", "digest", "RankDivergenceError"]

_POLL = 1e-3  # seconds between two looks of a waiting rank


def install_abort_hook(comm: MPI.Comm = MPI.COMM_WORLD) -> None:
    """Make an uncaught exception on any rank abort every rank of ``comm``.

    The traceback is printed (with the rank) before ``comm.Abort(1)``.
    On a single rank the default hook is kept: there is nobody to wait.
    """
    if comm.size == 1:
        return

    def _hook(exc_type, exc, tb):
        sys.stderr.write(f"[rank {comm.rank}] uncaught exception, aborting all ranks\n")
        traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
        sys.stderr.flush()
        comm.Abort(1)

    sys.excepthook = _hook


class RankDivergenceError(ValueError):
    """Arguments that differ between the ranks of a collective call; one line naming what differs."""


def digest(value) -> str:
    """A short SHA-256 of ``value`` as the ranks compare it: numbers, strings, None, lists, tuples, dicts and
    numpy arrays by content (arrays by their bytes, shape and type); anything else by its type name only
    (a callable's repr names its address, which differs between processes)."""
    h = hashlib.sha256()

    def feed(v):
        if isinstance(v, np.ndarray):
            h.update(f"array{v.shape}{v.dtype}".encode() + np.ascontiguousarray(v).tobytes())
        elif isinstance(v, (list, tuple)):
            h.update(f"{type(v).__name__}[{len(v)}]".encode())
            for item in v:
                feed(item)
        elif isinstance(v, dict):
            h.update(f"dict[{len(v)}]".encode())
            for k in sorted(v, key=repr):
                feed(k)
                feed(v[k])
        elif v is None or isinstance(v, (bool, int, float, complex, str, bytes, np.generic)):
            h.update(repr(v).encode())
        else:
            h.update(type(v).__name__.encode())
        h.update(b"\0")

    feed(value)
    return h.hexdigest()[:16]


def agreed(comm: MPI.Comm, what: str, same, fn=None, *args, **kwargs):
    """``fn(*args, **kwargs)`` (an argument check; None: nothing to run), its outcome agreed by every rank
    of ``comm``: if ``fn`` raised on any rank, every rank raises the first such error (same type and
    message); else ``same`` (the arguments that must be equal everywhere) is compared by :func:`digest`
    (one allgather of a few bytes), and if it differs between ranks every rank raises
    :class:`RankDivergenceError` naming ``what`` and the first rank that differs.  Returns ``fn``'s result."""
    try:
        result, error = (fn(*args, **kwargs) if fn is not None else None), None
    except Exception as err:  # shared below, then raised on every rank
        result, error = None, err
    outcomes = comm.allgather((digest(same), None if error is None else (type(error), str(error))))
    failed = next((e for _, e in outcomes if e is not None), None)
    if failed is not None:
        if error is not None and (type(error), str(error)) == failed:
            raise error
        kind, message = failed
        try:
            raised = kind(message)
        except Exception:  # an error type that needs other arguments
            raised = ValueError(message)
        raise raised
    other = next((r for r, (d, _) in enumerate(outcomes) if d != outcomes[0][0]), None)
    if other is not None:
        raise RankDivergenceError(f"{what}: rank {other} was given other values than rank 0 (every rank of a "
                                  "collective call must get the same arguments)")
    return result


def on_root(comm: MPI.Comm, fn, *args, broadcast: bool = True, **kwargs):
    """Call ``fn(*args, **kwargs)`` on rank 0 and share the outcome.

    Returns the (pickled and broadcast) result on every rank; with
    ``broadcast=False`` the result stays on rank 0 (large arrays, objects that
    do not pickle) and the other ranks get None.  Either way, if ``fn`` raised
    on rank 0, every rank raises an exception of the same type with the same
    message, so that no rank is left in a collective.
    """
    outcome = None
    if comm.rank == 0:
        try:
            outcome = (True, fn(*args, **kwargs))
        except Exception as err:  # broadcast, then re-raise everywhere
            outcome = (False, err)
    _wait_for_root(comm)
    ok, value = comm.bcast(outcome if comm.rank != 0 or broadcast or not outcome[0] else (True, None), root=0)
    if not ok:
        raise value
    return outcome[1] if comm.rank == 0 else value


def _wait_for_root(comm: MPI.Comm) -> None:
    """Return on every rank once rank 0 got here; the other ranks sleep between looks (``_POLL``)."""
    if comm.size == 1:
        return
    done = comm.Ibarrier()
    if comm.rank == 0:
        done.Wait()
        return
    while not done.Test():
        time.sleep(_POLL)
