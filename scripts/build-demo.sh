#!/usr/bin/env bash
# Build the synthetic demo database and its published tables, each only if missing, the way a council's data go:
# synthetic partner extracts -> `python -m linkage run` (ingest, link people, group families, need observations)
# -> `python -m metrics.publish`.
#
# Uses FAMILIES_DB_URL when set (e.g. a PostgreSQL database, as its owner), else the SQLite file
# ${FAMILIES_DEMO_DIR:-data}/families.db. Publish writes where the dashboard reads: FAMILIES_PUBLISHED_DB_URL's
# database (as FAMILIES_DB_URL's role) when it is set, else beside the linked data (data_access.engine.publishing_db_url).
# FAMILIES_DEMO_FAMILIES / FAMILIES_DEMO_SEED change size and seed. `--force` rebuilds both: the default SQLite demo
# is deleted first; a database named by FAMILIES_DB_URL is replaced only if it holds synthetic data (or nothing),
# never real data. The extracts are written to a private folder (0700) and deleted once loaded; personal (linked)
# SQLite files are created 0600 in the 0700 demo folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
PY="$ROOT/.venv/bin/python"
FAMILIES="${FAMILIES_DEMO_FAMILIES:-5000}"
SEED="${FAMILIES_DEMO_SEED:-20240401}"
DATA_DIR="${FAMILIES_DEMO_DIR:-$ROOT/data}"
DEFAULT_DB="$DATA_DIR/families.db"
DEFAULT_URL="sqlite:///$DEFAULT_DB"
DB_URL="${FAMILIES_DB_URL:-$DEFAULT_URL}"
force=no
[[ "${1:-}" == "--force" ]] && force=yes

if [[ "$DB_URL" == "$DEFAULT_URL" ]]; then
    mkdir -p -m 700 "$DATA_DIR"
    chmod 700 "$DATA_DIR"  # it holds the personal (linked) file: owner only, even if made earlier with a wider mode
    if [[ "$force" == yes ]]; then
        rm -f "$DATA_DIR"/families.db* "$DATA_DIR"/families-published.db*
    fi
fi

state="$("$PY" scripts/demo_state.py "$DB_URL")"
if [[ "$force" == yes && "$DB_URL" != "$DEFAULT_URL" ]]; then
    if [[ "$state" != *"synthetic=yes"* ]]; then
        echo "build-demo: --force refused: FAMILIES_DB_URL holds data that are not marked synthetic" >&2
        exit 2
    fi
    "$PY" scripts/demo_state.py --reset-partner-data "$DB_URL"  # the new extracts must not join the old ones
    state="linked=no published=no"
fi

# Synthetic extracts -> linkage run into $1 (a database URL), in a subshell whose exit deletes the extracts.
link_extracts() (
    extracts="$(mktemp -d "$2/extracts-XXXXXX")"  # 0700: the extracts are (synthetic) personal data
    trap 'rm -rf "$extracts"' EXIT
    "$PY" -m synthetic --families "$FAMILIES" --seed "$SEED" --partner-extracts "$extracts"
    status=0
    "$PY" -m linkage run --inbox "$extracts" --db "$1" --synthetic || status=$?
    # 3: some rows were quarantined or a file rejected (reported above); the linked tables were still built.
    if [[ "$status" != 0 && "$status" != 3 ]]; then
        echo "build-demo: linkage run failed (exit $status)" >&2
        exit "$status"
    fi
)

if [[ "$state" == *"linked=yes"* ]]; then
    echo "build-demo: demo data already present"
else
    echo "build-demo: building synthetic demo data: $FAMILIES families, seed $SEED (partner extracts -> linkage run)"
    if [[ "$DB_URL" == "$DEFAULT_URL" ]]; then
        # Build beside the target and move it into place, so an interrupted build never looks finished.
        rm -f "$DATA_DIR"/families.db* "$DATA_DIR"/families-published.db* "$DATA_DIR"/building-*.db*
        rm -rf "$DATA_DIR"/extracts-*
        partial="$DATA_DIR/building-$$.db"
        trap 'rm -f "$partial"*' EXIT
        link_extracts "sqlite:///$partial" "$DATA_DIR"
        # Fold any write-ahead log into the file before moving it (WAL files are tied to the file name).
        "$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA journal_mode=DELETE"); c.close()' "$partial"
        mv "$partial" "$DEFAULT_DB"
        trap - EXIT
    else
        link_extracts "$DB_URL" "${TMPDIR:-/tmp}"
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
