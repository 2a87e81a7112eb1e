# eCabinet developer entry points. `make run` serves the demo; `make test` is what CI runs (.ci/run).

SHELL := /bin/sh
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_HOST := 127.0.0.1
PG_PORT := 5432
PG_TEST_URL := postgresql://postgres@$(PG_HOST):$(PG_PORT)/test
DEJAVU := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

SOFTHSM := /usr/lib/softhsm/libsofthsm2.so

.PHONY: venv install system-deps hsm pg node-deps run lint typecheck test check bench clean distclean

# The virtualenv with the project and its dev tools; re-installed only when pyproject.toml changes.
venv install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "venv: Python >= 3.11 is required (PYTHON=$(PYTHON))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Debian packages the browser tests, the demo papers, backups (pg_dump, pg_restore) and signing
# (SoftHSM2, the PKCS#11 token of the tests and the demo) need; skipped when already present.
SYSTEM_PACKAGES := chromium chromium-driver fonts-dejavu-core postgresql-client softhsm2
system-deps:
	@if [ -x /usr/bin/chromium ] && [ -f $(DEJAVU) ] && command -v pg_dump >/dev/null 2>&1 && [ -f $(SOFTHSM) ]; then \
		echo "system-deps: chromium, DejaVu fonts, the PostgreSQL client and SoftHSM2 are present"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "system-deps: NOTE not root, skipping. Install them with:"; \
		echo "  sudo apt-get update && sudo apt-get install -y $(SYSTEM_PACKAGES)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "system-deps: NOTE no apt-get; install Chromium, its driver, the DejaVu fonts, the PostgreSQL client and SoftHSM2 by hand"; \
	else \
		apt-get update && apt-get install -y $(SYSTEM_PACKAGES); \
	fi

# The PKCS#11 token works: a token is made in .softhsm/ (the suite makes one folder of tokens per
# test process; `make run` keeps the demo's under var/signing/tokens).
hsm: system-deps
	@mkdir -p .softhsm/tokens && rm -rf .softhsm/tokens/* && \
	printf 'directories.tokendir = %s/.softhsm/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$$(pwd)" > .softhsm/softhsm2.conf && \
	SOFTHSM2_CONF=.softhsm/softhsm2.conf softhsm2-util --init-token --free --label ecabinet-check --pin 246810 --so-pin 13579024 >/dev/null && \
	SOFTHSM2_CONF=.softhsm/softhsm2.conf softhsm2-util --show-slots | grep -q ecabinet-check && \
	echo "hsm: SoftHSM2 made a token (label ecabinet-check) in .softhsm/"

# PostgreSQL on 127.0.0.1:5432 for the PostgreSQL half of the suite; started if installed but down.
pg:
	@if pg_isready -q -h $(PG_HOST) -p $(PG_PORT) 2>/dev/null; then \
		echo "pg: PostgreSQL answers on $(PG_HOST):$(PG_PORT)"; \
	elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | tail -n 1) main start \
			|| echo "pg: NOTE could not start PostgreSQL"; \
		for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h $(PG_HOST) -p $(PG_PORT) && break; sleep 1; done; \
	else \
		echo "pg: NOTE PostgreSQL is not installed; the PostgreSQL tests will be skipped"; \
	fi

# JavaScript dependencies pinned in package.json (pdf.js and friends); a no-op until it exists.
ifneq ($(wildcard package.json),)
node-deps: node_modules/.installed

node_modules/.installed: package.json $(wildcard package-lock.json)
	if [ -f package-lock.json ]; then npm ci; else npm install; fi
	touch $@
else
node-deps:
	@echo "node-deps: no package.json, nothing to install"
endif

# Serve the demo on http://127.0.0.1:8000: migrates, seeds an empty database, prints the logins.
run: venv system-deps node-deps
	$(BIN)/python run.py serve --demo

# Lint, formatting and the layers of agenda/ (import-linter), configured in pyproject.toml.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# mypy --strict over agenda, meeting_app and tests (configured in pyproject.toml).
typecheck: venv
	$(BIN)/mypy

# Everything CI runs: lint, types, then the whole suite with branch coverage on both cores, on
# PostgreSQL too when it answers (started here if it is installed but down). Ends with the 15
# slowest tests, so that growth shows.
PYTEST_ALL := $(BIN)/python -m pytest -n 2 --dist loadscope --cov --cov-report=term --slowest=15
# Then, on its own, the click coverage (issue 14): every button and form the crawl of
# tests/browser/test_a11y.py listed was clicked by some browser test of the run above.
PYTEST_CLICKS := ECAB_CLICK_COVERAGE=1 $(BIN)/python -m pytest -n 0 -p no:cacheprovider tests/browser/test_click_coverage.py

test: venv system-deps hsm node-deps pg
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint typecheck || exit 1; \
	rm -rf test-output/clicks test-output/inventory; \
	if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "test: TEST_DATABASE_URL is set by the caller"; \
		$(PYTEST_ALL) || exit 1; \
	elif pg_isready -q -h $(PG_HOST) -p $(PG_PORT) 2>/dev/null; then \
		echo "test: PostgreSQL answers; TEST_DATABASE_URL=$(PG_TEST_URL)"; \
		TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST_ALL) || exit 1; \
	else \
		echo "test: PostgreSQL does not answer; TEST_DATABASE_URL is unset, the PostgreSQL tests are skipped"; \
		$(PYTEST_ALL) || exit 1; \
	fi; \
	$(PYTEST_CLICKS) || exit 1; \
	echo "test: lint, types and the suite took $$(( $$(date +%s) - start )) s"

# The quick loop while developing: lint, types, and the suite on SQLite only, without Chromium
# and without the tests that start server processes (PostgreSQL's half and the cluster). CI runs
# `make test`, never this.
check: venv
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint typecheck || exit 1; \
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -n 2 --dist loadscope -m "not browser and not slow and not postgres" \
		--slowest=10 || exit 1; \
	echo "check: took $$(( $$(date +%s) - start )) s"

# The bench-only baselines (pikepdf for bench/papers.py), on top of the dev install.
$(VENV)/.bench-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

# The performance scripts in bench/; each prints its figures (tests never time anything).
bench: venv $(VENV)/.bench-installed
	@found=; for script in bench/*.py; do \
		[ -f "$$script" ] || continue; found=1; \
		echo "== $$script"; $(BIN)/python "$$script" || exit 1; \
	done; [ -n "$$found" ] || echo "bench: no scripts in bench/ yet"

# Caches, coverage and build output; keeps .venv, node_modules and var/ (the local data).
clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .coverage coverage.xml htmlcov build dist test-output
	find . -path ./.venv -prune -o -path ./node_modules -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# clean, plus the virtualenv, node_modules and the package metadata.
distclean: clean
	rm -rf $(VENV) node_modules *.egg-info
