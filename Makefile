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
	$(PY) -m pip install -q -e '.[dev,llm,ray,sae-bench,study,postgres,interop,track]' $(TORCH)
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/proctor run

test: install
	$(PY) -m pytest -q

# Every benchmark in its short form (each prints its JSON line last and rewrites its block of docs/benchmarks.md);
# the references come with the install (eai-sparsify in the sae-bench extra; langkit in its own venv, made by
# monitor_throughput.py, since it needs numpy<2). Full runs: drop --quick, one script at a time.
BENCHMARKS := $(sort $(filter-out benchmarks/_%,$(wildcard benchmarks/*.py)))

bench: install
	@set -e; for b in $(BENCHMARKS); do echo "== $$b --quick" >&2; $(PY) $$b --quick; done

clean:
	rm -rf $(VENV) proctor-runs .pytest_cache
