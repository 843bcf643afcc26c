#!/usr/bin/env bash
# One command from a fresh clone to the running dashboard: set up .venv, build the demo data if missing, serve.
#
# Serves on http://127.0.0.1:${PORT:-8501}. FAMILIES_DB_URL points it at another database (see docs/running.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
bash scripts/build-demo.sh
PORT="${PORT:-8501}"
echo "run: serving the dashboard at http://127.0.0.1:$PORT (Ctrl+C stops it)"
exec "$ROOT/.venv/bin/streamlit" run app.py --server.address 127.0.0.1 --server.port "$PORT" "$@"
