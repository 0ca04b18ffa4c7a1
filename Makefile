# xxgk-search: `make run` sets up and serves; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= data

.PHONY: run test install ingest serve system-deps clean soak

# setup.py compiles indexer/_phrase_slots.c: a change to it reinstalls (and recompiles) too.
$(STAMP): pyproject.toml setup.py indexer/_phrase_slots.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium and a CJK font for the browser tests (never `playwright install`);
# LibreOffice for .doc/.wps.
system-deps:
	@if ! test -x /usr/bin/chromium || ! fc-list 2>/dev/null | grep -qi wqy; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi
	@if ! command -v soffice >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libreoffice-writer-nogui >/dev/null; \
	fi

ingest: $(STAMP)
	$(BIN)/xxgk ingest corpus --data $(DATA)

# Serves under gunicorn (docs/serving.md); `xxgk serve --dev` for the reloading development server.
run: ingest
	$(BIN)/xxgk serve --data $(DATA)

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The load test (tests/load/, docs/benchmarks.md "Load (make soak)"): N generated reports served on
# 127.0.0.1 under locust; not part of `make test`. Reports and data are kept in SOAK_DIR for the same N.
N ?= 100000
SOAK_DIR ?= /tmp/xxgk-soak
LOAD_STAMP := $(VENV)/.installed-load

$(LOAD_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,load]'
	touch $(LOAD_STAMP)

soak: $(LOAD_STAMP)
	$(BIN)/python tests/load/soak.py --n $(N) --soak-dir $(SOAK_DIR)

clean:
	rm -rf $(VENV) $(DATA) tests/artifacts build indexer/*.so
