"""docs/data-contract.md shows each linked table's columns exactly as data_access/schema.py declares them."""

from __future__ import annotations

import re
from pathlib import Path

from data_access.contract_docs import all_column_tables, column_table
from data_access.schema import family

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


def documented_column_tables(text: str) -> dict[str, str]:
    """The first Markdown table under each "### name: ..." heading of the document."""
    found = {}
    for match in re.finditer(r"^### (\w+):[^\n]*\n(.*?)(?=^### |^## |\Z)", text, flags=re.M | re.S):
        table_lines = [line for line in match.group(2).splitlines() if line.startswith("|")]
        first = []
        for line in match.group(2).splitlines():
            if line.startswith("|"):
                first.append(line)
            elif first:
                break
        found[match.group(1)] = "\n".join(first or table_lines)
    return found


def test_the_document_shows_every_table_as_declared():
    documented = documented_column_tables(DOC.read_text(encoding="utf-8"))
    for name, expected in all_column_tables().items():
        assert documented.get(name) == expected, (
            f"docs/data-contract.md's table for {name} differs from data_access/schema.py: "
            "run `python -m data_access.contract_docs` and copy its table")


def test_a_declaration_change_shows_in_the_generated_table():
    column = family.c.family_type
    before = column_table(family)
    assert "`two_parent`" in before and "| family_type | text(24) | no |" in before
    saved = column.info["meaning"]
    column.info["meaning"] = "changed meaning"
    try:
        assert "changed meaning: `lone_parent`" in column_table(family)
    finally:
        column.info["meaning"] = saved


def test_the_published_tables_document_lists_the_catalogue_as_declared():
    from data_access.contract_docs import CATALOGUE_END, CATALOGUE_START, published_catalogue_section

    text = (DOC.parent / "published-tables.md").read_text(encoding="utf-8")
    start, end = text.index(CATALOGUE_START), text.index(CATALOGUE_END) + len(CATALOGUE_END)
    assert text[start:end] == published_catalogue_section(), (
        "docs/published-tables.md's catalogue differs from data_access/published_catalogue.py: "
        "run `python -m data_access.contract_docs --published` and paste it")


def test_the_catalogue_section_names_every_declared_statistic_and_kind():
    from data_access.contract_docs import published_catalogue_section
    from data_access.published_catalogue import KINDS, STATISTICS, TABLES_BY_NAME

    section = published_catalogue_section()
    for name in (*TABLES_BY_NAME, *STATISTICS, *KINDS):
        assert f"`{name}`" in section, name
