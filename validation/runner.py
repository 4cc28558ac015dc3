r"""Run a checked suite under MPI: every run collective, rank 0 writes.

Output folder ``DIR``:

- ``runs/<run>.json``: one record per run, written atomically (to a
  temporary file in the same folder, then :func:`os.replace`), so a file
  that exists is complete.  Each record carries the run's inputs and their
  hash (:mod:`advmcf.validation.fingerprint`: parameters, the resolved case, the
  mesh file's contents, the code version), and a digest of the record itself
  (and of its ``.npz``); ``--resume`` skips a run only if its record finished
  ``ok`` with the same hash and its digest matches what it says, and says in
  one line why it recomputes any other (what changed, that it failed before,
  or that the record was edited).
- ``results.json``: every run of the suite plus the environment (schema
  ``advmcf.results/1``, see :mod:`advmcf.validation.results`).
- ``table.md``, ``table.tex``, ``table.csv`` (:mod:`advmcf.validation.tables`).

A run that raises (a diverged solve, a scheme not installed, ...) is recorded
as failed with ``"reason"`` (one line; PETSc's own message for a PETSc
error) and ``"traceback"`` (also in the log with ``-v``), and the suite goes on.  The outcome is agreed on
all ranks (an allgather of the status) so every rank records the same.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
import traceback
from pathlib import Path

import numpy as np
from dataclasses import dataclass, field
from typing import NamedTuple

from advmcf.meshes.evolution import time_steps
from advmcf.meshes.mpi import agreed, on_root
from advmcf.meshes.stack import options_restored
from advmcf.validation.flags import run_flags
from advmcf.validation.fingerprint import (case_inputs, code_version, describe_change, file_sha256, petsc_inputs,
                                           record_digest, run_inputs, run_key)
from advmcf.validation.metrics import consistency_metrics, count_violations, flow_metrics
from advmcf.validation.results import atomic_write_json, environment, read_json, write_results
from advmcf.validation.plots import interface_geometry
from advmcf.validation.lanes import lane_threads, plan_lanes
from advmcf.validation.progress import LOGGER, SuiteProgress, lane_voice
from advmcf.validation.schemes import SCHEMES

__all__ = ["run_suite", "run_file_name", "prepare_output", "check_resumable", "OutputFolderError", "RunResult", "STUDY_KINDS"]

log = logging.getLogger(LOGGER)
_module_log = logging.getLogger(__name__)  # shown with -v: the tracebacks of failed runs


def run_file_name(run_id: str) -> str:
    """The file name of a run's record: its id with every character outside [A-Za-z0-9._=-] replaced."""
    return re.sub(r"[^A-Za-z0-9._=-]", "_", run_id.replace("/", "__")) + ".json"


def _perturbed_disc_pair(centre, radius, amplitude, rng):
    r"""Two nested smooth sets: :math:`r_{in} = R(1 - a/2 + 0.45a f_1)`, :math:`r_{out} = R(1 + a/2 + 0.45a f_2)`, |f_i| ≤ 1."""
    from advmcf.meshes.shapes import polygons

    theta = np.linspace(0, 2 * np.pi, 1024, endpoint=False)

    def wave():
        k = np.arange(2, 7)
        c, ph = rng.normal(size=k.size), rng.uniform(0, 2 * np.pi, size=k.size)
        return (c[:, None] * np.cos(np.outer(k, theta) + ph[:, None])).sum(axis=0) / np.abs(c).sum()

    c = np.asarray(centre, float)
    out = []
    for sign in (-1, 1):
        r = radius * (1 + sign * amplitude / 2 + 0.45 * amplitude * wave())
        out.append(polygons([c + np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)]))
    return out


def _save_npz(path, arrays):
    """np.savez to a temporary file, then rename (atomic; the temporary file removed if it fails)."""
    from advmcf.meshes.checks import replaceable_file

    tmp = replaceable_file(path).with_name(f".{path.name}.tmp.npz")
    try:
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _output_times(spec, every_step: bool) -> list[float]:
    """[0, T], or every step time k dt of the schemes' own equal steps
    (:func:`advmcf.meshes.evolution.time_steps`), so that keeping every step does not change the steps."""
    if not every_step:
        return [0.0, spec.T]
    dt, n = time_steps(0.0, spec.T, spec.tau)
    return [k * dt for k in range(n)] + [spec.T]


