# Serverless Patterns Lab: `make lab` to learn, `make test` to check everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PORT ?= 8888
SERVER_PORT ?= 4599

.PHONY: lab test test-fast notebooks bench dot env test-env preflight server clean help docs browser-deps

help:
	@echo "make lab        set up (first time) and start JupyterLab on notebooks/"
	@echo "make test       set up and run the whole test suite, notebooks included"
	@echo "make test-fast  the quick inner loop: everything but notebook execution"
	@echo "make bench      run the benchmarks"
	@echo "make docs       build the static site (notebooks executed, cached) into book/_build/html"
	@echo "make server     serve the lab's AWS on 127.0.0.1:$(SERVER_PORT) for the AWS CLI (see the README)"
	@echo "make preflight  check Python, make and disk space before anything installs"

# Setting up is one Python script (helpers/setup.py, also the route without make): it checks the
# machine first (helpers/preflight.py), then installs each package set once, again only when its
# requirements file changes. The lab's set is what the notebooks need; the tests' and the site's
# sets come only with `make test` and `make docs`.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) helpers/setup.py env

$(TEST_STAMP): requirements-dev.txt requirements-cli.txt $(STAMP)
	@$(PYTHON) helpers/setup.py env --test

env: $(STAMP) dot

test-env: $(TEST_STAMP) dot

# Python 3.11+, make and disk space, checked before anything installs.
preflight:
	@$(PYTHON) helpers/preflight.py --make

# Graphviz's `dot` renders the diagrams: installed through apt when missing and we are root.
dot:
	@$(PYTHON) helpers/setup.py dot

lab: preflight env
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --port=$(PORT) --no-browser \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root)

# The lab's AWS on 127.0.0.1:$(SERVER_PORT) for the AWS CLI, another notebook or a script (Ctrl-C stops it).
server: preflight env
	$(BIN)/python -m helpers.server --port $(SERVER_PORT)

test: preflight test-env browser-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-fast: preflight test-env
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
