# darkfleet: two entry points for a fresh machine, `make demo` and `make test`.
# Each creates its own virtual environment. Debian packages are installed here when missing:
# what PyICU needs to build (followthemoney / nomenklatura), the Pango / HarfBuzz libraries
# WeasyPrint needs for PDF reports, and Chromium, which the report tests render pages with.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DEBIAN_PKGS := libicu-dev pkg-config g++ libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
	libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core chromium
SHARED_DATA ?= ../shared/data

.PHONY: demo test bench bench-events bench-optical lint clean debian ui

debian:
	@missing=""; for p in $(DEBIAN_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | debian $(BIN)/activate
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/darkfleet demo --data $(SHARED_DATA) --out build/demo

test: $(VENV)/.installed
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/decode.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/screening.py
	$(BIN)/python benchmarks/sar.py

# The long ones: 50M positions (movingpandas is installed for the comparison), a full S2 tile.
bench-events: $(VENV)/.installed
	$(BIN)/pip install -q movingpandas
	$(BIN)/python benchmarks/events.py

bench-optical: $(VENV)/.installed
	$(BIN)/python benchmarks/optical.py

# Rebuild the web UI bundle (committed in src/darkfleet/web/static/, so installing needs no node).
ui:
	cd ui && npm ci && npm run build

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) build .pytest_cache
