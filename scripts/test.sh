#!/usr/bin/env bash
# One command for the full check: set up .venv, lint with ruff, run pytest (arguments are passed to pytest).
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
echo "test: pytest $*"
status=0
"$ROOT/.venv/bin/python" -m pytest "$@" || status=$?
if [[ "$status" == 5 ]]; then
    echo "test: pytest collected no tests; treating that as a failure" >&2
    exit 1
fi
exit "$status"
