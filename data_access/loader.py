"""Load a complete set of linked tables, validated at the boundary, replacing what is in the database.

Every table is checked against the contract (data_access/schema.py, config/*.toml, docs/data-contract.md)
BEFORE anything is written, and every problem is reported at once in a LoadError that names the table,
column, how many rows and up to five example row numbers (counting from 1). Values from
person_identifier are never quoted in messages, because they are personal data, and neither are dates.
Implausible data are refused too: an empty dataset, dates before 1900 or after the data extract date, a
membership that ends before it starts. If the database still refuses something, its message (which can quote
the value) is replaced by a plain sentence naming the table and column (data_access/db_errors.py).

The write drops and recreates the linked tables and bulk-inserts them in ONE transaction, so a failure
part-way leaves the previous data exactly as they were (on SQLite the transaction is begun explicitly,
because Python's sqlite3 module would otherwise run DDL outside it; PostgreSQL DDL is transactional).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, String, Table, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import AddConstraint, CreateIndex, DropIndex

from data_access.bulk import polars_schema, write_frame
from data_access.config import load_localities, load_measures
from data_access.db_errors import plain_message
from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER, RowRule, linked_metadata, row_rules

MAX_EXAMPLES = 5
EARLIEST_DATE = date(1900, 1, 1)
"""No date in the linked data is earlier (a date of birth, or an event, before 1900 is a data error)."""
LATEST_STORABLE_DATE = date(9999, 12, 31)
"""Without a data extract date, the latest date accepted (four-digit years: what every database stores)."""
MUST_HAVE_ROWS = ("family", "person_identifier", "programme_episode")
"""An extract without families, people or episodes is not a dataset (publish would fail far downstream)."""
INT32_RANGE = (-(2**31), 2**31 - 1)  # PostgreSQL INTEGER
PERSONAL_TABLES = frozenset({"person_identifier"})

ALLOWED_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    (table.name, column.name): column.info["allowed"]
    for table in LINKED_TABLES_IN_LOAD_ORDER for column in table.columns if column.info.get("allowed")
}
"""Closed code lists, from the declarations in schema.py."""

IDENTIFIER_RULES: dict[tuple[str, str], tuple[Callable[[pl.Expr], pl.Expr], str]] = {
    (table.name, column.name): column.info["format_rule"]
    for table in LINKED_TABLES_IN_LOAD_ORDER for column in table.columns if column.info.get("format_rule")
}
"""Format rules (identifiers, postcodes), from the declarations in schema.py."""

ROW_RULES: dict[str, tuple[str, RowRule]] = {
    rule.name: (table.name, rule) for table in LINKED_TABLES_IN_LOAD_ORDER for rule in row_rules(table)
}
"""The rules across columns, by CHECK constraint name, from schema.py: (table name, rule)."""


class LoadError(ValueError):
    """The frames break the linked-data contract; nothing was written. `problems` lists every finding."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        listed = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(
            f"The linked data were not loaded ({len(self.problems)} problem(s); row numbers count from 1; "
            f"the database is unchanged):\n{listed}"
        )


def load_linked_data(engine: Engine, frames: Mapping[str, pl.DataFrame], *, loaded_at: datetime | None = None,
                     config_dir: Path | None = None) -> dict[str, int]:
    """Validate every linked table, then replace the database's linked tables in one transaction.

    `frames` maps each table name in schema.LINKED_TABLES_IN_LOAD_ORDER to a polars frame. If `loaded_at` is
    given it is recorded in dataset_info under the key "loaded_at". Returns rows written per table.
    """
    frames = dict(frames)
    if loaded_at is not None and isinstance(frames.get("dataset_info"), pl.DataFrame):
        info = frames["dataset_info"]
        if "key" in info.columns:
            frames["dataset_info"] = pl.concat([
                info.filter(pl.col("key") != "loaded_at"),
                pl.DataFrame({"key": ["loaded_at"], "value": [loaded_at.isoformat(timespec="seconds")]}),
            ], how="diagonal_relaxed")
    problems = validate_linked_frames(frames, config_dir=config_dir)
    if problems:
        raise LoadError(problems)

    try:
        with _load_transaction(engine) as connection:  # on SQLite too, DROP/CREATE are inside it (data_access.engine)
            return _replace_tables(connection, frames)
    except Exception as error:
        # Bulk writes use the DBAPI cursor directly, so driver errors arrive unwrapped as well as wrapped.
        driver_error = getattr(engine.dialect.dbapi, "Error", SQLAlchemyError)
        if not isinstance(error, SQLAlchemyError | driver_error):
            raise
        # `from None`: the driver's message can quote the refused value, so it must not travel in the chain.
        refusal = LoadError([f"The database refused the data: {plain_message(error)}. Its own message is not shown "
                             "because it can quote the data."])
    raise refusal from None


