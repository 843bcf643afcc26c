# The two commands: `make run` (dashboard on http://127.0.0.1:8501) and `make test` (lint + full test suite).
# Each target calls a script in scripts/, so the same steps work without make.

.PHONY: run test quick setup demo bench lint clean-data

run:  ## set up .venv, build the demo data if missing, serve the dashboard
	bash scripts/run.sh

test:  ## set up .venv, ruff, pytest (pass pytest arguments with ARGS="...")
	bash scripts/test.sh $(ARGS)

quick:  ## ruff + the tests not marked slow, in two pytest-xdist workers (pass pytest arguments with ARGS="...")
	bash scripts/quick.sh $(ARGS)

setup:  ## create .venv and install the pinned requirements (skipped when unchanged)
	bash scripts/setup.sh

demo:  ## rebuild the demo database and its published tables (SQLite, or synthetic data at FAMILIES_DB_URL)
	bash scripts/setup.sh
	bash scripts/build-demo.sh --force

bench:  ## time start-up and first render (figures for docs/benchmarks.md)
	bash scripts/setup.sh
	bash scripts/build-demo.sh
	.venv/bin/python benchmarks/bench_app.py

lint:
	bash scripts/setup.sh
	.venv/bin/ruff check .

clean-data:  ## delete generated demo databases (data/)
	rm -rf data/
