r"""Verbosity and progress of the ``advmcf`` command: :mod:`logging` levels, progress bars with ETA.

Only rank 0 speaks (and, while a suite runs on lanes of ranks, the first rank
of each lane: :func:`lane_voice`); other ranks log errors only.

Verbosity (``-q``/``-v`` on every subcommand):

==========  =============================================================
``-qq``      errors only
``-q``       warnings and errors (no progress)
(default)    advmcf's own progress: one line per run, progress bars
``-v``       also every module's information (band widenings, extinction)
``-vv``      debug messages
==========  =============================================================

Progress (:class:`SuiteProgress`): on a terminal, two `rich
<https://rich.readthedocs.io>`_ bars, the suite (runs done, ETA) and the
current run (steps done, ETA); log lines are printed above them.  Elsewhere
(a file, a pipe, under ``mpirun``, which pipes every rank's output) one line
at most every 10 s with the same counts and ETAs.  The suite's ETA weighs
each run by its expected work, steps × (1/h)^d, so fine levels count for
what they cost.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time

__all__ = ["configure_logging", "lane_voice", "SuiteProgress", "LOGGER"]

#: The logger of the command and the runner (progress lines); the library's module loggers
#: (``advmcf.<package>.<module>``) are its siblings and follow the root logger's level.
LOGGER = "advmcf.progress"

_console = None  # the rich console of the active progress display, if any
_verbosity = None  # the verbosity configure_logging was given (None: logging not configured by advmcf)
#: Libraries whose loggers stay at WARNING whatever the verbosity (matplotlib, its font subsetting and
#: image writer, numba's compiler).
_FOREIGN = ("matplotlib", "fontTools", "PIL", "numba", "h5py", "asyncio")


class _Handler(logging.Handler):
    """Writes to the active progress display (above its bars) or to stderr."""

    def emit(self, record):
        try:
            msg = self.format(record)
            if _console is not None:
                _console.print(msg, markup=False, highlight=False, soft_wrap=True)
            else:
                sys.stderr.write(msg + "\n")
                sys.stderr.flush()
        except Exception:  # logging must never raise
            self.handleError(record)


def configure_logging(verbosity: int = 0, rank: int = 0) -> None:
    """Set the levels of advmcf's loggers for ``verbosity`` (−2 … 2, see the module docstring).

    Replaces the handler a previous call installed (so it may be called once
    per command in one process).
    """
    global _verbosity
    _verbosity = verbosity
    root = logging.getLogger()
    for h in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(h)
    handler = _Handler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    # other libraries' messages are theirs to debug: -vv shows advmcf's, not matplotlib's font search
    for name in _FOREIGN:
        logging.getLogger(name).setLevel(logging.WARNING)
    if rank != 0:
        root.setLevel(logging.ERROR)
        logging.getLogger(LOGGER).setLevel(logging.ERROR)
        return
    v = max(-2, min(2, int(verbosity)))
    root.setLevel({-2: logging.ERROR, -1: logging.WARNING, 0: logging.WARNING, 1: logging.INFO,
                   2: logging.DEBUG}[v])
    logging.getLogger(LOGGER).setLevel({-2: logging.ERROR, -1: logging.WARNING, 0: logging.INFO,
                                        1: logging.INFO, 2: logging.DEBUG}[v])


@contextlib.contextmanager
def lane_voice(world_rank: int, lane_rank: int):
    """While the block runs, the first rank of a lane (suites on sub-communicators,
    :mod:`advmcf.validation.lanes`) speaks as rank 0 does: its runs' progress lines are shown."""
    if _verbosity is None or world_rank == 0 or lane_rank != 0:
        yield
        return
    verbosity = _verbosity
    configure_logging(verbosity, 0)
    try:
        yield
    finally:
        configure_logging(verbosity, world_rank)


