# Proctor: `make demo` runs the default suite and prints the report's path; `make test` runs the tests.
# Both create .venv and install everything from scratch. torch is pinned here (a CPU wheel on this disk),
# never as an upper bound in pyproject.toml.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
TORCH  := torch==2.13.0
# The shared data folder beside the checkout, unless the caller points PROCTOR_DATA elsewhere.
export PROCTOR_DATA ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data))

.PHONY: install demo test bench clean

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e '.[dev,llm,ray]' $(TORCH)
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/proctor run

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/w2s_cost.py

clean:
	rm -rf $(VENV) proctor-runs .pytest_cache
