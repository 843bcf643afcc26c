#!/usr/bin/env bash
# The quick loop: ruff, then every test not marked slow, in two pytest-xdist workers (arguments go to pytest).
#
# Slow tests (session-built publications, browsers, tests over ~10 s) are left out; `make test` (and CI) run
# everything in one process. Exits like scripts/test.sh: pytest's "no tests collected" counts as a failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
echo "quick: ruff check ."
"$ROOT/.venv/bin/ruff" check .
echo "quick: pytest -n ${FAMILIES_QUICK_WORKERS:-2} --dist load -m 'not slow' $*"
status=0
"$ROOT/.venv/bin/python" -m pytest -q -p no:cacheprovider -n "${FAMILIES_QUICK_WORKERS:-2}" --dist load \
    -m "not slow" "$@" || status=$?
if [[ "$status" == 5 ]]; then
    echo "quick: pytest collected no tests; treating that as a failure" >&2
    exit 1
fi
exit "$status"
