# Serverless Patterns Lab: `make lab` to learn, `make test` to check everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8888

.PHONY: lab test test-fast notebooks bench dot env clean help docs browser-deps

help:
	@echo "make lab        set up (first time) and start JupyterLab on notebooks/"
	@echo "make test       set up and run the whole test suite, notebooks included"
	@echo "make test-fast  the quick inner loop: everything but notebook execution"
	@echo "make bench      run the benchmarks"
	@echo "make docs       build the static site (notebooks executed, cached) into book/_build/html"

# The virtualenv with the pinned packages and the project installed (editable).
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# JupyterLab opens a notebook with its kernel already started (no "Select Kernel" dialog).
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@echo '{"@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": true}}' \
		> $(VENV)/share/jupyter/lab/settings/overrides.json
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
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --port=$(PORT) --no-browser \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root)

test: env browser-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-fast: env
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not notebooks and not browser"

bench: env
	$(BIN)/python benchmarks/harness.py

clean:
	rm -rf $(VENV) .pytest_cache book/_build

# The static site and the browser tests. The book's tooling and Playwright are pinned in
# requirements-docs.txt; the scripts the pages load come from the npm registry (book/site_assets.py).
DOCS_STAMP := $(VENV)/.installed-docs
SITE_ASSETS := book/_build/site-assets/vendor/THIRD-PARTY-LICENSES.txt
CHROMIUM ?= /usr/bin/chromium

# $(call apt,COMMAND,PACKAGE,WHY): install PACKAGE with apt-get when COMMAND is missing and we are root;
# otherwise say how to install it and return non-zero.
apt = command -v $(1) >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing $(2) with apt-get ($(3))..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2) >/dev/null; \
	else \
		echo "$(2) is missing ($(3)). Debian/Ubuntu: sudo apt-get install $(2); macOS: brew install $(4)"; exit 1; \
	fi

$(DOCS_STAMP): requirements-docs.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-docs.txt
	@touch $@

$(SITE_ASSETS): book/package.json book/package-lock.json book/site_assets.py
	@$(call apt,npm,npm,the site's scripts come from the npm registry,node)
	$(BIN)/python book/site_assets.py

# The pages are written afresh (no page left behind by a renamed notebook); executions stay cached
# in book/_build/.jupyter_cache, so an unchanged notebook is not run again.
docs: env $(DOCS_STAMP) $(SITE_ASSETS)
	rm -rf book/_build/html
	$(BIN)/jupyter-book build book --warningiserror --keep-going
	@echo "Site built: open book/_build/html/index.html, or serve it: $(BIN)/python -m http.server -d book/_build/html"

# What the browser tests need: Chromium (CHROMIUM=/path/to/chrome to use another) and the site's
# scripts. Without root, a missing one is named here and the tests that need it are skipped.
browser-deps: env $(DOCS_STAMP)
	@[ -x "$(CHROMIUM)" ] || ($(call apt,$(CHROMIUM),chromium,for the browser tests,--cask chromium)) || true
	@$(MAKE) --no-print-directory $(SITE_ASSETS) || echo "The site's tests will be skipped."
