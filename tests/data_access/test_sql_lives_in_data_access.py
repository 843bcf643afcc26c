"""SQL lives in data_access/ only (issue #13, "Layers you can see"): it owns the schema and returns polars frames.

Every Python module outside data_access/ and tests/ is parsed, and fails the test when it builds or runs SQL: a
SQLAlchemy statement builder imported (text, select, insert, ...), a statement executed (.execute,
.exec_driver_sql, .executescript), tables created or dropped (.create_all, .drop_all), or a string that starts
like a SQL statement. Schema introspection (sqlalchemy.inspect) is not SQL text and is allowed. A module may be
listed in ALLOWED only with the reason it cannot call data_access instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OWNER = "data_access"
NOT_SCANNED = {OWNER, "tests", ".venv", "data", ".git"}

STATEMENT_BUILDERS = {"text", "select", "insert", "delete", "update", "func", "literal_column", "table", "column",
                      "union", "union_all", "exists", "tuple_", "and_", "or_", "bindparam", "Select", "TextClause"}
EXECUTING_METHODS = {"execute", "executemany", "executescript", "exec_driver_sql", "create_all", "drop_all"}
SQL_STATEMENT = re.compile(r"^\s*(SELECT\s|INSERT\s+INTO\s|DELETE\s+FROM\s|UPDATE\s+\S+\s+SET\s|"
                           r"CREATE\s+(TABLE|SCHEMA|INDEX|ROLE|VIEW|DATABASE)\s|DROP\s+(TABLE|SCHEMA|ROLE|DATABASE)\s|"
                           r"ALTER\s+(TABLE|ROLE|SCHEMA|DEFAULT)\s|GRANT\s|REVOKE\s|VACUUM\b|PRAGMA\s|COPY\s)")

ALLOWED: dict[str, str] = {
    "linkage/splink_settings.py": "DuckDB session settings (memory cap, spill folder) of splink's own in-memory "
                                  "linkage engine, not a project database",
    "benchmarks/bench_impact.py": "its set-up writes a world straight into the declared linked tables, without the "
                                  "loader's validation, so that only the read is timed (like a test fixture)",
}
"""path relative to the project root -> why it may hold SQL."""


def modules_outside_data_access() -> list[Path]:
    return sorted(path for path in PROJECT_ROOT.rglob("*.py")
                  if path.relative_to(PROJECT_ROOT).parts[0] not in NOT_SCANNED)


def sql_in(source: str) -> list[str]:
    """What in this module's source is SQL (empty when none), as "line N: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found += [f"line {node.lineno}: imports sqlalchemy's {alias.name}" for alias in node.names
                      if alias.name in STATEMENT_BUILDERS]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in (
                "sqlalchemy", "sa") and node.attr in STATEMENT_BUILDERS:
            found.append(f"line {node.lineno}: uses sqlalchemy.{node.attr}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in EXECUTING_METHODS):
            found.append(f"line {node.lineno}: calls .{node.func.attr}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_STATEMENT.match(node.value):
            found.append(f"line {node.lineno}: a SQL statement in a string")
    return found


def test_no_module_outside_data_access_holds_sql():
    offenders = {}
    for path in modules_outside_data_access():
        name = path.relative_to(PROJECT_ROOT).as_posix()
        found = sql_in(path.read_text(encoding="utf-8"))
        if found and name not in ALLOWED:
            offenders[name] = found
    assert not offenders, ("SQL outside data_access/ (move it into a data_access function that returns a polars "
                           f"frame, or list the module in ALLOWED with a reason): {offenders}")


def test_every_allowed_exception_still_holds_sql_and_gives_a_reason():
    for name, reason in ALLOWED.items():
        assert len(reason.split()) >= 5, f"{name}: say why it may hold SQL"
        assert sql_in((PROJECT_ROOT / name).read_text(encoding="utf-8")), f"{name} holds no SQL now: unlist it"


@pytest.mark.parametrize("source", [
    "from sqlalchemy import text\n",
    "from sqlalchemy import select as pick\n",
    "import sqlalchemy as sa\nsa.text('x')\n",
    "def f(connection):\n    connection.execute(statement)\n",
    "def f(metadata, engine):\n    metadata.create_all(engine)\n",
    "QUERY = '''\n    SELECT name FROM person_identifier'''\n",
    "x = 'DELETE FROM family WHERE 1'\n",
    "x = 'PRAGMA journal_mode=DELETE'\n",
])
def test_each_kind_of_sql_is_seen(source: str):
    assert sql_in(source)


@pytest.mark.parametrize("source", [
    "from sqlalchemy import Engine, inspect\n",
    "frame.select('a').filter(x)\n",
    "x = 'Select a locality to see its families'\n",
    "x = 'update the digest only when a figure changes'\n",
])
def test_python_that_is_not_sql_passes(source: str):
    assert sql_in(source) == []