def _fmt_eta(seconds):
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class SuiteProgress:
    """Progress of a suite on rank 0: runs (weighted by their expected work) and the steps of the current run.

    Args:
        comm: the suite's communicator (only rank 0 shows anything).
        works: the expected work of every run of the suite, in order.
        enabled: False for ``-q``.
        every: seconds between two progress lines when not on a terminal.
        stream: where the display goes (default stderr).
    """

    def __init__(self, comm, works, enabled=True, every=10.0, stream=None):
        self.on = comm.rank == 0 and enabled and logging.getLogger(LOGGER).isEnabledFor(logging.INFO)
        self.works = [float(w) for w in works]
        self.total = sum(self.works) or 1.0
        self.done_work, self.done_runs = 0.0, 0
        self.every = every
        self.t0 = time.perf_counter()
        self.run = None
        self._bars = None
        if not self.on:
            return
        stream = sys.stderr if stream is None else stream
        if getattr(stream, "isatty", lambda: False)():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
            from rich.table import Column

            global _console
            # fits 80 columns: a long run id is cut with an ellipsis (the log line above has it whole)
            self._bars = Progress(TextColumn("{task.description}", table_column=Column(
                                      max_width=34, no_wrap=True, overflow="ellipsis")),
                                  BarColumn(bar_width=14), TaskProgressColumn(),
                                  TextColumn("{task.fields[count]}"), TextColumn("ETA"), TimeRemainingColumn(),
                                  console=Console(file=stream), transient=False)
            self._bars.start()
            _console = self._bars.console
            self._suite = self._bars.add_task("suite", total=self.total, count=f"0/{len(self.works)} runs")
            self._run = self._bars.add_task("run", total=1, count="", visible=False)

    def start_run(self, index: int, label: str, steps: int) -> None:
        """Run ``index`` (0-based) starts; it is expected to take ``steps`` steps in all.  ``label``
        names it in the progress lines (the runner's ``[i/n] run id``)."""
        self.run = {"index": index, "label": label, "steps": max(1, int(steps)), "done": 0,
                    "t0": time.perf_counter(), "last": time.perf_counter()}
        if self._bars is not None:
            self._bars.update(self._run, description=label, total=self.run["steps"], completed=0,
                              count=f"0/{self.run['steps']} steps", visible=True)
            self._bars.reset(self._run, total=self.run["steps"], visible=True)

    def __call__(self, step=None, t=None, **info) -> None:
        """One step of the current run is done (the schemes' ``progress(step, t)`` callback)."""
        if not self.on or self.run is None:
            return
        r = self.run
        r["done"] = min(r["steps"], r["done"] + 1)
        frac = r["done"] / r["steps"]
        work = self.done_work + frac * self.works[r["index"]]
        if self._bars is not None:
            self._bars.update(self._run, completed=r["done"], count=f"{r['done']}/{r['steps']} steps")
            self._bars.update(self._suite, completed=work)
            return
        now = time.perf_counter()
        if now - r["last"] < self.every:
            return
        r["last"] = now
        run_eta = (now - r["t0"]) * (1 - frac) / frac
        suite_eta = (now - self.t0) * (self.total - work) / work if work > 0 else float("nan")
        tt = "" if t is None else f", t = {t:.4g}"
        logging.getLogger(LOGGER).info("%s: step %d/%d%s, run ETA %s, suite %.0f%% ETA %s",
                                       r["label"], r["done"], r["steps"], tt,
                                       _fmt_eta(run_eta), 100 * work / self.total, _fmt_eta(suite_eta))

    def end_run(self, index: int) -> None:
        """Run ``index`` is finished (or skipped, or failed)."""
        self.done_work += self.works[index]
        self.done_runs += 1
        self.run = None
        if self._bars is not None:
            self._bars.update(self._suite, completed=self.done_work,
                              count=f"{self.done_runs}/{len(self.works)} runs")
            self._bars.update(self._run, visible=False)

    def close(self) -> None:
        """Stop the display (idempotent)."""
        global _console
        if self._bars is not None:
            self._bars.stop()
            self._bars = None
            _console = None
