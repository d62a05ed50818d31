# `make demo` and `make test` work from a fresh clone: they build .venv and install what is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench graphviz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

graphviz:
	@sh scripts/install-graphviz.sh

demo: $(STAMP) graphviz
	$(BIN)/chainrule demo --out demo-output

test: $(STAMP) graphviz
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python bench/bench_scalar.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .hypothesis
