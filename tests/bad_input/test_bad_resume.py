"""Class 7: ``--resume`` trusts only records that are as they were written.  A record carries the
hash of its inputs (its key) and a digest of everything it says (and of its ``.npz``); a record
whose content, parameters or geometry were edited, or that stands in another run's place, is
recomputed, and the tables show the computed numbers, never the edited ones."""

import json

import pytest
from mpi4py import MPI

from advmcf.validation.fingerprint import record_digest
from advmcf.validation.results import json_clean
from advmcf.validation.runner import run_file_name, run_suite
from advmcf.validation.suites import load_suite

COMM = MPI.COMM_WORLD


def _edit_json(key_path, fn):
    def edit(path):
        rec = json.loads(path.read_text())
        node = rec
        for k in key_path[:-1]:
            node = node[k]
        node[key_path[-1]] = fn(node[key_path[-1]])
        path.write_text(json.dumps(rec))
    return edit


def _edit_run(path):
    """The run's ε and id edited, and its key recomputed as a forger would (not its digest)."""
    from advmcf.validation.fingerprint import run_key

    rec = json.loads(path.read_text())
    rec["run"]["eps"] = 0.2
    rec["run"]["id"] = rec["run"]["id"].replace("eps=0.1", "eps=0.2")
    rec["key"] = run_key({"run": rec["run"], **rec["inputs"]})
    path.write_text(json.dumps(rec))


def _edit_and_reseal(path):
    """Metrics edited and the digest recomputed, but the inputs changed too (they no longer hash to the key)."""
    rec = json.loads(path.read_text())
    rec["inputs"]["case"]["table"]["T"] = 0.2
    rec["digest"] = record_digest(rec)
    path.write_text(json.dumps(rec))


EDITS = {
    "metric scaled": _edit_json(["metrics", "radius_error"], lambda v: 10 * v),
    "metric set to 0": _edit_json(["metrics", "symdiff_rho"], lambda v: 0.0),
    "metric removed": _edit_json(["metrics"], lambda m: {k: v for k, v in m.items() if k != "hausdorff"}),
    "flags and status": _edit_json(["status"], lambda v: "flagged"),
    "run eps and id, key recomputed": _edit_run,
    "inputs edited, digest recomputed": _edit_and_reseal,
    "digest removed": _edit_json(["digest"], lambda v: None),
    "geometry changed": lambda path: path.with_suffix(".npz").write_bytes(
        path.with_suffix(".npz").read_bytes()[:-7] + b"garbage"),
    "geometry removed": lambda path: path.with_suffix(".npz").unlink(),
}


@pytest.fixture
def tiny(shared, on_root, good):
    text = (good.replace('schemes = ["level_set", "nonlocal"]', 'schemes = ["level_set"]')
            .replace('h = "eps/4"', "h = 0.25"))
    on_root(lambda: (shared / "suite.toml").write_text(text))
    return load_suite(shared / "suite.toml")


@pytest.mark.parallel([1, 2])
def test_edited_records_are_recomputed(shared, on_root, tiny):
    out = shared / "out"
    first = run_suite(tiny, out, COMM)
    ids = [r["run"]["id"] for r in first["runs"]]
    paths = [out / "runs" / run_file_name(i) for i in ids]
    truth = json_clean([r["metrics"] for r in first["runs"]])  # as records read back (NaN as None)
    # a record that reads back as written (reformatted, the same content) is reused
    on_root(lambda: paths[0].write_text(json.dumps(json.loads(paths[0].read_text()), indent=4)))
    before = paths[0].stat().st_mtime_ns
    assert json_clean(run_suite(tiny, out, COMM, resume=True)["runs"][0]["metrics"]) == truth[0]
    assert paths[0].stat().st_mtime_ns == before, "a record that was not edited was recomputed"
    for name, edit in EDITS.items():
        on_root(lambda: edit(paths[0]))
        doc = run_suite(tiny, out, COMM, resume=True)
        assert json_clean([r["metrics"] for r in doc["runs"]]) == truth, name
        assert paths[0].stat().st_mtime_ns != before, f"{name}: not recomputed"
        before = paths[0].stat().st_mtime_ns
        rec = json.loads(paths[0].read_text())
        assert rec["digest"] == record_digest(rec), name
    # one run's record in another's place: recomputed, each file keeps its own run
    on_root(lambda: paths[1].write_text(paths[0].read_text()))
    doc = run_suite(tiny, out, COMM, resume=True)
    assert [r["run"]["id"] for r in doc["runs"]] == ids and json_clean([r["metrics"] for r in doc["runs"]]) == truth
    table = (out / "table.md").read_text() if COMM.rank == 0 else ""
    assert COMM.rank != 0 or f"{truth[0]['radius_error']:.3e}" in table
