# 认证考务平台 — two commands on a fresh clone: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
PORT ?= 8080
export FLASK_APP := app:create_app
export PYTHONPATH := $(CURDIR)

.PHONY: install system-packages run serve test test-pg translations extract lint bench clean stack stack-stop stack-e2e

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed system-packages

# Debian packages the PDFs need: the Noto Sans CJK font embedded in every printable (B9 …) and
# poppler-utils (pdftotext, pdftoppm) that the PDF tests read them with.  Installed when missing
# and run as root; otherwise a hint (or set PDF_FONT_PATH, or put the font into app/fonts/).
SYSTEM_PACKAGES := fonts-noto-cjk poppler-utils
system-packages:
	@if [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || ! command -v pdftotext >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(SYSTEM_PACKAGES)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES)) >/tmp/make-apt.log 2>&1 \
	      || echo "could not install $(SYSTEM_PACKAGES) (see /tmp/make-apt.log): PDFs need a CJK font"; \
	  else \
	    echo "note: install $(SYSTEM_PACKAGES) (apt-get install $(SYSTEM_PACKAGES)) or set PDF_FONT_PATH: PDFs need a CJK font"; \
	  fi; \
	fi

# compiled catalogues are build output (not committed)
translations: install
	$(VENV)/bin/pybabel compile -d translations

db: install translations
	$(FLASK) db upgrade
	$(FLASK) reference

run: db
	$(FLASK) demo
	INPROCESS_BEAT=1 $(FLASK) run --host 127.0.0.1 --port $(PORT)

serve: db
	$(VENV)/bin/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 'app.wsgi:app'

test: install translations
	$(VENV)/bin/pytest

# the suite against PostgreSQL with a real Celery worker on Redis (what CI does second)
test-pg: install translations
	bash .ci/run --pg-only

# re-extract our strings and FAB's, merge them into translations/{zh,en}, report what is left
extract: install
	$(PY) scripts/i18n.py update
	$(PY) scripts/i18n.py check

lint: install
	$(VENV)/bin/ruff check app models views tests benchmarks

bench: install translations
	@for f in benchmarks/*.py; do [ -e "$$f" ] && $(PY) $$f; done; true

# one production topology on this machine (issue 16): PostgreSQL, Redis, gunicorn (STACK_WORKERS, 4),
# Celery workers (STACK_CELERY, 2) and beat on the database platform_stack; see scripts/stack.sh
stack: install translations
	bash scripts/stack.sh start

stack-stop:
	bash scripts/stack.sh stop

# the end-to-end browser test against the running stack (its URL and database from its stack.env)
STACK_DIR ?= $(CURDIR)/instance/stack
stack-e2e: install
	@test -f $(STACK_DIR)/stack.env || { echo "no stack here: make stack first"; exit 1; }
	set -a && . $(STACK_DIR)/stack.env && set +a && E2E_BASE_URL=$$STACK_URL $(VENV)/bin/pytest -p no:cacheprovider \
	  tests/e2e/test_browser.py

clean:
	rm -rf $(VENV) instance/platform.db
