#!/bin/sh
# Later steps of the nonlocal step at an old commit and at the working tree, alternating on the same
# input (two rounds per case): benchmarks/before_after.sh OLD_COMMIT [CASE ...], a CASE being
# "N K" or "N K DIM" (default: the 131k-vertex 2D mesh at eps/h = 4, 8, 16 and 3D at 24 and 32 cells).
# Run from the repository root with its .venv; the old code is a detached worktree on PYTHONPATH.
set -e
old=$1; shift
[ $# -gt 0 ] || set -- "256 4" "256 8" "256 16" "24 4 3" "32 4 3"
tree=$(mktemp -d)/old
git worktree add -q --detach "$tree" "$old"
trap 'git worktree remove --force "$tree"' EXIT
for case in "$@"; do
  for round in 1 2; do
    echo "old $case: $(PYTHONPATH=$tree .venv/bin/python benchmarks/nonlocal_steps.py $case | tail -1)"
    echo "new $case: $(.venv/bin/python benchmarks/nonlocal_steps.py $case | tail -1)"
  done
done
