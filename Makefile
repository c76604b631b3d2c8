# The two commands of the README: `make run` and `make test`.
# Both create a virtual environment in .venv with the Python found as $(PYTHON).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint clean

# Exactly the versions of requirements.lock, checked against their hashes, then relais itself.
# Both steps use --no-deps, so pip resolves nothing. That is also why the pip that
# `python -m venv` gives is enough and is not upgraded: pip 23.2 (Python 3.11.7's) gives up
# resolving these dependencies, but it installs a lock. The build backend comes from the lock
# too (--no-build-isolation). `pip check` fails if pyproject.toml asks for a package the lock
# lacks: refresh the lock then, as the README says.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
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
