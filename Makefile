# xxgk-search: `make run` sets up and serves; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= data

.PHONY: run test install ingest serve system-deps clean fuzz soak

# setup.py compiles indexer/_phrase_slots.c: a change to it reinstalls (and recompiles) too.
$(STAMP): pyproject.toml setup.py indexer/_phrase_slots.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian's packages (never `playwright install`): chromium and a CJK font for the browser tests,
# LibreOffice for .doc/.wps, libGL and GLib, which OpenCV (under the OCR engine, whose models
# come in its wheel) loads, and Ghostscript, with which a test turns a PDF's text into outlines.
# Installed only where one is missing.
SYSTEM_PACKAGES := chromium fonts-wqy-microhei libreoffice-writer-nogui libgl1 libglib2.0-0 ghostscript
system-deps:
	@if ! test -x /usr/bin/chromium || ! fc-list 2>/dev/null | grep -qi wqy || ! command -v soffice >/dev/null \
			|| ! ldconfig -p | grep -q libGL.so.1 || ! command -v gs >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

ingest: $(STAMP) system-deps
	$(BIN)/xxgk ingest corpus --data $(DATA)

# Serves under gunicorn (docs/serving.md); `xxgk serve --dev` for the reloading development server.
run: ingest
	$(BIN)/xxgk serve --data $(DATA)

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Coverage-guided fuzzing (atheris), FUZZ_SECONDS per target; not part of `make test`. A crash is
# kept as tests/fixtures/fuzz_<target>_crash-*, which tests/test_hostile.py then replays.
FUZZ_SECONDS ?= 120
FUZZ_TARGETS ?= query txt md html mhtml docx pdf ofd image $(if $(shell command -v soffice),doc)
FUZZ_STAMP := $(VENV)/.installed-fuzz

$(FUZZ_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,fuzz]'
	touch $(FUZZ_STAMP)

fuzz: $(FUZZ_STAMP)
	@status=0; for target in $(FUZZ_TARGETS); do \
		echo "== fuzz $$target ($(FUZZ_SECONDS) s)"; \
		log=$$(mktemp); scratch=$$(mktemp -d); \
		TMPDIR=$$scratch $(BIN)/python tests/fuzz/fuzz.py $$target -max_total_time=$(FUZZ_SECONDS) -timeout=60 \
			-rss_limit_mb=3072 -artifact_prefix=tests/fixtures/fuzz_$${target}_ -print_final_stats=1 >$$log 2>&1 \
			|| status=1; \
		grep -E '^(stat::|Done|==[0-9]+== ERROR|.*Uncaught Python exception|.*Test unit written)' $$log; \
		rm -rf $$log $$scratch; \
	done; \
	if [ $$status != 0 ]; then echo "fuzz: crashes found, kept in tests/fixtures/fuzz_*"; fi; exit $$status

# The load test (tests/load/, docs/benchmarks.md "Load (make soak)"): N generated reports served on
# 127.0.0.1 under locust; not part of `make test`. Reports and data are kept in SOAK_DIR for the same N.
N ?= 100000
SOAK_DIR ?= /tmp/xxgk-soak
# Measure a server that has been running: 30 s of the same load first, unmeasured (SOAK_ARGS= for a
# cold start; soak.py --help for --rate, --no-response-cache, --profile).
SOAK_ARGS ?= --warm-up 30
LOAD_STAMP := $(VENV)/.installed-load

$(LOAD_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,load]'
	touch $(LOAD_STAMP)

soak: $(LOAD_STAMP)
	$(BIN)/python tests/load/soak.py --n $(N) --soak-dir $(SOAK_DIR) $(SOAK_ARGS)

clean:
	rm -rf $(VENV) $(DATA) tests/artifacts build indexer/*.so
