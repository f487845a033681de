# make demo: create .venv, install, audit the bundled Adult data into reports/demo/
# make test: create/use .venv, install with the dev extra, run the test suite on one process per core (pytest-xdist)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the tests, one process per core; a test module stays in one process, so its module-scoped fixtures run once
PARALLEL := -n auto --dist loadfile

.PHONY: demo test test-all lint bench notebooks lessons clean bytecode

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

# auditkit's modules compiled once, as pip does for an installed package: an editable install leaves them to
# each import, and where PYTHONDONTWRITEBYTECODE is set every process (the command, its report kernel, each test's
# subprocess) compiled them again (0.15-0.3 s a process)
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q auditkit

demo: bytecode
	$(BIN)/auditkit demo

test: bytecode
	$(BIN)/python -m pytest $(PARALLEL)

test-all: bytecode
	$(BIN)/python -m pytest $(PARALLEL) -m ""

lint: $(STAMP)
	$(BIN)/ruff check auditkit tests benchmarks

# make notebooks: regenerate the report notebooks from auditkit/report/notebook_cells.py (a test checks they match)
notebooks: $(STAMP)
	$(BIN)/python -m auditkit.report.notebook_cells

# make lessons: write the student versions of the lessons from notebooks/lessons/instructor/ (a test checks they match)
lessons: $(STAMP)
	$(BIN)/python -m auditkit.teach.student

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) reports .pytest_cache
