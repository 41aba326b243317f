# Two commands set everything up on a fresh machine:
#   make serve   install into .venv, then serve the site with live verification (--dirty:
#                a save re-renders only the changed pages; see BENCHMARKS.md)
#   make test    install into .venv (and Chromium for the browser tests), then run the tests
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve build test lint browser

$(BIN)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

serve: $(BIN)/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dirty

build: $(BIN)/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

browser:
	@command -v chromium >/dev/null || { \
	  echo "Installing Chromium (Debian package) for the browser tests"; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(BIN)/.installed browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
