# Quick start: `make demo` (check a bundled fixture) and `make test` (the whole suite).
PY      := .venv/bin/python
VENV    := .venv/.installed
export OMP_THREAD_LIMIT := 1

.PHONY: setup services demo test lint fixtures bench profile doctor clean

setup: $(VENV)
	@bash scripts/install_system.sh

$(VENV): pyproject.toml
	@bash scripts/install_system.sh
	@test -x $(PY) || python3 -m venv .venv
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $(VENV)

services: setup
	@bash scripts/start_services.sh

demo: setup
	@$(PY) -m vidverify.demo

test: services
	@$(PY) -m pytest -q

lint: setup
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .

fixtures: setup
	@$(PY) -m fixtures.generate

bench: setup
	@$(PY) -m bench.run $(BENCH_ARGS)

profile: setup
	@$(PY) -m bench.profile $(PROFILE_ARGS)

doctor: setup
	@.venv/bin/vidverify doctor

clean:
	rm -rf .venv .pytest_cache .demo-evidence
