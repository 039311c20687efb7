# Two commands for everyone: `make run` (the dashboard) and `make test` (the whole suite).
# Both create .venv and install requirements.txt when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
PORT ?= 8501

.PHONY: run test bench lint factors clean

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "Impossible de créer l'environnement virtuel : sous Debian/Ubuntu, installez le paquet python3-venv (sudo apt install python3-venv)."; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/engine.py

lint: $(STAMP)
	$(BIN)/ruff check .

# Regenerate the tables copied from the installed ecologits package (after a version bump).
factors: $(STAMP)
	$(BIN)/python -m emission_factors.generate_ecologits

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