class RunResult(NamedTuple):
    """What one run produced: the fields of its record, and what the output files need.

    ``reference``: what the errors are measured against; ``geometry``: the
    arrays of the interface figure (rank 0, or None); ``evolutions``: label ->
    :class:`~advmcf.meshes.evolution.Evolution` worth saving; ``flags``:
    :func:`advmcf.validation.flags.run_flags`.
    """

    metrics: dict
    ratios: dict
    reference: str
    mesh: dict
    timings: dict
    steps: int
    geometry: dict | None
    evolutions: dict
    flags: list


@dataclass
class _Run:
    """One run on its mesh, as a study kind needs it."""

    spec: object
    case: object
    scheme: object
    schemes: dict
    msh: object
    reference: object
    options: dict
    progress: object
    every_step: bool
    solve_time: float = 0.0

    def evolve(self, phi0, times=None, scheme=None, options=None):
        """The evolution of {phi0 < 0} by ``scheme`` (default: the run's) at ``times`` (default: its output
        times); the time it takes counts as solve time."""
        spec = self.spec
        scheme = self.scheme if scheme is None else scheme
        t0 = time.perf_counter()
        evolution = scheme.run(self.case, phi0, spec.eps, spec.tau, spec.T,
                               self.options if options is None else {**scheme.defaults, **options},
                               _output_times(spec, self.every_step) if times is None else times, self.progress)
        self.solve_time += time.perf_counter() - t0
        return evolution


@dataclass
class _KindResult:
    """What a study kind computed: metrics, what they are measured against, steps, evolutions, figure."""

    metrics: dict
    label: str
    steps: int
    evolutions: dict = field(default_factory=dict)
    geometry: dict | None = None


def _flow(run: _Run) -> _KindResult:
    """Run to T; errors against the case's reference at T (:func:`advmcf.validation.metrics.flow_metrics`)."""
    evolution = run.evolve(run.case.initial_level_set(run.msh))
    h = float(run.spec.h_max)
    return _KindResult(flow_metrics(evolution, run.case, run.reference), run.reference.label,
                       evolution.steps, {"": evolution},
                       interface_geometry(evolution.sets[-1], run.case, run.reference, float(evolution.times[-1]), h))


def _one_step(run: _Run) -> _KindResult:
    """One step of size τ; its velocity against V on the exact initial boundary."""
    evolution = run.evolve(run.case.initial_level_set(run.msh))
    return _KindResult(consistency_metrics(evolution.sets[-1], run.case, run.spec.tau),
                       "analytic V = -κ - ∂_ν log ρ on the exact initial boundary", evolution.steps,
                       {"": evolution},
                       interface_geometry(evolution.sets[-1], run.case, run.reference, float(evolution.times[-1]),
                                          float(run.spec.h_max)))


def _comparison(run: _Run) -> _KindResult:
    """Nested pairs of perturbed discs evolved side by side: comparison-principle violations."""
    from advmcf.meshes.sets import level_set

    extra = dict(run.spec.extra)
    rng = np.random.default_rng(extra["seed"])
    times = _output_times(run.spec, True)  # every step: the comparison is checked at each
    violations, steps = 0, 0
    for _ in range(extra["pairs"]):
        inner, outer = (level_set(run.msh, s) for s in _perturbed_disc_pair(
            run.case.initial["centre"], run.case.initial["radius"], extra["amplitude"], rng))
        ev_in, ev_out = (run.evolve(phi, times) for phi in (inner, outer))
        violations += sum(count_violations(a, b) for a, b in zip(ev_in.sets, ev_out.sets))
        steps += ev_in.steps + ev_out.steps
    return _KindResult({"violations": float(violations), "pairs": float(extra["pairs"])},
                       "comparison principle (the theorem: 0 violations)", steps)


def _versus(run: _Run) -> _KindResult:
    """Two schemes from the same set on the same mesh: the distance between their sets at T."""
    from advmcf.meshes.distance import hausdorff
    from advmcf.meshes.measures import symmetric_difference

    from advmcf.validation.metrics import has_interface

    extra = dict(run.spec.extra)
    phi0 = run.case.initial_level_set(run.msh)
    ev_a = run.evolve(phi0)
    ev_b = run.evolve(phi0, scheme=run.schemes[extra["versus"]], options=extra["versus_options"])
    a, b = ev_a.sets[-1], ev_b.sets[-1]
    metrics = {"versus_symdiff": symmetric_difference(a, b, run.case.density.rho),
               "versus_hausdorff": hausdorff(a, b) if has_interface(a) and has_interface(b) else float("nan")}
    return _KindResult(metrics, "the two schemes against each other", ev_a.steps + ev_b.steps,
                       {run.spec.scheme: ev_a, extra["versus"]: ev_b})