@contextmanager
def _load_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole replace. On SQLite, foreign keys are not enforced row by row while it writes
    (PRAGMA foreign_keys can only change outside a transaction) and are checked in one pass before it commits
    (PRAGMA foreign_key_check): at 100,000 families the row-by-row checks were half of the load's CPU time. The
    frames were already checked against every foreign key (validate_linked_frames); the database checks again."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with engine.connect() as connection:
        driver = connection.connection.dbapi_connection
        driver.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                if broken is not None:
                    raise LoadError([f"{broken[0]}: a row refers to a row that does not exist in {broken[2]} "
                                     "(foreign key); nothing was written."])
        finally:
            driver.execute("PRAGMA foreign_keys = ON")


def _replace_tables(connection: Connection, frames: Mapping[str, pl.DataFrame]) -> dict[str, int]:
    """Drop, recreate and fill the linked tables inside the caller's transaction.

    Secondary indexes are dropped while the rows are written and built afterwards (one sort each instead of an
    index update per row). On PostgreSQL, foreign keys are dropped while COPY runs and restored afterwards:
    checking foreign keys row by row made a 100,000-family load about three times slower, and restoring
    them still checks every row (in one pass each), so the database's guarantees are unchanged (on SQLite:
    _load_transaction).
    """
    linked_metadata.drop_all(connection)
    linked_metadata.create_all(connection)
    postgresql = connection.dialect.name == "postgresql"
    inspector = inspect(connection)
    preparer = connection.dialect.identifier_preparer
    for table in reversed(LINKED_TABLES_IN_LOAD_ORDER):
        if postgresql:
            for foreign_key in inspector.get_foreign_keys(table.name):
                connection.exec_driver_sql(f"ALTER TABLE {preparer.format_table(table)} "
                                           f"DROP CONSTRAINT {preparer.quote(foreign_key['name'])}")
        for index in table.indexes:
            connection.execute(DropIndex(index))
    counts = {table.name: write_frame(connection, table, frames[table.name]) for table in LINKED_TABLES_IN_LOAD_ORDER}
    for table in LINKED_TABLES_IN_LOAD_ORDER:
        for index in table.indexes:
            connection.execute(CreateIndex(index))
    if postgresql:
        for table in LINKED_TABLES_IN_LOAD_ORDER:
            for constraint in table.foreign_key_constraints:
                # isolate_from_table=False: the default would stop later CREATE TABLEs (any backend, same
                # process) from declaring this foreign key inline.
                connection.execute(AddConstraint(constraint, isolate_from_table=False))
    return counts


