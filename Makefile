# 认证考务平台 — two commands on a fresh clone: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
PORT ?= 8080
export FLASK_APP := app:create_app
export PYTHONPATH := $(CURDIR)

.PHONY: install run serve test test-pg translations extract lint bench clean

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# compiled catalogues are build output (not committed)
translations: install
	$(VENV)/bin/pybabel compile -d translations

db: install translations
	$(FLASK) db upgrade
	$(FLASK) reference

run: db
	$(FLASK) demo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

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

clean:
	rm -rf $(VENV) instance/platform.db
