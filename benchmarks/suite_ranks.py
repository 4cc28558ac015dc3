"""Benchmark: a whole suite on 1 rank and under ``mpirun -n 2`` (independent runs on lanes of ranks).

    python benchmarks/suite_ranks.py quick exact      # writes benchmarks/results/suite_ranks.{json,md}

For each suite, ``advmcf run SUITE -qq`` on 1 rank and ``mpirun -n 2 advmcf run SUITE -qq`` run one
after the other (fresh output folders, the same process environment), each timed by its wall clock;
the ratio is 2 ranks / 1 rank (targets: quick <= 0.7, exact <= 0.6).  The two results documents are
compared (:func:`advmcf.validation.results.compare_results`, the stated tolerance) and, for the runs
that ran on one rank either way, bitwise.  The load average before and after each run is recorded:
the machine is shared, and a timing taken beside other jobs is slower than on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(cmd, out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd + ["-o", str(out), "-qq"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return {"command": " ".join(cmd), "wall_s": wall, "load_before": load0, "load_after": os.getloadavg()[0]}


def main() -> int:
    from advmcf.validation.results import compare_results, load_results

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suites", nargs="+")
    parser.add_argument("-o", "--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for suite in args.suites:
            one = _run([str(BIN / "advmcf"), "run", suite], Path(tmp) / f"{suite}-1")
            two = _run([str(BIN / "mpirun"), "-n", "2", str(BIN / "advmcf"), "run", suite], Path(tmp) / f"{suite}-2")
            a, b = load_results(Path(tmp) / f"{suite}-1"), load_results(Path(tmp) / f"{suite}-2")
            rows.append({"suite": suite, "runs": len(a["runs"]), "one_rank": one, "two_ranks": two,
                         "ratio": two["wall_s"] / one["wall_s"], "differences": compare_results(a, b),
                         "bitwise_differences": compare_results(a, b, rtol=0.0, atol=0.0),
                         "cpus": os.cpu_count(), "git_commit": a["environment"].get("git_commit")})
            print(f"{suite}: 1 rank {one['wall_s']:.1f} s, 2 ranks {two['wall_s']:.1f} s, ratio "
                  f"{rows[-1]['ratio']:.2f} (load {one['load_before']:.1f}-{two['load_after']:.1f})", flush=True)
    (args.out / "suite_ranks.json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["| suite | runs | 1 rank [s] | 2 ranks [s] | ratio | load avg (before 1 / after 2) | records 1 vs 2 |",
             "|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        same = ("bitwise" if not r["bitwise_differences"] else
                "within RANK_RTOL" if not r["differences"] else f"{len(r['differences'])} differ")
        lines.append(f"| {r['suite']} | {r['runs']} | {r['one_rank']['wall_s']:.1f} | {r['two_ranks']['wall_s']:.1f} "
                     f"| {r['ratio']:.2f} | {r['one_rank']['load_before']:.1f} / {r['two_ranks']['load_after']:.1f} "
                     f"| {same} |")
    (args.out / "suite_ranks.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
