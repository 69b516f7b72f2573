# Two targets are all a newcomer needs: `make run` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint format mutation faults screenshots messages translations clean

# A virtualenv keeps Kaizen's packages away from the system Python. Debian's python3
# may lack the venv module, so fall back to the virtualenv package from PyPI.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || ( $(PYTHON) -m pip install --user --quiet virtualenv && $(PYTHON) -m virtualenv $(VENV) )
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## Install, create the SQLite database, load the demo plant when it is new, and serve.
run: $(VENV)/.installed
	$(BIN)/kaizen db upgrade
	$(BIN)/kaizen demo-data --if-empty
	$(BIN)/kaizen serve

## Install the test tools and run the whole suite (browser tests need /usr/bin/chromium).
test: $(VENV)/.installed-test
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy kaizen

## Mutation testing of the rule modules (tests/mutation/modules.toml); see docs/testing.md.
mutation: $(VENV)/.installed-test
	$(BIN)/python tests/mutation/run.py

## The fault test: a private PostgreSQL cluster restarted under load (root, pg_createcluster).
faults: $(VENV)/.installed-test
	$(BIN)/python tests/faults/run.py

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Gather every marked string into kaizen/translations/messages.pot and update each
## language's messages.po (new strings come in untranslated; see docs/languages.md).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract --mapping-file babel.cfg --keywords _l --keywords lazy_gettext --keywords lazy_pgettext:1c,2 \
		--add-comments TRANSLATORS: --add-location file --sort-output --project Kaizen \
		--output-file kaizen/translations/messages.pot .
	$(BIN)/pybabel update --input-file kaizen/translations/messages.pot \
		--output-dir kaizen/translations --no-fuzzy-matching --ignore-obsolete

## Compile the catalogues now (the app also compiles any stale one when it starts).
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --directory kaizen/translations --statistics

## Refresh the screenshots committed under docs/screenshots.
screenshots: $(VENV)/.installed-test
	KAIZEN_SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest tests/browser

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache test-results .mutation .hypothesis
