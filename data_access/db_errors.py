"""Database errors as plain sentences that name a table, a column and a row, and never quote a value.

Why: a database's own message can quote the data it refused. PostgreSQL writes `Failing row contains (...)`,
`invalid input syntax for type date: "..."` and `COPY person_identifier, line 3, column date_of_birth: "..."`,
and those values can be names, dates of birth or identifiers. This module turns a driver error into a sentence built
only from the error's code (SQLSTATE, or SQLite's error name) and the names of the objects involved. Callers
re-raise their own error with that sentence `from None`, so the driver's message does not reach a traceback or a log
through the exception chain either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SQLSTATE_SENTENCES: tuple[tuple[str, str], ...] = (  # most specific prefix first
    ("22001", "a text value is longer than its column allows"),
    ("22003", "a number is outside the range its column holds"),
    ("22007", "a date or time is not in a form the database can read"),
    ("22008", "a date or time is outside the range the database can store"),
    ("22009", "a date or time is outside the range the database can store"),
    ("22P02", "a value is not in the form its column's type needs"),
    ("22", "a value the database cannot store in its column"),
    ("23502", "a column that must always have a value is empty"),
    ("23503", "a key is not found in the table it refers to"),
    ("23505", "a key appears more than once"),
    ("23514", "a row breaks a check constraint"),
    ("23", "a row breaks a database constraint"),
    ("25006", "the session is read-only"),
    ("28", "the database refused the login"),
    ("3D000", "the database does not exist"),
    ("08", "the connection to the database failed"),
    ("40", "the transaction conflicted with another one; try again"),
    ("42501", "the role is not allowed to do this (permission denied)"),
    ("42P01", "a table does not exist"),
    ("42", "the statement is not valid for this database"),
    ("53", "the database ran out of a resource (disk, memory or connections)"),
    ("55P03", "a lock could not be taken in time; try again"),
    ("57014", "the statement was cancelled (for example by a statement timeout)"),
    ("57P", "the database server is shutting down or restarting"),
)

_SQLITE_SENTENCES: tuple[tuple[str, str], ...] = (
    ("SQLITE_CONSTRAINT_CHECK", "a row breaks a check constraint"),
    ("SQLITE_CONSTRAINT_NOTNULL", "a column that must always have a value is empty"),
    ("SQLITE_CONSTRAINT_FOREIGNKEY", "a key is not found in the table it refers to"),
    ("SQLITE_CONSTRAINT_PRIMARYKEY", "a key appears more than once"),
    ("SQLITE_CONSTRAINT_UNIQUE", "a key appears more than once"),
    ("SQLITE_CONSTRAINT", "a row breaks a database constraint"),
    ("SQLITE_READONLY", "the database file is read-only"),
    ("SQLITE_BUSY", "the database file is locked by another connection; try again"),
    ("SQLITE_LOCKED", "the database file is locked by another connection; try again"),
    ("SQLITE_FULL", "the disk is full"),
    ("SQLITE_CANTOPEN", "the database file cannot be opened"),
    ("SQLITE_PERM", "the database file may not be written (permission denied)"),
    ("SQLITE_CORRUPT", "the database file is damaged"),
    ("SQLITE_NOTADB", "the file is not a SQLite database"),
    ("SQLITE_ERROR", "the statement is not valid for this database"),
)

# Only names, never values: "COPY need_observation, line 12, column observed_on: ..." (the value follows the colon).
_COPY_CONTEXT = re.compile(r"^COPY (?P<table>[\w.\"]+), line (?P<line>\d+)(?:, column (?P<column>\w+))?")
# SQLite's constraint messages name columns or constraints only: "CHECK constraint failed: ck_sex_allowed".
_SQLITE_CONSTRAINT = re.compile(r"^(?:UNIQUE|NOT NULL|CHECK|FOREIGN KEY) constraint failed(?:: (?P<names>[\w., ]+))?$")
_BULK_WRITE = re.compile(r"^bulk write into (?P<table>\w+)$")


@dataclass(frozen=True)
class DatabaseRefusal:
    """What can be said about a database error without quoting data."""

    what: str
    code: str | None = None
    table: str | None = None
    column: str | None = None
    constraint: str | None = None
    row: int | None = None

    def sentence(self) -> str:
        where = [f"table {self.table}" if self.table else None, f"column {self.column}" if self.column else None,
                 f"constraint {self.constraint}" if self.constraint else None,
                 f"row {self.row}" if self.row else None, f"code {self.code}" if self.code else None]
        shown = ", ".join(part for part in where if part)
        return f"{self.what}{f' ({shown})' if shown else ''}"


def describe(error: BaseException) -> DatabaseRefusal:
    """The plain description of a database error (SQLAlchemy-wrapped or raw driver error)."""
    driver = getattr(error, "orig", None) or error
    statement = getattr(error, "statement", None) or ""
    bulk = _BULK_WRITE.match(statement) if isinstance(statement, str) else None
    table = bulk["table"] if bulk else None
    sqlstate = getattr(driver, "sqlstate", None)
    if sqlstate:
        return _describe_postgresql(driver, sqlstate, table)
    sqlite_name = getattr(driver, "sqlite_errorname", None)
    if sqlite_name:
        return _describe_sqlite(driver, sqlite_name, table)
    return DatabaseRefusal(f"the database reported an error ({type(driver).__name__})", table=table)


def plain_message(error: BaseException) -> str:
    """describe(error) as one sentence."""
    return describe(error).sentence()


def _describe_postgresql(driver: BaseException, sqlstate: str, table: str | None) -> DatabaseRefusal:
    what = next((sentence for prefix, sentence in _SQLSTATE_SENTENCES if sqlstate.startswith(prefix)),
                "the database reported an error")
    diag = getattr(driver, "diag", None)
    column = constraint = row = None
    if diag is not None:
        table = diag.table_name or table
        column = diag.column_name
        constraint = diag.constraint_name
        copy = _COPY_CONTEXT.match(diag.context or "")
        if copy:
            table = table or copy["table"].strip('"')
            column = column or copy["column"]
            row = int(copy["line"])
    return DatabaseRefusal(what, sqlstate, table, column, constraint, row)


def _describe_sqlite(driver: BaseException, name: str, table: str | None) -> DatabaseRefusal:
    what = next((sentence for prefix, sentence in _SQLITE_SENTENCES if name.startswith(prefix)),
                "the database reported an error")
    column = constraint = None
    found = _SQLITE_CONSTRAINT.match(str(driver).strip())
    if found and found["names"]:
        names = found["names"]
        if name == "SQLITE_CONSTRAINT_CHECK":
            constraint = names
        else:
            column = names
    return DatabaseRefusal(what, name, table, column, constraint)
