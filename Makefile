# The two commands of the README: `make run` and `make test`.
# Both create a virtual environment in .venv with the Python found as $(PYTHON).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Install relais, migrate the embedded SQLite database, load the demo and serve on :8000.
run: $(STAMP)
	$(BIN)/relais up --demo

## Install relais with its test tools and run the whole test suite (SQLite by default;
## set RELAIS_TEST_DATABASE_URL to run it on PostgreSQL).
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
