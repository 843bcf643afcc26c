"""Report whether a database already holds the linked demo data and its published tables.

Used by build-demo.sh so that `make run` builds only what is missing. Prints two words:
`linked=yes|no published=yes|no`. A table counts as built when it exists and has at least one row.
"""

from __future__ import annotations

import sys

from sqlalchemy import Engine, func, inspect, select

from data_access.engine import make_engine, published_db_url
from data_access.published_schema import publication_info
from data_access.schema import dataset_info


def has_rows(engine: Engine, table) -> bool:
    try:
        if not inspect(engine).has_table(table.name, schema=_schema_of(engine)):
            return False
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one() > 0
    except Exception:  # an unreachable or half-built database counts as not built
        return False
    finally:
        engine.dispose()


def _schema_of(engine: Engine) -> str | None:
    return engine.get_execution_options().get("schema_translate_map", {}).get(None)


def main(linked_url: str) -> None:
    linked = has_rows(make_engine(linked_url), dataset_info)
    published = has_rows(make_engine(published_db_url(linked_url), published=True), publication_info)
    print(f"linked={'yes' if linked else 'no'} published={'yes' if published else 'no'}")


if __name__ == "__main__":
    main(sys.argv[1])