#: What each study kind runs on its mesh (``perimeter`` runs on meshes of its own: :func:`_execute`).
STUDY_KINDS = {"flow": _flow, "one_step": _one_step, "comparison": _comparison, "versus": _versus}


def _execute(spec, suite, comm, schemes, progress, paraview=(None, ())) -> RunResult:
    """Run one spec (:data:`STUDY_KINDS`), measure its mesh, ratios and flags, and write its ParaView
    series.  ``paraview``: (output folder, formats): the evolutions are computed at every step and
    written as time series (:mod:`advmcf.validation.paraview`)."""
    if spec.kind == "perimeter":
        from advmcf.validation.perimeter_study import perimeter_run

        return RunResult._make(perimeter_run(spec, comm))
    from advmcf.meshes.stats import mesh_stats

    out, formats = paraview
    case = suite.cases[spec.case]
    scheme = schemes[spec.scheme]
    t0 = time.perf_counter()
    msh = case.mesh(comm, spec.h)
    stats = mesh_stats(msh)
    if abs(stats.h_max - spec.h_max) > 1e-9 * stats.h_max:  # the checks ran on the planned mesh
        raise RuntimeError(f"the mesh's h_max {stats.h_max:.12g} is not the planned {spec.h_max:.12g}")
    reference = case.reference(spec.eps, spec.tau)
    # a scheme's tau rule is already spec.tau; options the suite leaves out run at the scheme's defaults
    opts = {**scheme.defaults, **{k: v for k, v in spec.options if k != "tau"}}
    run = _Run(spec, case, scheme, schemes, msh, reference, opts, progress, bool(formats))
    t1 = time.perf_counter()
    result = STUDY_KINDS[spec.kind](run)
    t2 = time.perf_counter()
    h = stats.h_max
    used = [scheme, schemes.get(dict(spec.extra).get("versus"), scheme)]
    ratios = {"h_over_eps": h / spec.eps if any(s.uses_eps for s in used) else float("nan"),
              "h_over_tau_V": h / (spec.tau * reference.speed) if reference.speed > 0 else float("nan")}
    if scheme.regime is not None and spec.kind != "versus":
        ratios.update(scheme.regime(h, spec.eps, spec.tau, opts))
    mesh = {"h_min": stats.h_min, "h_max": stats.h_max,
            "num_vertices": int(stats.num_vertices), "num_cells": int(stats.num_cells)}
    flags = run_flags(spec, result.metrics, ratios, reference, result.evolutions, any(s.vertex_sets for s in used),
                      h)
    for fmt in formats:
        from advmcf.validation.paraview import write_run_series

        write_run_series(out / fmt, run_file_name(spec.id)[: -len(".json")], result.evolutions, case, reference, fmt)
    timings = {"setup": t1 - t0, "solve": run.solve_time, "metrics": t2 - t1 - run.solve_time}
    return RunResult(result.metrics, ratios, result.label, mesh, timings, result.steps, result.geometry,
                     result.evolutions, flags)


def _record(spec, key, inputs, status, reason=None, **fields):
    return {"run": spec.as_dict(), "key": key, "inputs": {k: v for k, v in inputs.items() if k != "run"},
            "status": status, "reason": reason, **fields}


