# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
KERN_VERSION := 2.7.2
# Find a Python >= 3.12: the pinned pyenv version first, then whatever is on the PATH.
PYTHON ?= $(shell for p in "$$(pyenv root 2>/dev/null)/versions/$$(cat .python-version)/bin/python" python3.13 python3.12 python3; do \
	if command -v "$$p" >/dev/null 2>&1 && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then command -v "$$p"; break; fi; done)

.PHONY: idp-packages help run serve test bench bench-pdf lint typecheck pytest messages compilemessages check-translations vendor-kern vendor-axe system-packages clean

help:
	@echo "make run    – start the portal with demo data on http://127.0.0.1:8000 (PORT=, SANDBOX_PORT=)"
	@echo "make test   – run linters, type checks and every test"
	@echo "make serve  – the production server (gunicorn, settings from the environment)"
	@echo "make bench  – load benchmark on PostgreSQL with gunicorn and wrk (make bench-pdf: PDF only)"

$(PY):
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 or newer is needed (pyenv install 3.13.0, or apt-get install python3)." >&2; exit 1; fi
	@echo "Creating the virtual environment in $(VENV) …"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check --upgrade pip

# The installs show pip's progress: the first one takes a few minutes.
$(VENV)/.installed: requirements.txt | $(PY)
	@echo "Installing the Python packages of requirements.txt (the first time takes a few minutes) …"
	$(PIP) install --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	@echo "Installing the Python packages of requirements-dev.txt (the first time takes a few minutes) …"
	$(PIP) install --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

# Management commands that only build or inspect need no production settings.
MANAGE := DEBUG=true $(PY) manage.py

# The compiled catalogue (django.mo) is committed, so that a production install that runs
# no make speaks German; a test fails when it no longer matches django.po.
compilemessages: $(VENV)/.installed
	@$(MANAGE) compilemessages --ignore '.venv' --ignore 'var' --verbosity 0

# Ports of `make run`: make run PORT=8001 SANDBOX_PORT=8766 IDP_PORT=8791
PORT ?= 8000
SANDBOX_PORT ?= 8765
SANDBOX_URL := http://127.0.0.1:$(SANDBOX_PORT)
IDP_PORT ?= 8790
IDP_URL := http://127.0.0.1:$(IDP_PORT)

# The demo identity provider for single sign-on (tests/idp: npm oidc-provider, pinned by its
# lockfile), installed with `npm ci` where Node.js is; without it the demo runs without
# "Mit Dienstkonto anmelden" and the SSO tests are skipped (they fail in CI).
idp-packages:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		if [ ! -e tests/idp/node_modules/.installed ] || [ tests/idp/package-lock.json -nt tests/idp/node_modules/.installed ]; then \
			echo "Installing the demo identity provider (npm ci in tests/idp) …"; \
			(cd tests/idp && npm ci --no-audit --no-fund --loglevel=error) && touch tests/idp/node_modules/.installed \
			  || echo "npm ci in tests/idp failed: no demo identity provider; the SSO tests are skipped (in CI they fail)."; \
		fi; \
	else \
		echo "Node.js is missing: no demo identity provider (single sign-on); install it with: sudo apt-get install nodejs npm"; \
	fi

# The portal, one background worker and the sandbox, all in the background of one shell:
# Ctrl+C, or SIGTERM to make (kill %1 / kill <pid>), stops all three; so does any of them
# ending on its own (a port in use, say). The addresses are printed once all three answer
# (scripts/wait_until_ready.py, at most READY_TIMEOUT seconds).
READY_TIMEOUT ?= 120
run: $(VENV)/.installed idp-packages
	$(MANAGE) migrate --verbosity 0
	FITCONNECT_SANDBOX_URL=$(SANDBOX_URL) SSO_DEMO_ISSUER=$(IDP_URL) $(MANAGE) seed_demo
	PORTAL_BASE_URL=http://127.0.0.1:$(PORT) $(MANAGE) run_scheduled_jobs
	@export FITCONNECT_SANDBOX_URL=$(SANDBOX_URL) PORTAL_BASE_URL=http://127.0.0.1:$(PORT); \
	$(MANAGE) fitconnect_sandbox --port $(SANDBOX_PORT) --state-file var/sandbox-state.json & sandbox=$$!; \
	$(MANAGE) db_worker & worker=$$!; \
	$(MANAGE) runserver 127.0.0.1:$(PORT) & portal=$$!; \
	idp=""; \
	if command -v node >/dev/null 2>&1 && [ -d tests/idp/node_modules/oidc-provider ]; then \
		IDP_PORT=$(IDP_PORT) PORTAL_BASE_URLS=http://127.0.0.1:$(PORT),http://localhost:$(PORT) \
		  node tests/idp/server.mjs & idp=$$!; \
	fi; \
	trap 'exit 0' INT TERM; \
	trap 'kill $$portal $$worker $$sandbox $$idp 2>/dev/null; wait' EXIT; \
	$(PY) scripts/wait_until_ready.py http://127.0.0.1:$(PORT)/healthz $(SANDBOX_URL)/ \
	  --timeout $(READY_TIMEOUT) --pid $$portal --pid $$worker --pid $$sandbox $${idp:+--pid $$idp} || exit 1; \
	echo "The portal runs on http://127.0.0.1:$(PORT), the FIT-Connect sandbox on $(SANDBOX_URL), a background worker beside them – stop all with Ctrl+C."; \
	if [ -n "$$idp" ]; then \
		echo "The demo identity provider runs on $(IDP_URL): \"Mit Dienstkonto anmelden\" on the sign-in page, e.g. mira.muster@musterstadt.example with the password Dienstkonto-Demo-2026 (README, Single sign-on)."; \
	else \
		echo "Node.js is missing: the portal runs without the demo identity provider (no \"Mit Dienstkonto anmelden\")."; \
	fi; \
	$(MANAGE) watch_cycle --due-now; \
	wait -n

