# Two commands for a fresh Debian/Ubuntu machine:  make run   and   make test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test setup system venv lint typecheck pytest clean

run: setup            ## install everything, then run today's session
	$(BIN)/companion session $(ARGS)

test: setup lint typecheck pytest   ## install everything, then run every check and test

setup: system venv

system:               ## system packages (apt-get as root, sudo otherwise)
	@bash scripts/install-system-packages.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

lint:
	$(BIN)/ruff check companion tests scripts
	$(BIN)/ruff format --check companion tests scripts

typecheck:
	$(BIN)/mypy

# The suite on PYTEST_WORKERS workers (pytest-xdist; 0 runs it in this one process); the audio
# group of tests/conftest.py is not in effect (see there). Then the tests marked
# `solo` (real-time hearing or timing measured against a bar) run alone, so the other worker's
# load cannot push them past it (tried beside the rest at nice 19: test_live_stop heard 15 of 20
# "stop"s, under its bar of 17, against 18 of 20 alone right after; so they stay alone).
# A crashed worker (a test past its time limit) ends the run: xdist 3.8 replacing it under
# loadgroup hangs. One BLAS thread: NumPy's two spin while waiting
# and took CPU from the rest. Exit status 5 (no test selected, e.g. PYTEST_ARGS naming one file)
# counts as success in either part; any failure fails the target after both parts ran.
PYTEST_WORKERS ?= 2
PYTEST := OPENBLAS_NUM_THREADS=1 $(BIN)/pytest -q -ra

pytest:
	@status=0; \
	$(PYTEST) --durations=25 -n $(PYTEST_WORKERS) --dist loadgroup --max-worker-restart=0 \
	    -m "not solo" $(PYTEST_ARGS) || { s=$$?; [ $$s -eq 5 ] || status=$$s; }; \
	$(PYTEST) --durations=5 -m solo $(PYTEST_ARGS) || { s=$$?; [ $$s -eq 5 ] || status=$$s; }; \
	exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
