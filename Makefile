# Two commands do all set-up on a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# PostgreSQL and Redis on this machine by default; override for other set-ups.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEST_CACHE_URL ?= redis://127.0.0.1:6379/1
TEST_BROKER_URL ?= redis://127.0.0.1:6379/2
DEMO_ENV := DATABASE_URL= CELERY_BROKER_URL= DEBUG=true
# The tests run production's settings over plain HTTP with a throw-away key (tests/settings.py does the same).
TEST_ENV := LOCAL_HTTP=true SECRET_KEY=tests-only-not-a-secret-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx

.PHONY: venv demo test lint bench bench-hub bench-load clean chromium gettext messages catalogues lock

# Create or update the environment from the lock file; re-runs only when the inputs change.
$(BIN)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || "$$(.ci/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test]'
	@touch $@

venv: $(BIN)/.installed

demo: venv messages
	$(DEMO_ENV) $(PY) manage.py migrate --no-input
	$(DEMO_ENV) $(PY) manage.py load_reference_data
	$(DEMO_ENV) $(PY) manage.py create_demo_users
	@echo "Evidence links are not checked without a worker: check them with 'DEBUG=true $(PY) manage.py check_links'"
	@echo "Serving on http://127.0.0.1:8000 (Ctrl-C to stop)"
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# Browser tests drive Debian's Chromium; install it when missing and we may (never a downloaded browser).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "WARNING: /usr/bin/chromium missing: browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

# The message catalogues (registry/locale, one per language of settings.LANGUAGES) are compiled here, never
# committed. msgfmt is GNU gettext: installed like Chromium when missing and we may.
PO_FILES := $(wildcard registry/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

gettext:
	@if ! command -v msgfmt >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing GNU gettext for the message catalogues"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else echo "ERROR: msgfmt missing: install GNU gettext (apt-get install gettext)"; exit 1; fi; \
	fi

%.mo: %.po | gettext
	msgfmt --check --output-file=$@ $<

messages: $(MO_FILES)

# After marking new strings: add them to every catalogue (then translate them; tests/registry/test_i18n.py
# fails while any entry is untranslated or fuzzy).
LOCALES := en pt_BR es fr ms id sw zh_Hans
EN_PO := registry/locale/en/LC_MESSAGES/django.po
catalogues: venv gettext
	DEBUG=true $(PY) manage.py makemessages $(LOCALES:%=-l %) --no-obsolete --add-location=file \
	  --ignore='.venv/*' --ignore='tests/*' --ignore='media/*' --ignore='staticfiles/*' --ignore='node_modules/*'
	@# English is the source: every msgstr is its msgid (msgmerge's fuzzy guesses cleared, then msgen).
	msgattrib --no-wrap --clear-fuzzy --clear-previous $(EN_PO) | msgfilter --no-wrap --keep-header sed -e d \
	  | msgen --no-wrap -o $(EN_PO).new - && mv $(EN_PO).new $(EN_PO)

# Two pytest runs. First the whole suite on PostgreSQL, production's database (schemathesis, the broker
# tests and the summary's PostgreSQL SQL need it). Then the tests marked `both_databases` (the list and
# filter API tests, the list and map pages, the FilterSets, the maps, the parameter fuzzing) once more on
# SQLite in memory, the database `make demo` runs on, with the demo's in-process cache and eager tasks:
# what works on one database must not answer 500 on the other.
test: venv chromium messages
	$(BIN)/ruff check .
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CACHE_URL=$${CACHE_URL:-$(TEST_CACHE_URL)} \
	TEST_BROKER_URL=$(TEST_BROKER_URL) $(TEST_ENV) $(PY) manage.py check
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CACHE_URL=$${CACHE_URL:-$(TEST_CACHE_URL)} \
	TEST_BROKER_URL=$(TEST_BROKER_URL) $(PY) -m pytest $(PYTEST_ARGS)
	DATABASE_URL=sqlite://:memory: CACHE_URL= CELERY_BROKER_URL= $(PY) -m pytest $(PYTEST_ARGS) -m both_databases

lint: venv
	$(BIN)/ruff check .

bench: venv
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CACHE_URL=$${CACHE_URL:-$(TEST_CACHE_URL)} \
	$(TEST_ENV) $(PY) -m tests.benchmarks.bench_maps --drop-after $(BENCH_ARGS)

# The Hub snapshot import (issue 15) on a synthetic snapshot, 2M models by default; options in BENCH_HUB_ARGS.
bench-hub: venv
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CACHE_URL=$${CACHE_URL:-$(TEST_CACHE_URL)} \
	$(TEST_ENV) $(PY) -m tests.benchmarks.bench_hub --drop-after $(BENCH_HUB_ARGS)

# The load run (issue 14) on a PostgreSQL and a Redis of its own; LOAD_SECONDS, LOAD_CLIENTS, LOAD_RECORDS size it.
bench-load: venv
	$(PY) -m tests.benchmarks.bench_load

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock: venv
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) staticfiles .pytest_cache db.sqlite3 $(MO_FILES)
