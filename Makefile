# Serverless Patterns Lab: `make lab` to learn, `make test` to check everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8888

.PHONY: lab test test-fast notebooks bench dot env clean help

help:
	@echo "make lab        set up (first time) and start JupyterLab on notebooks/"
	@echo "make test       set up and run the whole test suite, notebooks included"
	@echo "make test-fast  the quick inner loop: everything but notebook execution"
	@echo "make bench      run the benchmarks"

# The virtualenv with the pinned packages and the project installed (editable).
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

env: $(STAMP) dot

# Graphviz's `dot` renders the diagrams: installed through apt when missing and we are root.
dot:
	@if command -v dot >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Graphviz (dot) with apt-get..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "Graphviz's 'dot' is missing. Install it, then run make again:"; \
		echo "  Debian/Ubuntu: sudo apt-get install graphviz   macOS: brew install graphviz"; \
		echo "  conda: conda install -c conda-forge graphviz"; \
		exit 1; \
	fi

lab: env
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --port=$(PORT) --no-browser

test: env
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-fast: env
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not notebooks"

bench: env
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) .pytest_cache