def validate_linked_frames(frames: Mapping[str, pl.DataFrame], *, config_dir: Path | None = None) -> list[str]:
    """Every way the frames break the contract, as readable sentences (empty when they are fit to load)."""
    problems: list[str] = []
    known = {table.name for table in LINKED_TABLES_IN_LOAD_ORDER}
    unknown = sorted(set(frames) - known)
    if unknown:
        problems.append(f"Unknown table(s) {', '.join(unknown)}: the linked tables are {', '.join(sorted(known))}.")

    usable: dict[str, pl.DataFrame] = {}  # each table cast to its declared types, columns with bad types dropped
    for table in LINKED_TABLES_IN_LOAD_ORDER:
        frame = frames.get(table.name)
        if frame is None:
            problems.append(f"{table.name}: the table is missing.")
            continue
        if not isinstance(frame, pl.DataFrame):
            problems.append(f"{table.name}: expected a polars DataFrame, got {type(frame).__name__}.")
            continue
        if table.name in MUST_HAVE_ROWS and frame.height == 0:
            problems.append(f"{table.name}: no rows. An extract without families, people and episodes cannot be "
                            "loaded (is it the right file?).")
        usable[table.name] = _check_columns_and_types(table, frame, problems)

    for table in LINKED_TABLES_IN_LOAD_ORDER:
        if table.name in usable:
            _check_values(table, usable[table.name], problems)
    _check_foreign_keys(usable, problems)
    _check_config_codes(usable, problems, config_dir)
    _check_contract_rules(usable, problems, config_dir)
    return problems


# --- columns and types ------------------------------------------------------------------------

_ACCEPTED = {
    pl.Int64: lambda dtype: dtype.is_integer() or dtype == pl.Null,
    pl.String: lambda dtype: dtype in (pl.String, pl.Null) or isinstance(dtype, pl.Categorical | pl.Enum),
    pl.Date: lambda dtype: dtype in (pl.Date, pl.Null),
    pl.Boolean: lambda dtype: dtype in (pl.Boolean, pl.Null),
}


def _check_columns_and_types(table: Table, frame: pl.DataFrame, problems: list[str]) -> pl.DataFrame:
    expected = polars_schema(table.columns)
    missing = [name for name in expected if name not in frame.columns]
    extra = [name for name in frame.columns if name not in expected]
    if missing:
        problems.append(f"{table.name}: missing column(s) {', '.join(missing)}.")
    if extra:
        problems.append(f"{table.name}: unexpected column(s) {', '.join(extra)} (not in the contract).")
    kept = []
    for name, dtype in expected.items():
        if name not in frame.columns:
            continue
        actual = frame.schema[name]
        accepts = _ACCEPTED.get(dtype, lambda candidate, dtype=dtype: candidate == dtype)
        if not accepts(actual):
            problems.append(f"{table.name}.{name}: has type {actual}, expected {_type_name(dtype)}.")
            continue
        if dtype == pl.Int64 and actual != pl.Null and frame.height:
            low, high = frame.select(pl.col(name).min().alias("low"), pl.col(name).max().alias("high")).row(0)
            if (low is not None and low < INT32_RANGE[0]) or (high is not None and high > INT32_RANGE[1]):
                _report(problems, table, name, frame.select(~pl.col(name).is_between(*INT32_RANGE)).to_series(),
                        "outside the 32-bit integer range the database column holds", frame)
                continue
        kept.append(pl.col(name).cast(dtype))
    return frame.select(kept)


def _type_name(dtype: pl.DataType) -> str:
    return {pl.Int64: "an integer type", pl.String: "text (pl.String)", pl.Date: "a date (pl.Date)",
            pl.Boolean: "true/false (pl.Boolean)"}.get(dtype, str(dtype))


# --- values in one table ----------------------------------------------------------------------