def run_suite(suite, out_dir, comm, *, resume: bool = False, schemes: dict | None = None,
              stop_after: int | None = None, vtx: bool = False, xdmf: bool = False,
              force: bool = False, concurrent: bool | None = None, shard: tuple[int, int] | None = None) -> dict:
    """Run every run of ``suite`` (collective over ``comm``) and write ``out_dir``.

    Args:
        suite: a :class:`advmcf.validation.suites.Suite`.
        out_dir: the output folder (created by rank 0).
        comm: the communicator of the suite.
        resume: skip runs whose record in ``out_dir/runs`` finished ``ok`` with
            the same inputs (:mod:`advmcf.validation.fingerprint`); recompute the others.
        force: replace the results of another suite in ``out_dir`` (the
            folder is emptied); without it such a folder is refused
            (:func:`prepare_output`, :class:`OutputFolderError`).
        schemes: scheme registry (default :data:`advmcf.validation.schemes.SCHEMES`).
        stop_after: stop (as if killed) after this many runs were computed in
            this call, before writing ``results.json``; for tests of resume (runs one after another).
        vtx, xdmf: also write every run as a ParaView time series at every
            step (:mod:`advmcf.validation.paraview`; both schemes of a ``versus``
            run; not ``comparison`` runs) to ``out_dir/vtx/<run>.bp``
            (ADIOS2) and/or ``out_dir/xdmf/<run>.xdmf``.
        concurrent: run independent runs at the same time on lanes of ranks
            (:mod:`advmcf.validation.lanes`); ``None``: whenever ``comm`` has
            more than one rank and the suite more than one run.  ``False``:
            every run on all ranks, one after another.
        shard: ``(i, n)``: only the runs whose index is i modulo n (a share of
            the suite for one job of n, e.g. on a cluster without one large
            MPI job); ``results.json`` is written once every run has a record
            in ``out_dir`` (the shards' records, gathered by ``--resume``
            without a shard).

    Returns the results document (identical on every rank).  The suite's
    ``petsc_options`` are in PETSc's options database while it runs
    (:func:`advmcf.meshes.stack.options_database`); the database is checked
    before the first run (:func:`advmcf.fem_mcf.check_petsc_options`: one line
    with PETSc's message, :class:`advmcf.fem_mcf.PetscOptionError`), each run
    leaves it as it found it (:func:`advmcf.meshes.stack.options_restored`),
    and the options nothing read are logged at the end.
    """
    from advmcf.meshes.stack import options_database

    registry = SCHEMES if schemes is None else schemes
    files = {}
    for spec in suite.runs:  # two ids that differ only in characters a file name cannot hold
        other = files.setdefault(run_file_name(spec.id), spec.id)
        if other != spec.id:
            raise OutputFolderError(f"runs {other!r} and {spec.id!r} would share the record {run_file_name(spec.id)}: "
                                    "give their schemes' options (e.g. tau rules) that differ in letters or digits")
    formats = [f for f, on in (("vtx", vtx), ("xdmf", xdmf)) if on]
    with options_database(suite.petsc_options):
        from advmcf.fem_mcf import check_petsc_options, unused_petsc_options

        check_petsc_options()  # PETSc's own message, before the first run
        doc = _run_suite(suite, out_dir, comm, resume, registry, stop_after, formats, force, concurrent, shard)
        # unused on every rank (on lanes, a rank reads only the options of its lane's runs)
        unused = sorted(set.intersection(*(set(u) for u in comm.allgather(unused_petsc_options()))))
        if unused and comm.rank == 0:
            log.warning("PETSc options that nothing read: %s (misspelt, or for a solver this suite does not "
                        "run)", " ".join(unused))
        return doc


def _work(spec, suite, schemes) -> float:
    """A run's expected work: its steps × (1/h)^d × the box volume × its scheme's relative cost."""
    scheme = schemes.get(spec.scheme)
    cost = scheme.cost if scheme is not None and spec.kind != "perimeter" else 1.0
    return _expected_steps(spec, schemes) * _cells_per_unit(suite.cases.get(spec.case), spec) * cost


def _spreads(spec, schemes) -> bool:
    """Whether a run computes on every rank of its communicator (rather than on one)."""
    if spec.kind == "perimeter":
        return False
    names = [spec.scheme, dict(spec.extra).get("versus")]
    return any(schemes[n].spreads for n in names if n in schemes)


def _expected_steps(spec, schemes) -> int:
    """The number of time steps a run makes unless its set vanishes (all its flows together; the
    run's τ is the one that runs, :mod:`advmcf.validation.suites`)."""
    if spec.kind == "perimeter":
        return 1
    flows = {"versus": 2, "comparison": 2 * dict(spec.extra).get("pairs", 1)}.get(spec.kind, 1)
    return flows * time_steps(0.0, spec.T, spec.tau)[1]


def _cells_per_unit(case, spec) -> float:
    """(1/h)^d times the box volume: proportional to the number of cells of a run's mesh."""
    if spec.kind == "perimeter":  # the box [-1, 1]^dim
        dim = dict(spec.extra)["dim"]
        return (2.0 / spec.h) ** dim
    vol = float(np.prod(np.subtract(case.domain[1], case.domain[0]))) if case.domain is not None else 1.0
    return vol / spec.h**case.dim


