# The README's commands: `make run`, `make test`, `make bench`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint bench bench-dashboard bench-smart-charging dashboard-assets clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/python manage.py runstack

# The independent OCPP client of tests/e2e (ocpp-rpc on Node.js), installed from its lockfile.
NODE_CLIENT := tests/e2e/node
$(NODE_CLIENT)/node_modules/.installed: $(NODE_CLIENT)/package.json $(NODE_CLIENT)/package-lock.json
	npm ci --prefix $(NODE_CLIENT) --no-audit --no-fund
	touch $@

# The independent OCPI 2.2.1 eMSP of tests/e2e (extrawest-ocpi on FastAPI and pydantic 1), in a venv of
# its own: its pins (pydantic 1, an old httpx) must not meet the project's.
OCPI_PARTNER := tests/e2e/ocpi_partner
$(OCPI_PARTNER)/.venv/.installed: $(OCPI_PARTNER)/requirements.txt
	$(PYTHON) -m venv $(OCPI_PARTNER)/.venv
	$(OCPI_PARTNER)/.venv/bin/pip install -q -r $(OCPI_PARTNER)/requirements.txt
	touch $@

# The browser tier's headless Chromium (tests/browser): Debian's package, installed when missing.
# Playwright drives it in place (never `playwright install`, which downloads its own browsers).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq  # only when missing: stale lists would point at versions gone from the mirror
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

# Style, the one-way layering and the types of the plain-Python parts (pyproject.toml):
# the suite does not start while any of them is broken.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=. $(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# Without REDIS_URL, csms.embedded starts a private Redis for the run.
# pytest's exit code 5 (no tests selected) is not a failure of a filtered run.
test: lint $(VENV)/.installed-test $(NODE_CLIENT)/node_modules/.installed $(OCPI_PARTNER)/.venv/.installed $(CHROMIUM)
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m csms.embedded -- $(BIN)/python -m pytest $(PYTEST_ARGS); \
	rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

bench: $(VENV)/.installed-test
	$(BIN)/python bench/ocpp_load.py --chargers 100 --duration 20 --json bench/results/ocpp_load_100.json

# 10,000 stations and a year of 1,000,000 sessions (a few minutes to seed), then the dashboard under load.
# BENCH_DASHBOARD_ARGS="--database-url postgres://postgres@127.0.0.1:5432/voltstack_bench_dashboard" for PostgreSQL.
BENCH_DASHBOARD_ARGS ?=
bench-dashboard: $(VENV)/.installed-test
	$(BIN)/python bench/dashboard.py $(BENCH_DASHBOARD_ARGS)

# Smart charging (issue 13), plain Python: re-plan time for 10, 100 and 500 EVSEs, JSON in bench/results/.
# BENCH_SMART_CHARGING_ARGS="--section allocation --repeat 200" for another run.
BENCH_SMART_CHARGING_ARGS ?=
bench-smart-charging: $(VENV)/.installed-test
	$(BIN)/python bench/smart_charging.py $(BENCH_SMART_CHARGING_ARGS)

# The dashboard's vendored browser libraries, from the npm registry at the versions pinned in
# dashboard/vendor/package.json (committed: the pages need no npm at run time).
CHARTJS_VERSION = $(shell python3 -c "import json; print(json.load(open('dashboard/vendor/package.json'))['dependencies']['chart.js'])")
dashboard-assets:
	rm -rf var/vendor && mkdir -p var/vendor
	cd var/vendor && npm pack --silent chart.js@$(CHARTJS_VERSION) && tar xzf chart.js-$(CHARTJS_VERSION).tgz
	cp var/vendor/package/dist/chart.umd.min.js var/vendor/package/LICENSE.md dashboard/static/dashboard/vendor/chart.js/

clean:
	rm -rf $(VENV) var