def _check_values(table: Table, frame: pl.DataFrame, problems: list[str]) -> None:
    present = set(frame.columns)
    for column in table.columns:
        if column.name not in present:
            continue
        values = pl.col(column.name)
        if not column.nullable or column.primary_key:
            _report(problems, table, column.name, frame.select(values.is_null()).to_series(),
                    "empty, but the column must always have a value", frame)
        if isinstance(column.type, String) and column.type.length:
            _report(problems, table, column.name,
                    frame.select(values.str.len_chars() > column.type.length).to_series(),
                    f"longer than {column.type.length} characters", frame)
        allowed = ALLOWED_VALUES.get((table.name, column.name))
        if allowed is not None:
            _report(problems, table, column.name,
                    frame.select(values.is_not_null() & ~values.is_in(allowed)).to_series(),
                    f"not one of the allowed values ({', '.join(allowed)})", frame, show_values=True)
        rule = IDENTIFIER_RULES.get((table.name, column.name))
        if rule is not None:
            validator, message = rule
            _report(problems, table, column.name, frame.select(~validator(values)).to_series(), message, frame)

    key = [column.name for column in table.primary_key.columns]
    if key and set(key) <= present:
        _report(problems, table, ", ".join(key), frame.select(pl.struct(key).is_duplicated()).to_series(),
                "duplicate key: the same key appears on more than one row", frame)
    for column in table.columns:
        if column.unique and column.name in present:
            _report(problems, table, column.name,
                    frame.select(pl.col(column.name).is_not_null() & pl.col(column.name).is_duplicated()).to_series(),
                    "duplicate value in a column whose values must be unique", frame, show_values=True)
    for rule in row_rules(table):
        if set(rule.columns) <= present:
            _report(problems, table, ", ".join(rule.columns), frame.select(rule.broken).to_series(), rule.message,
                    frame)


# --- across tables ----------------------------------------------------------------------------

def _check_foreign_keys(usable: dict[str, pl.DataFrame], problems: list[str]) -> None:
    for table in LINKED_TABLES_IN_LOAD_ORDER:
        frame = usable.get(table.name)
        if frame is None:
            continue
        for foreign_key in table.foreign_keys:
            name, parent = foreign_key.parent.name, foreign_key.column
            parent_frame = usable.get(parent.table.name)
            if name not in frame.columns or parent_frame is None or parent.name not in parent_frame.columns:
                continue
            orphan = frame.select(
                pl.col(name).is_not_null() & ~pl.col(name).is_in(parent_frame.get_column(parent.name).implode())
            ).to_series()
            _report(problems, table, name, orphan, f"not found in {parent.table.name}.{parent.name}", frame,
                    show_values=True)


def _check_config_codes(usable: dict[str, pl.DataFrame], problems: list[str], config_dir: Path | None) -> None:
    catalogue = load_measures(config_dir)
    codes = {
        ("need_observation", "measure_id"): ([measure.id for measure in catalogue.measures], "config/measures.toml"),
        ("eligibility_need", "headline_outcome"): ([outcome.id for outcome in catalogue.headline_outcomes],
                                                   "config/measures.toml headline outcomes"),
        ("locality", "locality_code"): ([locality.code for locality in load_localities(config_dir)],
                                        "config/localities.toml"),
    }
    for (table_name, column), (allowed, where) in codes.items():
        frame = usable.get(table_name)
        if frame is None or column not in frame.columns:
            continue
        _report(problems, linked_metadata.tables[table_name], column,
                frame.select(pl.col(column).is_not_null() & ~pl.col(column).is_in(allowed)).to_series(),
                f"not defined in {where}", frame, show_values=True)


def _check_contract_rules(usable: dict[str, pl.DataFrame], problems: list[str], config_dir: Path | None) -> None:
    """Rules the metrics rely on that the database cannot check: the extract date, plausible dates, observation
    units."""
    data_as_of = _data_as_of(usable.get("dataset_info"), problems)
    _check_dates(usable, data_as_of, problems)

    observations = usable.get("need_observation")
    if observations is None:
        return
    table = linked_metadata.tables["need_observation"]
    columns = set(observations.columns)
    catalogue = load_measures(config_dir)
    person_measures = [measure.id for measure in catalogue.measures if measure.unit == "person"]
    family_measures = [measure.id for measure in catalogue.measures if measure.unit == "family"]
    if {"measure_id", "person_id"} <= columns:
        _report(problems, table, "person_id",
                observations.select(pl.col("measure_id").is_in(person_measures) & pl.col("person_id").is_null())
                .to_series(), "empty for a person measure (each person measure observation names its person)",
                observations)
        _report(problems, table, "person_id",
                observations.select(pl.col("measure_id").is_in(family_measures) & pl.col("person_id").is_not_null())
                .to_series(), "filled for a family measure (family measure observations have no person)",
                observations)
    members = usable.get("family_member")
    if members is not None and {"family_id", "person_id"} <= columns and {"family_id", "person_id"} <= set(
            members.columns):
        pairs = members.select("family_id", "person_id").unique().with_columns(pl.lit(True).alias("_member"))
        flagged = (
            observations.select("family_id", "person_id")
            .join(pairs, on=["family_id", "person_id"], how="left", maintain_order="left")
            .select(pl.col("person_id").is_not_null() & pl.col("_member").is_null())
            .to_series()
        )
        _report(problems, table, "family_id, person_id", flagged,
                "the person is not a member of that family in family_member", observations)


