# The two commands: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PEOPLE ?= 20000
SEED ?= 7

.PHONY: demo test install clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Keeps the country already in govcx-data (and its passwords) while PEOPLE and SEED stay the same;
# FRESH=1 starts over.
demo: $(STAMP)
	$(BIN)/govcx demo --people $(PEOPLE) --seed $(SEED) $(if $(FRESH),--fresh)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every string marked for translation, as a gettext template (build/messages.pot): compare it with
# src/govcx/locale/<language>/LC_MESSAGES/*.po to find what is not translated yet (README, "Languages").
messages: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel extract --mapping-file babel.cfg --keywords N_ --no-location --sort-output \
		--project govcx --output-file build/messages.pot .
	$(BIN)/python -m govcx.web.untranslated build/messages.pot

clean:
	rm -rf $(VENV) govcx-data .pytest_cache
