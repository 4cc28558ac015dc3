#!/bin/sh
# The nonlocal step at an old commit and at the working tree, on the same input.
#   benchmarks/before_after.sh OLD_COMMIT [CASE ...]: later steps, alternating (two rounds per case),
#     a CASE being "N K" or "N K DIM", with "--profile" for the parts of a step (default: the 131k-vertex
#     2D mesh at eps/h = 4, 8, 16 and 3D at 24 and 32 cells), by benchmarks/nonlocal_steps.py;
#   benchmarks/before_after.sh OLD_COMMIT --sets: the level sets of benchmarks/nonlocal_sets.py, compared.
# Run from the repository root with its .venv.  The old code is a detached worktree, imported as
# advmcf.* through a directory of links on PYTHONPATH (found before the editable install's finder).
set -e
old=$1; shift
[ $# -gt 0 ] || set -- "256 4" "256 8" "256 16" "24 4 3" "32 4 3"
tmp=$(mktemp -d)
git worktree add -q --detach "$tmp/old" "$old"
trap 'git worktree remove --force "$tmp/old"; rm -rf "$tmp"' EXIT
mkdir "$tmp/shim" "$tmp/shim/advmcf"
for package in meshes fem_mcf nonlocal_ validation; do ln -s "$tmp/old/$package" "$tmp/shim/advmcf/$package"; done
if [ "$1" = "--sets" ]; then
  PYTHONPATH=$tmp/shim .venv/bin/python benchmarks/nonlocal_sets.py "$tmp/old.npz"
  .venv/bin/python benchmarks/nonlocal_sets.py "$tmp/new.npz"
  .venv/bin/python benchmarks/nonlocal_sets.py --compare "$tmp/old.npz" "$tmp/new.npz"
  exit
fi
for case in "$@"; do
  for round in 1 2; do
    echo "old $case: $(PYTHONPATH=$tmp/shim .venv/bin/python benchmarks/nonlocal_steps.py $case | grep -E '^(n=|parts)')"
    echo "new $case: $(.venv/bin/python benchmarks/nonlocal_steps.py $case | grep -E '^(n=|parts)')"
  done
done