#: The names of what a suite writes into its output folder (files and folders).
_OUTPUT_NAMES = re.compile(r"suite\.json|results\.json|orders\.csv|table(_[\w-]+)?\.(md|tex|csv)|runs|vtx|xdmf|"
                           r"(convergence|interfaces|heatmap|phase|angles|work_precision)_.+\.(png|pdf)")


class OutputFolderError(ValueError):
    """An output folder that cannot take a suite's results; one line naming ``--out`` and the fix."""


def check_resumable(out: Path) -> None:
    """Refuse, in one line, ``--resume`` into a folder that does not exist (the command line asks
    before a suite's up-front checks, which can take minutes)."""
    if not Path(out).is_dir():
        raise OutputFolderError(f"--resume: {out} does not exist: nothing to resume (drop --resume to start)")


def prepare_output(out: Path, suite, resume: bool = False, force: bool = False) -> None:
    """Make ``out`` ready for ``suite`` (rank 0 only): refuse, in one line, an empty name, a folder that
    does not exist with ``resume``, a file, a folder that cannot be written, a folder without
    ``suite.json`` holding files with the names of a suite's outputs (:data:`_OUTPUT_NAMES`: not an
    advmcf output folder, so nothing of it is replaced, even with ``force``; other files, such as
    the suite's TOML, may be there), or a folder holding another suite's results (``suite.json``
    names another suite) unless ``force``, which empties it first (not through a symbolic link)."""
    from advmcf.meshes import checks

    if str(out) == "":
        raise OutputFolderError("--out: an empty folder name (it would be the working folder): give a folder")
    out = Path(out)
    if resume:
        check_resumable(out)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out}: exists and is not a folder")
    marker = out / "suite.json"
    previous = read_json(marker) if out.is_dir() else None
    if marker.exists() and not isinstance(previous, dict):  # damaged: whose results they are is unknown
        previous = {"name": None}
    ours = sorted(p.name for p in out.iterdir() if _OUTPUT_NAMES.fullmatch(p.name)) if out.is_dir() else []
    if ours and not marker.exists():
        raise OutputFolderError(f"--out {out} holds files that are not an advmcf suite's results but have the names of "
                                f"its outputs (e.g. {ours[0]!r}): choose an empty or new folder")
    if isinstance(previous, dict) and previous.get("name") != suite.name:
        if not force:
            raise OutputFolderError(f"--out {out} holds the results of suite {previous.get('name')!r}, not "
                                    f"{suite.name!r}: choose another folder, or --force to replace them")
        if out.is_symlink():
            raise OutputFolderError(f"--out {out} is a symbolic link: --force empties folders, not links (give "
                                    f"the folder it points to, {out.resolve()})")
        shutil.rmtree(out)
    try:
        checks.writable_folder("--out", out)
    except ValueError as err:
        raise OutputFolderError(str(err)) from None
    (out / "runs").mkdir(exist_ok=True)
    atomic_write_json(out / "suite.json", {"name": suite.name, "source": suite.source})


