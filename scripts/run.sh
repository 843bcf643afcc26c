#!/usr/bin/env bash
# One command from a fresh clone to the running dashboard: set up .venv, build the demo data if missing, serve.
#
# Serves on http://127.0.0.1:${PORT:-8501}. FAMILIES_DB_URL points the build steps at another database and
# FAMILIES_PUBLISHED_DB_URL names what the dashboard reads (on PostgreSQL: the reader role's URL; see
# docs/running.md and docs/postgresql.md). With FAMILIES_PUBLISHED_DB_URL and no FAMILIES_DB_URL (a web host that
# holds no owner credentials) nothing is built: the publication is served as it is.
#
# Credentials apart: Streamlit starts with a clean environment (env -i) holding the basics (PATH, HOME, locale,
# time zone, TMPDIR) and FAMILIES_PUBLISHED_DB_URL only. It never sees FAMILIES_DB_URL, and the app refuses to serve
# if it did (pages/_published.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
DB_URL="${FAMILIES_DB_URL:-sqlite:///$ROOT/data/families.db}"
# Before building: on PostgreSQL without the reader's URL there is nothing the web process could be given.
WEB_URL="$(PYTHONPATH="$ROOT" "$ROOT/.venv/bin/python" scripts/demo_state.py --web-url "$DB_URL")"
if [[ -n "${FAMILIES_PUBLISHED_DB_URL:-}" && -z "${FAMILIES_DB_URL:-}" ]]; then
    # A web host: it has the published tables' URL and no linked data to build from. Serve what is published.
    echo "run: FAMILIES_DB_URL is not set: serving the publication at FAMILIES_PUBLISHED_DB_URL, building nothing"
else
    bash scripts/build-demo.sh
fi
PORT="${PORT:-8501}"
echo "run: serving the dashboard at http://127.0.0.1:$PORT (Ctrl+C stops it)"
exec env -i \
    PATH="$PATH" HOME="${HOME:-/nonexistent}" LANG="${LANG:-C.UTF-8}" \
    ${LC_ALL:+"LC_ALL=$LC_ALL"} ${TZ:+"TZ=$TZ"} ${TMPDIR:+"TMPDIR=$TMPDIR"} \
    FAMILIES_PUBLISHED_DB_URL="$WEB_URL" \
    "$ROOT/.venv/bin/streamlit" run app.py --server.address 127.0.0.1 --server.port "$PORT" "$@"
