# Quick start: `make demo` (check a bundled fixture) and `make test` (the whole suite).
PY      := .venv/bin/python
VENV    := .venv/.installed
export OMP_THREAD_LIMIT := 1

.PHONY: setup services demo test lint lock fixtures bench loadtest profile doctor clean

setup: $(VENV)
	@bash scripts/install_system.sh

# The locked versions (hash-checked), then the project itself, editable, without resolving again.
$(VENV): pyproject.toml requirements.txt requirements-dev.txt
	@bash scripts/install_system.sh
	@test -x $(PY) || python3 -m venv .venv
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q --require-hashes -r requirements-dev.txt
	@$(PY) -m pip install -q --no-deps -e .
	@touch $(VENV)

# Re-resolve the lock files from pyproject.toml, keeping every pin that still fits;
# LOCK_ARGS='--upgrade-package NAME' (or '--upgrade') moves pins forward.
LOCK := .venv/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" -q $(LOCK_ARGS)
lock:
	@test -x .venv/bin/uv || { test -x $(PY) || python3 -m venv .venv; $(PY) -m pip install -q uv; }
	@$(LOCK) -o requirements.txt
	@$(LOCK) --extra dev -c requirements.txt -o requirements-dev.txt

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

# The real stack under load with faults (own Redis and PostgreSQL on free ports); writes
# bench/load.json in under 10 minutes. LOADTEST_ARGS='--soak 30' adds a 30-minute soak phase.
loadtest: setup
	@$(PY) -m bench.load $(LOADTEST_ARGS)

profile: setup
	@$(PY) -m bench.profile $(PROFILE_ARGS)

doctor: setup
	@.venv/bin/vidverify doctor

clean:
	rm -rf .venv .pytest_cache .demo-evidence
