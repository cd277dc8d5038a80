# nnkit: `make run` executes every notebook into build/notebooks/, `make test` runs all tests.
# Everything bootstraps from nothing into .venv (CPU torch pinned by constraints.txt).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
STAMP  := $(VENV)/.installed
DEVICE ?= auto
PYTEST_ARGS ?=
# pytest-xdist workers (auto: one per core), each single-threaded (tests/conftest.py); JOBS=0 runs in one process
JOBS   ?= auto
PYTEST := $(BIN)/python -m pytest -n $(JOBS) --dist worksteal

.PHONY: help install run test test-fast test-unit test-notebooks nbval lab student bench clean

help:
	@echo "make run      execute every notebook (real settings) into build/notebooks/ with HTML and an index page"
	@echo "make test     unit tests plus every notebook in FAST mode"
	@echo "make test-fast  the unit tests not marked slow (about a minute: a quick local loop)"
	@echo "make lab      JupyterLab on notebooks/"
	@echo "make student  student copies (no solutions) in build/student/ (FORCE=1 to overwrite)"
	@echo "make bench    print the performance figures (benchmarks/)"
	@echo "make nbval    run the notebooks through nbval (pytest --nbval-lax)"

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -c constraints.txt torch
	$(PIP) install -c constraints.txt -e ".[dev]"
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python tools/run_notebooks.py --device $(DEVICE)

test: $(STAMP)
	$(PYTEST) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PYTEST) -m "not slow and not notebook" $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(PYTEST) -m "not notebook" $(PYTEST_ARGS)

test-notebooks: $(STAMP)
	$(PYTEST) -m notebook $(PYTEST_ARGS)

nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:python notebooks/

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

student: $(STAMP)
	$(BIN)/python tools/make_student.py $(if $(FORCE),--force)

bench: $(STAMP)
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf build .pytest_cache
