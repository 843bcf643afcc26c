"""docs/partner-data.md's tables are exactly what the contract generates (regenerate: python -m linkage docs)."""

from __future__ import annotations

from data_access.config import load_measures
from linkage.contract import load_partner_contract
from linkage.contract_docs import BEGIN, DOCS_PATH, END, generated_tables, render


def test_the_committed_page_is_generated_from_the_contract():
    page = DOCS_PATH.read_text(encoding="utf-8")
    fresh = render(page, load_partner_contract(), load_measures())
    assert fresh == page, "docs/partner-data.md is out of date: run `python -m linkage docs`"


def test_the_generated_tables_list_every_source_column_and_rule():
    tables = generated_tables(load_partner_contract(), load_measures())
    assert tables.startswith(BEGIN) and tables.endswith(END)
    for source in load_partner_contract().sources:
        assert f"### `{source.id}`" in tables
        for column in source.columns:
            assert f"| `{column.name}` |" in tables, (source.id, column.name)
        for rule in source.rules:
            assert f"| {rule.measure} " in tables