def _run_suite(suite, out_dir, comm, resume, schemes, stop_after, formats, force, concurrent, shard):
    out = Path(out_dir)
    on_root(comm, prepare_output, out, suite, resume, force)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    # what determines the runs besides their parameters (rank 0 reads the mesh files)
    cases, code, petsc = comm.bcast((({name: case_inputs(c) for name, c in suite.cases.items()},
                                      code_version(), petsc_inputs()) if comm.rank == 0 else None), root=0)
    n = len(suite.runs)
    indices = [i for i in range(n) if shard is None or i % shard[1] == shard[0]]
    works = [_work(spec, suite, schemes) for spec in suite.runs]
    if concurrent is None:
        concurrent = comm.size > 1 and len(indices) > 1
    lane = comm
    if concurrent and stop_after is None and comm.size > 1 and indices:
        plan = plan_lanes(comm.size, [works[i] for i in indices], [_spreads(suite.runs[i], schemes) for i in indices])
        mine = plan.lane_of(comm.rank)
        lane = comm.Split(mine, comm.rank)
        indices = [indices[k] for k in plan.runs[mine]]
        if comm.rank == 0:
            log.info("%d runs on %d lanes of %s rank(s) (planned work per lane: %s)", n, len(plan.sizes),
                     "/".join(map(str, plan.sizes)), ", ".join(f"{f:.3g}" for f in plan.finish))
    node, leader = comm.Split_type(_shared_type()), lane.rank == 0
    records, error = None, None
    try:
        with lane_threads(node.size), lane_voice(comm.rank, lane.rank):
            records = _run_lane(suite, out, lane, indices, works, resume, schemes, stop_after, formats,
                                (cases, code, petsc))
    except Exception as err:  # raised on one lane (a failed write): raised on every rank below, no rank left waiting
        error = err
    finally:
        node.Free()
        if lane is not comm:
            lane.Free()
    agreed(comm, "the suite's lanes", None, _reraise, error)
    if records is None:  # stopped (stop_after)
        return {}
    if lane is not comm:  # every lane's records, in the suite's order, on every rank
        records = comm.allgather(records if leader else {})
        records = {i: r for part in records for i, r in part.items()}
    done = [records[i] for i in sorted(records)]
    doc = {"schema": "advmcf.results/1",
           "suite": {"name": suite.name, "description": suite.description, "source": suite.source,
                     "studies": suite.studies,
                     "cases": {name: c.spec for name, c in suite.cases.items()},
                     "references": {name: c.reference_kind for name, c in suite.cases.items()}},
           "environment": environment(comm, started, {s.study: dict(s.extra)["seed"] for s in suite.runs
                                                      if "seed" in dict(s.extra)}),
           "runs": done}
    if shard is not None:
        missing = on_root(comm, _missing_records, out, suite)
        if missing:
            if comm.rank == 0:
                log.info("shard %d/%d: %d of its runs done; %d runs of the suite have no record yet: when every "
                         "shard has finished, 'advmcf run %s -o %s --resume' (no --shard) writes the tables",
                         shard[0], shard[1], len(done), missing, suite.name, out)
            return doc
        if len(done) < n:  # every run has a record: the whole suite's results, from the records
            doc["runs"] = on_root(comm, _all_records, out, suite)
    on_root(comm, write_results, out, doc)
    return doc


def _reraise(error: Exception | None) -> None:
    if error is not None:
        raise error


def _shared_type():
    from mpi4py import MPI

    return MPI.COMM_TYPE_SHARED


def _missing_records(out, suite) -> int:
    """How many runs of ``suite`` have no finished record in ``out/runs`` (rank 0)."""
    return sum(not isinstance(read_json(out / "runs" / run_file_name(spec.id)), dict) for spec in suite.runs)


def _all_records(out, suite) -> list:
    return [read_json(out / "runs" / run_file_name(spec.id)) for spec in suite.runs]


def _run_lane(suite, out, comm, indices, works, resume, schemes, stop_after, formats, inputs_of_suite):
    """The runs ``indices`` of ``suite``, one after another on ``comm``: index -> record (every rank), or
    None when ``stop_after`` stopped them."""
    cases, code, petsc = inputs_of_suite
    runs_dir = out / "runs"
    records = {}
    progress = SuiteProgress(comm, [works[i] for i in indices])
    try:
        for k, i in enumerate(indices):
            spec = suite.runs[i]
            path = runs_dir / run_file_name(spec.id)
            prefix = f"[{i + 1}/{len(suite.runs)}] {spec.id}"
            inputs = run_inputs(spec, cases.get(spec.case, {}), code, petsc)
            key = run_key(inputs)
            record = _reusable(comm, path, key, inputs, prefix) if resume else None
            if record is None:
                if stop_after is not None and stop_after <= 0:
                    return None
                stop_after = None if stop_after is None else stop_after - 1
                progress.start_run(k, prefix, _expected_steps(spec, schemes))
                record = _compute(spec, suite, comm, schemes, progress, (out, formats), path, key, inputs, prefix)
            records[i] = record
            progress.end_run(k)
    finally:
        progress.close()
    return records


def _reusable(comm, path, key, inputs, prefix):
    """The record at ``path`` if it finished (ok or flagged) with these inputs and is as it was
    written (:func:`_why_not_reused`), else None (on every rank), saying in one line why a record
    found is not reused."""
    old = comm.bcast(read_json(path) if comm.rank == 0 else None, root=0)
    if not isinstance(old, dict):
        return None
    why = comm.bcast(_why_not_reused(old, path, key, inputs) if comm.rank == 0 else None, root=0)
    if comm.rank == 0:
        log.info("%s: %s", prefix, "done before, skipped" if why is None else f"recomputing, {why}")
    return old if why is None else None


