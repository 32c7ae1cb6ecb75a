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

pytest:               ## one BLAS thread: NumPy's two spin while waiting and took CPU from the rest
	OPENBLAS_NUM_THREADS=1 $(BIN)/pytest -q -ra --durations=30 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
