# The two commands: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: run test lint typecheck unit models bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned, never PyPI's default build (a multi-GB CUDA one): a wheel already on
	# disk (pip's find-links) installs offline, its small dependencies then come with the project;
	# elsewhere the CPU build comes from PyTorch's CPU index.
	$(BIN)/python -m pip install --quiet --no-deps --no-index torch==2.13.0 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet --index-url $(TORCH_INDEX) torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/namesmith run

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

# Retrain the shipped model (engine/make_models.py, kernels pinned to AVX2; about 75 minutes on one core).
models: $(STAMP)
	$(BIN)/python -m engine.make_models

# Each prints JSON; quality needs ../shared/data/names.txt (or --names PATH).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.sampling
	$(BIN)/python -m benchmarks.styles
	$(BIN)/python -m benchmarks.names
	$(BIN)/python -m benchmarks.blends
	$(BIN)/python -m benchmarks.retrain --short-list
	$(BIN)/python -m benchmarks.storage
	$(BIN)/python -m benchmarks.bot_latency
	$(BIN)/python -m benchmarks.replicas
	$(BIN)/python -m benchmarks.quality

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
