# `make demo` and `make test` work from a fresh clone: they build .venv and install what is missing.
# The demo needs only the `all` extra (NumPy, graphviz, matplotlib, tqdm, scikit-learn); tests,
# lint and benchmarks add `dev` (PyTorch and micrograd as oracles, pytest, ruff). A stamp file per
# extra records what is installed, so each target installs only what it lacks, once.
# `make notebooks` adds the `notebooks` extra (dev plus JupyterLab) and opens notebooks/.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
ALL    := $(VENV)/.installed-all
DEV    := $(VENV)/.installed-dev
NB     := $(VENV)/.installed-notebooks

.PHONY: demo test lint bench graphviz notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(ALL): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[all]'
	touch $@

# dev includes all, so its install brings the demo's stamp up to date too
$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(ALL)

# notebooks includes dev (the notebooks import torch, micrograd, scikit-learn)
$(NB): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[notebooks]'
	touch $@ $(DEV) $(ALL)

graphviz:
	@sh scripts/install-graphviz.sh

demo: $(ALL) graphviz
	$(BIN)/chainrule demo --out demo-output

test: $(DEV) graphviz
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

lint: $(DEV)
	$(BIN)/ruff check .

# JUPYTER_PATH first: the kernel named python3 is this .venv's, whatever the user has registered
notebooks: $(NB) graphviz
	JUPYTER_PATH="$(CURDIR)/$(VENV)/share/jupyter" $(BIN)/jupyter lab notebooks

bench: $(DEV)
	$(BIN)/python bench/bench_scalar.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .hypothesis
