"""Bulk writes fail loudly and atomically: a missing column is named, and a rejected row leaves nothing behind."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import exc, func, select

from data_access.bulk import conform, write_frame
from data_access.engine import make_engine
from data_access.schema import family, linked_metadata, locality

LOCALITIES = pl.DataFrame(
    {"locality_code": ["WEY", "PUR"], "locality_name": ["Weymouth", "Purbeck"], "sort_order": [1, 2]}
)


def _families(deciles: list[int | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "family_id": list(range(1, len(deciles) + 1)),
            "locality_code": ["WEY"] * len(deciles),
            "postcode_district": ["DT4"] * len(deciles),
            "family_type": ["two_parent"] * len(deciles),
            "deprivation_decile": deciles,
        }
    )


def test_conform_names_every_missing_column() -> None:
    frame = _families([3]).drop("deprivation_decile", "family_type")
    with pytest.raises(ValueError, match=r"Table family: .*family_type, deprivation_decile") as raised:
        conform(frame, family)
    assert "locality_code" not in str(raised.value)


def test_conform_selects_the_declared_columns_in_order_and_drops_extras() -> None:
    frame = _families([3]).select(pl.lit("x").alias("extra"), *reversed(_families([3]).columns))
    assert conform(frame, family).columns == [column.name for column in family.columns]


def test_write_frame_reports_the_missing_column_before_touching_the_database(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        linked_metadata.create_all(engine)
        with pytest.raises(ValueError, match="sort_order"), engine.begin() as connection:
            write_frame(connection, locality, LOCALITIES.drop("sort_order"))
    finally:
        engine.dispose()


def _row_counts(engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return tuple(connection.execute(select(func.count()).select_from(t)).scalar_one() for t in (locality, family))


def test_check_violation_raises_and_rolls_back_the_whole_transaction(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        linked_metadata.create_all(engine)
        # Valid rows first (another table, and a valid family before the bad one) so a partial write would show.
        with pytest.raises(exc.IntegrityError, match="ck_deprivation_decile"), engine.begin() as connection:
            write_frame(connection, locality, LOCALITIES)
            write_frame(connection, family, _families([3, None, 11]))
        assert _row_counts(engine) == (0, 0)

        with engine.begin() as connection:  # the same data without the bad decile goes in
            write_frame(connection, locality, LOCALITIES)
            write_frame(connection, family, _families([3, None, 10]))
        assert _row_counts(engine) == (2, 3)
    finally:
        engine.dispose()


def test_foreign_key_violation_raises_on_both_databases(db_url: str) -> None:
    """SQLite enforces foreign keys only with PRAGMA foreign_keys=ON, which make_engine sets on every connection."""
    engine = make_engine(db_url)
    try:
        linked_metadata.create_all(engine)
        with pytest.raises(exc.IntegrityError), engine.begin() as connection:
            write_frame(connection, family, _families([3]))  # locality WEY does not exist
        assert _row_counts(engine) == (0, 0)
    finally:
        engine.dispose()
