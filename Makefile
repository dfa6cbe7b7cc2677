# POD Gateway: every target runs exactly what CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: setup run worker test lint format bench postman openapi-snapshot clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)
	$(FLASK) db upgrade

run: setup
	$(FLASK) config check
	$(FLASK) admin ensure
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

worker: setup
	$(FLASK) worker

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m bench

postman: $(STAMP)
	$(BIN)/python -m sdk.postman

# Rewrite tests/api/snapshots/ after a deliberate change to the OpenAPI documents.
openapi-snapshot: $(STAMP)
	$(BIN)/python -m tests.api.openapi_snapshot

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
