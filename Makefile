# Educussion: the README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: help install translations db demo run test test-fast lint bench bench-search bench-export extract-messages clean

help:
	@echo "make run    set up (virtualenv, install, migrate, demo data) and serve http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite (SQLite; set EDUCUSSION_TEST_DATABASE_URL for PostgreSQL)"
	@echo "make test-fast  the suite without the browser tests and the real-server tests (for the edit-test loop)"
	@echo "make lint   flake8 and the import contracts (lint-imports)"
	@echo "make bench  run the benchmarks (prints figures)"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: setup.cfg | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	# setuptools' notice about editable installs is advice for package authors, not for this set-up.
	PYTHONWARNINGS="ignore:Editable installation:UserWarning" $(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d educussion/translations -f -q 2>/dev/null || $(BIN)/pybabel compile -d educussion/translations -f

db: install
	$(BIN)/flask db upgrade

demo: db
	@$(BIN)/flask demo load --if-empty
	@$(BIN)/flask search sync

run: demo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The edit-test loop: everything but the browser tests and the tests that start real servers.
test-fast: install
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

# flake8, then the import contracts in setup.cfg ([importlinter]: layers, who may import what).
lint: install
	$(BIN)/flake8 educussion tests bench wsgi.py
	$(BIN)/lint-imports --no-cache --no-logo

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --ignore-dirs=".* __pycache__" --no-location --sort-output -o educussion/translations/messages.pot .
	$(BIN)/pybabel update -i educussion/translations/messages.pot -d educussion/translations --no-fuzzy-matching --ignore-obsolete

bench: install
	$(BIN)/python bench/pages.py

bench-search: install
	$(BIN)/python bench/search.py

bench-export: install
	$(BIN)/python bench/export.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
