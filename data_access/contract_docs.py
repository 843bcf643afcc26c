"""The column tables of docs/data-contract.md, written from the declarations in data_access/schema.py.

`python -m data_access.contract_docs` prints them; tests/data_access/test_contract_docs.py fails when the document's
tables differ from what the declarations say, so the contract is declared once and the document follows it.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Integer, String, Table

from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER

HEADER = "| column | type | required | meaning / allowed values |\n|---|---|---|---|"


def type_label(column: Column) -> str:
    """The type as the document's conventions name it: integer, text(n), date, true/false."""
    if isinstance(column.type, Boolean):
        return "true/false"
    if isinstance(column.type, Date):
        return "date"
    if isinstance(column.type, Integer):
        return "integer"
    if isinstance(column.type, String):
        return f"text({column.type.length})"
    raise TypeError(f"{column.table.name}.{column.name}: no document label for {column.type!r}")


def required_label(column: Column) -> str:
    if column.info.get("required"):
        return column.info["required"]
    if column.primary_key:
        return "yes (key)"
    if not column.nullable:
        return "yes, unique" if column.unique else "yes"
    return "no"


def meaning_label(column: Column) -> str:
    """The declared meaning, followed by the allowed values when the declaration lists them in the document."""
    meaning = column.info.get("meaning", "")
    allowed = column.info.get("allowed")
    if allowed and column.info.get("list_in_docs", True):
        values = ", ".join(f"`{value}`" for value in allowed)
        return f"{meaning}: {values}" if meaning else values
    return meaning


def column_table(table: Table) -> str:
    """One table's columns as the Markdown table docs/data-contract.md shows under the table's heading."""
    rows = [f"| {column.name} | {type_label(column)} | {required_label(column)} | {meaning_label(column)} |"
            for column in table.columns]
    return "\n".join([HEADER, *(row.replace("|  |", "| |") for row in rows)])


def all_column_tables() -> dict[str, str]:
    return {table.name: column_table(table) for table in LINKED_TABLES_IN_LOAD_ORDER}


if __name__ == "__main__":
    for name, markdown in all_column_tables().items():
        print(f"### {name}\n\n{markdown}\n")
