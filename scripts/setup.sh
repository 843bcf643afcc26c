#!/usr/bin/env bash
# Create .venv and install the pinned requirements (idempotent: skipped when nothing changed).
#
# uv installs the pins in seconds; pip is the fallback if uv cannot be installed or fails.
# A stamp file holds a hash of the requirements files and the Python version; when it matches, nothing is done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
STAMP="$VENV/.requirements.sha256"
UV_VERSION="0.13.8"

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "setup: creating $VENV with $($PYTHON --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
fi

wanted="$( { cat requirements.txt requirements-dev.txt; "$VENV/bin/python" --version; } | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$wanted" ]]; then
    echo "setup: requirements already installed in .venv"
    exit 0
fi

echo "setup: installing pinned requirements into .venv"
rm -f "$STAMP"
installed=0
if "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "uv==$UV_VERSION"; then
    if "$VENV/bin/uv" pip install --python "$VENV/bin/python" --quiet -r requirements-dev.txt; then
        installed=1
        # Each fresh install (every CI run clones afresh) leaves the previous build of the pyspark source
        # distribution behind in uv's cache, about 0.9 GB a time: 55 of them had filled 49 GB of this machine's
        # disk (2026-12-01). Pruning keeps the entries the install used and deletes the unreachable ones.
        "$VENV/bin/uv" cache prune --quiet || echo "setup: uv cache prune failed (nothing else is affected)" >&2
    else
        echo "setup: uv failed; falling back to pip" >&2
    fi
else
    echo "setup: could not install uv; falling back to pip" >&2
fi
if [[ "$installed" == 0 ]]; then
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
fi
echo "$wanted" > "$STAMP"
echo "setup: done"