def _data_as_of(info: pl.DataFrame | None, problems: list[str]) -> date | None:
    """The extract date from dataset_info (None, with the problem added, when missing or implausible)."""
    if info is None or not {"key", "value"} <= set(info.columns):
        return None
    data_as_of = None
    values = info.filter(pl.col("key") == "data_as_of").get_column("value").to_list()
    if not values:
        problems.append("dataset_info: no row with key 'data_as_of' (the data extract date, YYYY-MM-DD).")
    else:
        try:
            data_as_of = date.fromisoformat(values[0])
        except (TypeError, ValueError):
            problems.append(f"dataset_info: data_as_of {values[0]!r} is not a date in the form YYYY-MM-DD.")
        if data_as_of is not None and data_as_of < EARLIEST_DATE:
            problems.append(f"dataset_info: data_as_of {data_as_of} is before {EARLIEST_DATE} (not a plausible "
                            "extract date).")
            data_as_of = None
    synthetic = info.filter(pl.col("key") == "is_synthetic").get_column("value").to_list()
    if synthetic and synthetic[0] not in ("true", "false"):
        problems.append(f"dataset_info: is_synthetic must be 'true' or 'false', not {synthetic[0]!r}.")
    return data_as_of


def _check_dates(usable: dict[str, pl.DataFrame], data_as_of: date | None, problems: list[str]) -> None:
    """Every date in every table: not before 1900, not after the extract date (a date of birth included).

    The dates themselves are never quoted: a date of birth is personal, and an event date can identify a family.
    """
    latest = data_as_of or LATEST_STORABLE_DATE
    after = (f"after the data extract date {data_as_of} (dataset_info.data_as_of)" if data_as_of is not None
             else f"after {LATEST_STORABLE_DATE} (not a plausible date)")
    for table in LINKED_TABLES_IN_LOAD_ORDER:
        frame = usable.get(table.name)
        if frame is None:
            continue
        for name, dtype in frame.schema.items():
            if dtype != pl.Date:
                continue
            _report(problems, table, name, frame.select(pl.col(name) < EARLIEST_DATE).to_series(),
                    f"before {EARLIEST_DATE} (not a plausible date)", frame)
            _report(problems, table, name, frame.select(pl.col(name) > latest).to_series(), after, frame)


# --- reporting --------------------------------------------------------------------------------

def _report(problems: list[str], table: Table, column: str, flagged: pl.Series, what: str, frame: pl.DataFrame,
            *, show_values: bool = False) -> None:
    """Add one problem naming the table, column, count and up to five example row numbers (from 1)."""
    flagged = flagged.fill_null(False)
    count = int(flagged.sum())
    if count == 0:
        return
    rows = (flagged.arg_true()[:MAX_EXAMPLES] + 1).to_list()
    examples = f"e.g. row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))}"
    if show_values and table.name not in PERSONAL_TABLES and column in frame.columns:
        shown = frame.get_column(column).filter(flagged).unique(maintain_order=True).head(MAX_EXAMPLES).to_list()
        examples += f"; values {', '.join(repr(value) for value in shown)}"
    problems.append(f"{table.name}.{column}: {count} row(s) {what} ({examples}).")
