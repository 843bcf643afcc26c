"""Tables in docs/ written from the declarations: the linked tables' columns (data_access/schema.py, shown in
docs/data-contract.md) and the published catalogue (data_access/published_catalogue.py, in docs/published-tables.md).

`python -m data_access.contract_docs` prints the first, `--published` the second; tests/data_access/
test_contract_docs.py fails when a document differs from what the declarations say, so each is declared once and
the documents follow.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Integer, String, Table

from data_access.published_catalogue import GSS_SYMBOLS, LOW_RELIABILITY, SYMBOLS, TABLES
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
    rows = ["|" + "|".join(f" {cell} " if cell else " " for cell in
                           (column.name, type_label(column), required_label(column), meaning_label(column))) + "|"
            for column in table.columns]
    return "\n".join([HEADER, *rows])


def all_column_tables() -> dict[str, str]:
    return {table.name: column_table(table) for table in LINKED_TABLES_IN_LOAD_ORDER}


CATALOGUE_START = "<!-- catalogue: written by `python -m data_access.contract_docs --published`; do not edit -->"
CATALOGUE_END = "<!-- end of catalogue -->"


def published_catalogue_section() -> str:
    """Every published table with its statistics and the kinds of row each is published as, and every symbol."""
    lines = [CATALOGUE_START, ""]
    for table in TABLES:
        lines += [f"**`{table.name}`**: {table.description}.", "", "| statistic | kinds |", "|---|---|"]
        lines += [f"| `{entry.name}` | {', '.join(f'`{kind}`' for kind in entry.kinds)} |"
                  for entry in table.statistics]
        lines.append("")
    labels = [symbol for symbol in SYMBOLS if symbol not in (*GSS_SYMBOLS, LOW_RELIABILITY)]
    lines += ["Symbols: " + ", ".join(f"`{symbol}`" for symbol in (*GSS_SYMBOLS, LOW_RELIABILITY)) + "; labels: "
              + ", ".join(f"`{label}`" for label in labels) + ".", "", CATALOGUE_END]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    if "--published" in sys.argv[1:]:
        print(published_catalogue_section())
    else:
        for name, markdown in all_column_tables().items():
            print(f"### {name}\n\n{markdown}\n")