# The production server on this machine: migrate, collect the static files, gunicorn with
# gunicorn.conf.py. Production settings (DEBUG off), so SECRET_KEY, ALLOWED_HOSTS and the
# rest come from the environment; see README, "Production". Start a worker beside it with
# `.venv/bin/python manage.py db_worker`.
serve: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	GUNICORN_BIND=$${GUNICORN_BIND:-127.0.0.1:$(PORT)} $(VENV)/bin/gunicorn -c gunicorn.conf.py

# System packages the tests need: Chromium for browser tests, poppler-utils for PDF text,
# DejaVu Sans for the check-box glyphs in PDFs, curl and jq for the README's pipeline example.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v curl >/dev/null 2>&1 || missing="$$missing curl"; \
	command -v jq >/dev/null 2>&1 || missing="$$missing jq"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	fc-list 2>/dev/null | grep -q "DejaVu Sans" || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing system packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "Missing system packages:$$missing. Install them with: sudo apt-get install$$missing" >&2; exit 1; \
		fi; \
	fi

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed-dev
	DEBUG=true $(VENV)/bin/mypy portal checklist notifications api fitconnect bench watch sso

check-translations: $(VENV)/.installed-dev
	$(MANAGE) check_translations

pytest: $(VENV)/.installed-dev
	$(PY) -m pytest -n 2

test: system-packages idp-packages $(VENV)/.installed-dev lint typecheck check-translations
	$(MANAGE) makemigrations --check --dry-run
	$(PY) -m pytest -n 2

# Benchmarks print ratios measured in one run; they are not part of `make test`.
# make bench: gunicorn on PostgreSQL (database portal_bench) driven by wrk; see bench/load_bench.py.
BENCH_DATABASE_URL ?= postgres://portal:portal@127.0.0.1:5432/portal_bench
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else echo "wrk is missing: sudo apt-get install wrk" >&2; exit 1; fi; }
	@if [ "$$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1; then \
		pg_lsclusters --no-header 2>/dev/null | grep -q '^15 *main' || pg_createcluster 15 main >/dev/null; \
		pg_ctlcluster 15 main start 2>/dev/null || true; \
		for _ in $$(seq 1 30); do pg_isready -q && break; sleep 1; done; \
		su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'portal'\"" | grep -q 1 || \
			su postgres -c "psql -qc \"CREATE ROLE portal LOGIN CREATEDB PASSWORD 'portal'\""; \
		su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'portal_bench'\"" | grep -q 1 || \
			su postgres -c "psql -qc \"CREATE DATABASE portal_bench OWNER portal\""; \
	fi
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/load_bench.py
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/watch_bench.py

bench-pdf: $(VENV)/.installed-dev
	$(PY) bench/pdf_bench.py

# Extract the UI texts into the German catalogue after changing templates or code, and
# compile it (after translating, run make compilemessages again).
messages: $(VENV)/.installed
	$(MANAGE) makemessages --locale de --no-location --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*'
	@$(MAKE) --no-print-directory compilemessages

# Refresh the vendored axe-core (accessibility checks in the browser tests) from npm.
AXE_VERSION := 4.14.1
vendor-axe:
	tmp=$$(mktemp -d) && cd $$tmp && npm pack axe-core@$(AXE_VERSION) --silent >/dev/null && tar xzf axe-core-*.tgz && \
	cp package/axe.min.js package/LICENSE package/LICENSE-3RD-PARTY.txt $(CURDIR)/tests/browser/vendor/axe-core/ && \
	echo "axe-core $(AXE_VERSION) (npm), MPL-2.0; refresh with make vendor-axe" > $(CURDIR)/tests/browser/vendor/axe-core/VERSION

# Refresh the vendored KERN UX design system (CSS, fonts, licence) from npm.
vendor-kern:
	python3 scripts/vendor_kern.py $(KERN_VERSION)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
