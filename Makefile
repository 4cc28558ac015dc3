# Two commands set everything up on a fresh machine:
#   make demo   -- the default validation suite under mpirun -n 2
#   make test   -- every test, serial and on 2 ranks, under a timeout
#   make docs   -- the documentation (Sphinx) into docs/_build/html, warnings are errors
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NP    ?= 2
TEST_TIMEOUT ?= 1200
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: demo test test-serial test-mpi test-mpi3 docs bench bench-nonlocal clean

# Find a Python >= 3.12 (3.12 preferred: every wheel we use exists for it): on PATH first, else among pyenv's installed versions.
define find_python
for c in python3.12 python3.13 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V); do \
  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$c; exit 0; fi; \
done; exit 1
endef

$(STAMP): pyproject.toml
	@py=$$($(find_python)) || { echo "advmcf needs Python >= 3.12 (DOLFINx 0.11): install python3.12 or newer (e.g. 'pyenv install 3.12') and run make again." >&2; exit 1; }; \
	echo "creating $(VENV) with $$py"; \
	test -x $(PY) || $$py -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[fenicsx,test,docs]'
	@touch $(STAMP)

demo: $(STAMP)
	mpirun -n $(NP) advmcf run quick --out results/quick

test: test-serial test-mpi test-mpi3

test-serial: $(STAMP)
	timeout $(TEST_TIMEOUT) $(PY) -m pytest -m "not parallel or parallel[1]" tests

test-mpi: $(STAMP)
	timeout $(TEST_TIMEOUT) mpiexec -n 2 $(PY) -m pytest -m "parallel[2]" -p no:cacheprovider tests

# The few tests that also compare 3 ranks with 1 (oversubscribed on 2 cores).
test-mpi3: $(STAMP)
	timeout $(TEST_TIMEOUT) mpiexec -n 3 $(PY) -m pytest -m "parallel[3]" -p no:cacheprovider tests

docs: $(STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -E -q -b html docs docs/_build/html
	@echo "documentation: docs/_build/html/index.html"

# Benchmarks write benchmarks/results/ (minutes to hours; never part of make test).
bench: $(STAMP)
	mpirun -n 1 $(PY) benchmarks/fem_mcf_step.py
	mpirun -n 2 $(PY) benchmarks/fem_mcf_step.py
	$(PY) benchmarks/fem_mcf_work_precision.py disc
	mpirun -n 2 $(PY) benchmarks/fem_mcf_work_precision.py sphere
	$(MAKE) bench-nonlocal

# The rows of the README's nonlocal step table (16 minutes on the idle 2-core machine, 2026-12-06).
bench-nonlocal: $(STAMP)
	$(PY) benchmarks/nonlocal_step.py --sizes 256 512 1024 --k 4 8 16 --configs pseudoflow/isotropic
	$(PY) benchmarks/nonlocal_step.py --sizes 256 512 --k 4 8 16 --configs pseudoflow/isotropic --ranks 2 3
	$(PY) benchmarks/nonlocal_step.py --dim 3 --sizes 48 --k 4 --configs pseudoflow/isotropic pseudoflow/plain
	$(PY) benchmarks/nonlocal_step.py --dim 3 --sizes 48 --k 4 --configs pseudoflow/isotropic --ranks 2 3
	$(PY) benchmarks/nonlocal_step.py --sizes 256 --k 4 8 16 --configs push-relabel/isotropic pseudoflow/plain
	$(PY) benchmarks/nonlocal_step.py --dim 3 --sizes 48 --k 4 --configs push-relabel/isotropic
	$(PY) benchmarks/nonlocal_model.py

clean:
	rm -rf $(VENV) build *.egg-info docs/_build docs/_generated
