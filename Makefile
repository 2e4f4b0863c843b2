# The README's commands. Everything installs into .venv from PyPI.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup test demo play bench lint clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

## make test: set everything up, lint, and run the whole test suite
test: setup
	$(PY) -m ruff check quickcart tests bench quickcart.py
	$(PY) -m pytest -q -n 4 --dist loadfile

## make demo: set everything up and watch a customer buy, against local stand-ins
demo: setup
	$(PY) -m quickcart.sandbox.demo

## make play: chat with your own shop in the terminal (stand-ins, no accounts needed)
play: setup
	$(PY) -m quickcart.sandbox.demo --interactive

## make bench: the benchmarks in bench/ (a few minutes)
bench: setup
	$(PY) bench/run.py

lint: setup
	$(PY) -m ruff check quickcart tests bench quickcart.py

clean:
	rm -rf $(VENV) .pytest_cache
