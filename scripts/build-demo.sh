#!/usr/bin/env bash
# Build the synthetic demo database and its published tables, each only if missing.
#
# Uses FAMILIES_DB_URL when set (e.g. a PostgreSQL database, as its owner), else the SQLite file data/families.db.
# Publish writes where the dashboard reads: FAMILIES_PUBLISHED_DB_URL's database (as FAMILIES_DB_URL's role) when it
# is set, else beside the linked data (data_access.engine.publishing_db_url). FAMILIES_DEMO_FAMILIES /
# FAMILIES_DEMO_SEED change size and seed. `--force` rebuilds both: the default SQLite demo is deleted first; a
# database named by FAMILIES_DB_URL is replaced only if it holds synthetic data (or nothing), never real data.
# Personal (linked) SQLite files are created 0600 in the 0700 folder data/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
PY="$ROOT/.venv/bin/python"
FAMILIES="${FAMILIES_DEMO_FAMILIES:-5000}"
SEED="${FAMILIES_DEMO_SEED:-20240401}"
DEFAULT_DB="$ROOT/data/families.db"
DEFAULT_URL="sqlite:///$DEFAULT_DB"
DB_URL="${FAMILIES_DB_URL:-$DEFAULT_URL}"
force=no
[[ "${1:-}" == "--force" ]] && force=yes

if [[ "$DB_URL" == "$DEFAULT_URL" ]]; then
    mkdir -p -m 700 "$ROOT/data"
    chmod 700 "$ROOT/data"  # it holds the personal (linked) file: owner only, even if made earlier with a wider mode
    if [[ "$force" == yes ]]; then
        rm -f "$ROOT"/data/families.db* "$ROOT"/data/families-published.db*
    fi
fi

state="$("$PY" scripts/demo_state.py "$DB_URL")"
if [[ "$force" == yes && "$DB_URL" != "$DEFAULT_URL" ]]; then
    if [[ "$state" != *"synthetic=yes"* ]]; then
        echo "build-demo: --force refused: FAMILIES_DB_URL holds data that are not marked synthetic" >&2
        exit 2
    fi
    state="linked=no published=no"
fi

if [[ "$state" == *"linked=yes"* ]]; then
    echo "build-demo: demo data already present"
else
    echo "build-demo: building synthetic demo data: $FAMILIES families, seed $SEED"
    if [[ "$DB_URL" == "$DEFAULT_URL" ]]; then
        # Build beside the target and move it into place, so an interrupted build never looks finished.
        rm -f "$ROOT"/data/families.db* "$ROOT"/data/families-published.db* "$ROOT"/data/building-*.db*
        partial="$ROOT/data/building-$$.db"
        trap 'rm -f "$partial"*' EXIT
        "$PY" -m synthetic --families "$FAMILIES" --seed "$SEED" --db "sqlite:///$partial"
        # Fold any write-ahead log into the file before moving it (WAL files are tied to the file name).
        "$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA journal_mode=DELETE"); c.close()' "$partial"
        mv "$partial" "$DEFAULT_DB"
        trap - EXIT
    else
        "$PY" -m synthetic --families "$FAMILIES" --seed "$SEED" --db "$DB_URL"
    fi
    state="linked=yes published=no"
fi

if [[ ! -f "$ROOT/metrics/publish.py" ]]; then
    echo "build-demo: metrics/publish.py does not exist yet; published tables not built"
elif [[ "$state" == *"published=yes"* ]]; then
    echo "build-demo: published tables already present"
else
    echo "build-demo: building published tables"
    "$PY" -m metrics.publish --db "$DB_URL" --published-db "$("$PY" scripts/demo_state.py --publish-to "$DB_URL")"
fi
