# Two commands for everyone: `make run` (the dashboard) and `make test` (the whole suite).
# Both create .venv and install requirements.txt (versions fixed by constraints.txt) when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
PORT ?= 8501

.PHONY: run test bench lint factors clean

$(STAMP): requirements.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "Python 3.11 ou plus récent est nécessaire ($(PYTHON) est en version $$($(PYTHON) -V 2>&1)). Indiquez-en un autre : make PYTHON=python3.12 …"; exit 1; }
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "Impossible de créer l'environnement virtuel : sous Debian ou Ubuntu, installez le paquet python3-venv (sudo apt install python3-venv), puis relancez."; exit 1; }; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/usage_import.py
	$(BIN)/python bench/admin_exports.py
	$(BIN)/python bench/measure_overhead.py
	$(BIN)/python bench/scenarios.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/concurrency.py
	$(BIN)/python bench/spreadsheet.py

lint: $(STAMP)
	$(BIN)/ruff check .

# Regenerate the tables copied from the installed ecologits package (after a version bump).
factors: $(STAMP)
	$(BIN)/python -m emission_factors.generate_ecologits

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
