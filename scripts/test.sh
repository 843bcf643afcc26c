#!/usr/bin/env bash
# One command for the full check: set up .venv, lint with ruff, run pytest (arguments are passed to pytest).
# pytest runs in FAMILIES_TEST_WORKERS pytest-xdist workers (default 2, this project's machine's cores; 0 runs it in
# one process); the session's two slow builds are made once and shared by the workers (tests/session_builds.py).
#
# Exits 0 only when the lint is clean and pytest ran tests and all passed: pytest's "no tests collected"
# (exit code 5) counts as a failure. Tests needing PostgreSQL or Chromium skip unless configured;
# FAMILIES_REQUIRE_PG=1 / FAMILIES_REQUIRE_BROWSER=1 make them fail instead (CI sets both, see .ci/run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
echo "test: ruff check ."
"$ROOT/.venv/bin/ruff" check .
workers="${FAMILIES_TEST_WORKERS:-2}"
echo "test: pytest -n $workers --dist load $*"
status=0
"$ROOT/.venv/bin/python" -m pytest -n "$workers" --dist load "$@" || status=$?
if [[ "$status" == 5 ]]; then
    echo "test: pytest collected no tests; treating that as a failure" >&2
    exit 1
fi
exit "$status"