def _why_not_reused(old: dict, path: Path, key: str, inputs: dict) -> str | None:
    """Why the record ``old`` (read from ``path``) cannot stand for the run with these inputs, or None:
    its digest must match its content (:func:`advmcf.validation.fingerprint.record_digest`: nothing
    edited, the .npz unchanged), its parameters and inputs must hash to its key and the key be this
    run's, and it must have finished ok or flagged."""
    if "digest" not in old:
        return "the record has no digest (written by an older advmcf)"
    if old["digest"] != record_digest(old):
        return "the record was edited or damaged (its digest does not match its content)"
    stored = {"run": old.get("run"), **old["inputs"]} if isinstance(old.get("inputs"), dict) else None
    if stored is None or run_key(stored) != old.get("key"):
        return "the record's parameters do not hash to its key (edited)"
    if old.get("key") != key:
        return f"inputs changed: {describe_change(stored, inputs)}"
    if old.get("status") not in ("ok", "flagged"):
        return f"failed before ({old.get('reason')})"
    npz = path.with_suffix(".npz")
    if "geometry_sha256" in old and (not npz.is_file() or file_sha256(npz) != old["geometry_sha256"]):
        return f"its geometry {npz.name} is missing or changed"
    return None


def _compute(spec, suite, comm, schemes, progress, paraview, path, key, inputs, prefix) -> dict:
    """Run one spec and write its record (atomically, rank 0); a run that raises is recorded as
    failed with its reason, agreed on all ranks."""
    if comm.rank == 0:
        log.debug("%s: running", prefix)
    t0 = time.perf_counter()
    try:
        with options_restored():  # a run that fails half-way through a solver set-up changes no later run
            result = _execute(spec, suite, comm, schemes, progress, paraview)
        outcome = None
    except Exception as err:  # recorded as a failed run; the suite goes on
        outcome = failure(err)
    reason, trace = next((o for o in comm.allgather(outcome) if o is not None), (None, None))
    total = comm.allreduce(time.perf_counter() - t0, op=_max_op())
    if reason is None:
        status = "flagged" if result.flags else "ok"
        rec = _record(spec, key, inputs, status, reference=result.reference, mesh=result.mesh,
                      metrics=result.metrics, ratios=result.ratios, timings={**result.timings, "total": total},
                      steps=result.steps, file=path.name, flags=result.flags)
        if comm.rank == 0:
            errs = ", ".join(f"{k}={v:.3e}" for k, v in result.metrics.items())
            log.info("%s: %s in %.1f s (%s)", prefix, status, total, errs)
            for f in result.flags:
                log.warning("%s: flagged %s: %s", prefix, f["code"], f["message"])
    else:
        rec = _record(spec, key, inputs, "failed", reason, timings={"total": total}, traceback=trace)
        if comm.rank == 0:
            log.warning("%s: FAILED: %s", prefix, reason)
            _module_log.info("%s: the failed run's traceback:\n%s", prefix, trace)
    geometry = result.geometry if reason is None else None  # rank 0's figure data

    def write():
        sealed = {}
        if geometry is not None:
            _save_npz(path.with_suffix(".npz"), geometry)
            sealed["geometry_sha256"] = file_sha256(path.with_suffix(".npz"))
        sealed["digest"] = record_digest({**rec, **sealed})
        atomic_write_json(path, {**rec, **sealed})
        return sealed

    rec.update(on_root(comm, write))  # a failed write (a full disk) raises on every rank
    return rec


def failure(err: BaseException) -> tuple[str, str]:
    """``(reason, traceback)`` of a failed run: one line naming the error (for a PETSc error, its
    code and PETSc's own message, which petsc4py keeps after the first line) and the full text."""
    lines = f"{type(err).__name__}: {err}".splitlines()
    reason = lines[0]
    # petsc4py's Error carries PETSc's stack as "[rank] Function() at file:line" lines and the message
    # as "[rank] text" lines: keep the messages
    said = [m.group(1) for line in lines[1:] if (m := re.fullmatch(r"\[\d+\] (.*)", line.strip()))
            and not re.search(r"\(\) at \S+:\d+$", m.group(1))]
    if said:
        reason += ": " + "; ".join(dict.fromkeys(said))
    return reason, "".join(traceback.format_exception(err))


def _max_op():
    from mpi4py import MPI

    return MPI.MAX
