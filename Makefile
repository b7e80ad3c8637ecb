# Two commands matter: `make run` (set up and open the studio on the demo workspace) and
# `make test` (set up and pass the whole suite). Everything else is a convenience.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install only when the dependency list changes (stamp files record the last install).
RUN_STAMP  := $(VENV)/.stamp-run
DEV_STAMP  := $(VENV)/.stamp-dev

.PHONY: run test lint bench package clean screenshots

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
	  || { echo "Shoppable Studio needs Python 3.11 or newer (found: $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/studio

lint: $(DEV_STAMP)
	$(BIN)/ruff check studio tests benchmarks packaging docs
	$(BIN)/ruff format --check studio tests benchmarks packaging docs
	$(BIN)/lint-imports
	$(BIN)/mypy

# Unit tests run with Qt made unimportable (the layers below studio.ui must not need it);
# GUI and end-to-end tests run in a second pass with pytest-qt on the offscreen platform.
test: lint
	STUDIO_QT_FREE=1 $(BIN)/python -m pytest -q -p no:pytest-qt tests/unit
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q tests --ignore=tests/unit

bench: $(DEV_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis

# Renders the main views on the demo workspace to docs/screenshots/*.png (offscreen; the README shows them).
screenshots: $(RUN_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python docs/make_screenshots.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python docs/make_insights_screenshot.py

# The desktop app: a PyInstaller one-folder build in dist/shoppable-studio/ (packaging/studio.spec),
# checked by running its own self-test; prints the folder size and the build time.
package: $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[package]'
	$(BIN)/python packaging/build.py --self-test

# Menu entry + icons for this user (~/.local/share, or $XDG_DATA_HOME): starts the built app,
# or the venv's `studio` when nothing is built.
.PHONY: install-desktop uninstall-desktop
install-desktop:
	$(PYTHON) packaging/desktop_entry.py install

uninstall-desktop:
	$(PYTHON) packaging/desktop_entry.py uninstall
