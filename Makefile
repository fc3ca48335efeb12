# NVQ Portfolio: the two commands are `make run` and `make test`.
# Everything else here is what those two are built from.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall only when the dependency list changes, so a second `make run` is quick.
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Front-end libraries vendored from the npm registry (pages must work with no internet).
BOOTSTRAP_VERSION := 5.3.9
HTMX_VERSION      := 2.0.11
TRIX_VERSION      := 2.1.19
# Fonts for PDFs and diagrams, shipped so that output looks the same on every machine.
DEJAVU_VERSION    := 2.37.3
# axe-core checks the pages' accessibility in tests/browser (vendored there, not served).
AXE_VERSION       := 4.14.1

.DEFAULT_GOAL := help
.PHONY: help run test setup lint format vendor vendor-axe clean

help:
	@echo "make run     set everything up and serve http://$(HOST):$(PORT) with a Celery worker"
	@echo "make test    set up and run the whole test suite"
	@echo "make bench   benchmarks on PostgreSQL and Redis, one table of figures (docs/benchmarks.md)"
	@echo "make load    only the load run: 100 users for 60 s, checks no server errors, no lost uploads"
	@echo "make lint    ruff check and format check"
	@echo "make format  apply ruff's fixes and formatting"
	@echo "make vendor  re-download Bootstrap, htmx, Trix and DejaVu fonts (versions above) into static/vendor/, axe-core into tests/browser/vendor/"
	@echo "make clean   remove .venv and var/ (the local database, media and broker files)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "NVQ Portfolio needs Python 3.11 or newer, found " + sys.version.split()[0] + ". Run: make PYTHON=/path/to/python3.11 ...")'
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV). On Debian or Ubuntu: apt install python3-venv"; exit 1; }

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# Idempotent: migrate, load the catalogue and the demo centre; each reports what it changed.
setup: $(STAMP)
	@mkdir -p var
	@$(BIN)/python manage.py migrate --noinput
	@$(BIN)/python manage.py load_catalogue
	@$(BIN)/python manage.py seed_demo
	@$(BIN)/python manage.py seed_demo_processes

# The web server and one Celery worker together; Ctrl-C stops both.
run: setup
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C stops the server and the worker)"
	@PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) PORT=$(PORT) PYTHONUNBUFFERED=1 \
		$(BIN)/honcho --procfile portfolio_site/Procfile.dev --app-root . start

# bpmn-moddle (the parser bpmn.io uses) checks our BPMN export in tests; without npm those
# tests are skipped and say why.
BPMN_MODDLE := var/node/node_modules/bpmn-moddle/package.json
$(BPMN_MODDLE):
	@mkdir -p var/node
	@if command -v npm >/dev/null; then \
		npm install --silent --prefix var/node --no-audit --no-fund --save-exact bpmn-moddle@10.3.1; \
	else echo "npm not found: the bpmn.io checks will be skipped"; fi

test: $(STAMP) $(BPMN_MODDLE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks: not part of `make test` or CI. They need PostgreSQL and Redis (BENCH_DATABASE_URL,
# default postgres://postgres@127.0.0.1:5432/nvq_bench; BENCH_REDIS_URL, default
# redis://127.0.0.1:6379/5) and keep their files under var/bench-pg/. gunicorn and locust come
# with the `bench` extra, installed beside `dev` under a stamp of their own.
BENCH_STAMP := $(VENV)/.installed-bench
.PHONY: bench load

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	@touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run_all

load: $(BENCH_STAMP)
	$(BIN)/python -m bench.load

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Maintainers only: needs npm and the npm registry. The result is committed.
vendor-axe:
	rm -rf var/vendor-axe && mkdir -p var/vendor-axe tests/browser/vendor/axe-core
	cd var/vendor-axe && npm pack --silent axe-core@$(AXE_VERSION) && tar -xzf axe-core-$(AXE_VERSION).tgz
	cp var/vendor-axe/package/axe.min.js var/vendor-axe/package/LICENSE var/vendor-axe/package/LICENSE-3RD-PARTY.txt tests/browser/vendor/axe-core/
	printf 'axe-core %s (npm: axe-core)\n' $(AXE_VERSION) > tests/browser/vendor/axe-core/VERSION
	rm -rf var/vendor-axe

vendor: vendor-axe
	rm -rf var/vendor && mkdir -p var/vendor static/vendor/bootstrap static/vendor/htmx static/vendor/trix
	cd var/vendor && npm pack --silent bootstrap@$(BOOTSTRAP_VERSION) htmx.org@$(HTMX_VERSION) trix@$(TRIX_VERSION)
	cd var/vendor && tar -xzf bootstrap-$(BOOTSTRAP_VERSION).tgz && mv package bootstrap
	cd var/vendor && tar -xzf htmx.org-$(HTMX_VERSION).tgz && mv package htmx
	cp var/vendor/bootstrap/dist/css/bootstrap.min.css var/vendor/bootstrap/dist/css/bootstrap.min.css.map static/vendor/bootstrap/
	cp var/vendor/bootstrap/dist/js/bootstrap.bundle.min.js var/vendor/bootstrap/dist/js/bootstrap.bundle.min.js.map static/vendor/bootstrap/
	cp var/vendor/bootstrap/LICENSE static/vendor/bootstrap/LICENSE
	cp var/vendor/htmx/dist/htmx.min.js static/vendor/htmx/
	cp var/vendor/htmx/LICENSE static/vendor/htmx/LICENSE
	cd var/vendor && tar -xzf trix-$(TRIX_VERSION).tgz && mv package trix
	cp var/vendor/trix/dist/trix.umd.min.js var/vendor/trix/dist/trix.umd.min.js.map var/vendor/trix/dist/trix.css var/vendor/trix/LICENSE static/vendor/trix/
	mkdir -p static/vendor/dejavu
	cd var/vendor && npm pack --silent dejavu-fonts-ttf@$(DEJAVU_VERSION) && tar -xzf dejavu-fonts-ttf-$(DEJAVU_VERSION).tgz && mv package dejavu
	cd var/vendor/dejavu/ttf && cp DejaVuSans.ttf DejaVuSans-Bold.ttf DejaVuSans-Oblique.ttf DejaVuSans-BoldOblique.ttf DejaVuSansMono.ttf ../../../../static/vendor/dejavu/
	cp var/vendor/dejavu/LICENSE static/vendor/dejavu/LICENSE
	printf 'bootstrap %s (npm: bootstrap)\nhtmx %s (npm: htmx.org)\ntrix %s (npm: trix)\ndejavu fonts %s (npm: dejavu-fonts-ttf)\n' \
		$(BOOTSTRAP_VERSION) $(HTMX_VERSION) $(TRIX_VERSION) $(DEJAVU_VERSION) > static/vendor/VERSIONS
	rm -rf var/vendor

clean:
	rm -rf $(VENV) var
