"""Facts about the demo databases for the shell scripts (build-demo.sh, run.sh).

    demo_state.py URL            `linked=yes|no published=yes|no synthetic=yes|no`: what is built already (a table
                                 counts as built when it exists and has rows; synthetic=yes when the linked data are
                                 synthetic or there are none, so a forced rebuild may replace them)
    demo_state.py --publish-to URL   where publish writes (data_access.engine.publishing_db_url)
    demo_state.py --web-url URL  the one URL the web process gets (FAMILIES_PUBLISHED_DB_URL); exits 2 with the reason
                                 when there is none (PostgreSQL without a reader's URL)
    demo_state.py --reset-partner-data URL   drop the partner-data stage's private tables (a forced rebuild of a
                                 synthetic demo starts from an empty inbox history); refuses data not marked synthetic
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import Engine

from data_access.engine import has_rows, make_engine, normalise_url, published_db_url, publishing_db_url
from data_access.linked_reads import read_dataset_info
from data_access.published_schema import publication_info
from data_access.schema import dataset_info
from data_access.staging import drop_partner_tables

NO_READER = """On PostgreSQL the dashboard needs FAMILIES_PUBLISHED_DB_URL: the URL of its read-only role (it never
gets FAMILIES_DB_URL). Create the role once, as a role that may create roles, and use the URL it prints:
  .venv/bin/python -m data_access.access create-reader --db postgresql+psycopg://postgres@HOST:PORT/DATABASE \\
      --publisher OWNER --password-env DASHBOARD_READER_PASSWORD
then: FAMILIES_PUBLISHED_DB_URL="postgresql+psycopg://dashboard_reader:...@HOST:PORT/DATABASE" make run
(docs/postgresql.md)."""


def is_built(engine: Engine, table) -> bool:
    """A table counts as built when it exists and has rows."""
    try:
        return has_rows(engine, table)
    except Exception:  # an unreachable or half-built database counts as not built
        return False
    finally:
        engine.dispose()


def is_synthetic_or_empty(engine: Engine) -> bool:
    """True unless the linked database holds data that do not say they are synthetic (never replace real data)."""
    try:
        info = read_dataset_info(engine)
        return not info or info.get("is_synthetic") == "true"
    except Exception:  # unreachable: say no, so nothing is replaced
        return False
    finally:
        engine.dispose()


def web_url(linked_url: str) -> str | None:
    """FAMILIES_PUBLISHED_DB_URL if given; on SQLite the published file beside the linked one; else None."""
    given = os.environ.get("FAMILIES_PUBLISHED_DB_URL")
    if given:
        return given
    if normalise_url(linked_url).startswith("sqlite"):
        return published_db_url(linked_url)
    return None


def main(argv: list[str]) -> int:
    if argv[0] == "--publish-to":
        print(publishing_db_url(argv[1]))
        return 0
    if argv[0] == "--web-url":
        url = web_url(argv[1])
        if url is None:
            print(NO_READER, file=sys.stderr)
            return 2
        print(url)
        return 0
    if argv[0] == "--reset-partner-data":
        if not is_synthetic_or_empty(make_engine(argv[1])):
            print("demo_state: refused: the linked data are not marked synthetic", file=sys.stderr)
            return 2
        engine = make_engine(argv[1])
        try:
            drop_partner_tables(engine)
        finally:
            engine.dispose()
        return 0
    linked_url = argv[0]
    linked = is_built(make_engine(linked_url), dataset_info)
    published = is_built(make_engine(publishing_db_url(linked_url), published=True), publication_info)
    synthetic = is_synthetic_or_empty(make_engine(linked_url))
    print(f"linked={'yes' if linked else 'no'} published={'yes' if published else 'no'} "
          f"synthetic={'yes' if synthetic else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
