"""The published vocabulary is declared once, the schema's lengths come from it, and undeclared values are refused.

Independent truths: the label constants metrics.stats and metrics.disclosure define (the code that makes the
values), the statistics the publish step's percentage specifications name, a hand-made frame planting one undeclared
value of each sort, and a publication of the longest declared values written to each real database (PostgreSQL
enforces lengths: the issue's `value too long for type character varying(8)`).
"""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import polars as pl
import pytest
from sqlalchemy import String, Text

from data_access import published_catalogue as catalogue
from data_access.engine import make_engine, published_db_url
from data_access.published_reads import read_publication_info, read_published
from data_access.published_schema import (
    PUBLISHED_COLUMNS,
    publication_info,
    publication_problems,
    published_statistic,
)
from tests.browser.harness import PROJECT_ROOT
from tests.shipped_config import SETTINGS


def test_labels_agree_with_the_code_that_makes_them():
    from metrics import maturity, reliability, stats
    from metrics.comparisons import NOT_COMPARED_MATURING, NOT_COMPARED_ROUNDING
    from metrics.disclosure.primary import CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE
    from metrics.impact.analysis import SENSITIVITY_CALIPERS

    assert (*stats.COMPARISON_LABELS, NOT_COMPARED_MATURING, NOT_COMPARED_ROUNDING) == catalogue.COMPARISON_LABELS
    assert catalogue.TREND_LABELS == stats.TREND_LABELS
    assert catalogue.MATURITY_LABELS == maturity.STATUSES
    assert catalogue.LOW_RELIABILITY == reliability.LOW_RELIABILITY
    assert {f"{name}_difference" for name in SENSITIVITY_CALIPERS} <= set(catalogue.STATISTICS)
    assert catalogue.GSS_SYMBOLS == (CONFIDENTIAL, NOT_AVAILABLE, NOT_APPLICABLE)


def test_the_catalogue_imports_nothing_heavy():
    """The web tier imports it: no metrics (and so no scipy, highspy), no database or dataframe library."""
    probe = ("import sys, data_access.published_catalogue; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'metrics', 'scipy', 'highspy', 'numpy', "
             "'polars', 'sqlalchemy', 'streamlit'}))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


def test_every_percentage_and_headline_statistic_is_declared():
    from metrics import headline
    from metrics.impact.tables import IMPACT_PERCENT_SPECS
    from metrics.publish import SUMMARY_TABLE
    from metrics.reliability import MAX_ERROR_KIND
    from metrics.true_cells import PERCENT_SPECS

    for spec in (*PERCENT_SPECS, *IMPACT_PERCENT_SPECS):
        table = catalogue.TABLES_BY_NAME[spec.table]
        assert "percent" in table.kinds_of(spec.statistic), spec
        assert table.kinds_of(spec.numerator) == ("count",), spec
        assert table.kinds_of(spec.denominator) == ("count",), spec
    overview = catalogue.TABLES_BY_NAME[headline.TABLE]
    assert overview.kinds_of(headline.DUE) == overview.kinds_of(headline.SUSTAINED) == (headline.SUM_KIND,)
    assert overview.kinds_of(headline.SHARE) == (headline.PERCENT_KIND, MAX_ERROR_KIND)
    assert overview.kinds_of(headline.INCLUDED) == (headline.MEASURES_KIND,)
    assert SUMMARY_TABLE in catalogue.TABLES_BY_NAME


def test_the_publication_facts_are_declared():
    from metrics.editions import edition_facts
    from metrics.publish import publication_facts

    linked = SimpleNamespace(data_as_of=__import__("datetime").date(2025, 3, 31), is_synthetic=True)
    edition = SimpleNamespace(published_at="2025-04-01 09:00 UTC", edition_id=1, digest="d", method_digest="m")
    facts = set(publication_facts(linked, SETTINGS.policy)) | set(edition_facts(edition))
    assert facts == set(catalogue.PUBLICATION_FACTS)


def test_column_lengths_come_from_the_catalogue():
    for name, vocabulary in catalogue.COLUMN_VOCABULARY.items():
        column_type = published_statistic.c[name].type
        if vocabulary is None:
            assert isinstance(column_type, Text), name
        else:
            assert isinstance(column_type, String) and not isinstance(column_type, Text), name
            assert column_type.length == max(map(len, vocabulary)), name
    assert published_statistic.c.symbol.type.length >= len("decreasing and getting better")
    assert publication_info.c.key.type.length == max(map(len, catalogue.PUBLICATION_FACTS))


def _rows(*rows: tuple) -> pl.DataFrame:
    """Published rows from (table, statistic, kind, symbol) tuples, the other columns filled plausibly."""
    return pl.DataFrame(
        [{"table": table, "measure": "M01", "locality": "Dorset", "period": "2024/25", "breakdown": "none",
          "category": "All", "statistic": statistic, "kind": kind, "value": None if symbol else 1.0, "symbol": symbol,
          "numerator": None, "denominator": None} for table, statistic, kind, symbol in rows],
        schema={name: pl.Float64 if name == "value" else pl.String for name in PUBLISHED_COLUMNS},
    )


def test_the_check_names_each_undeclared_value():
    planted = _rows(
        ("famlies", "families_attached", "count", None),  # table
        ("families", "families_atached", "count", None),  # statistic (nowhere)
        ("families", "improved", "count", None),  # statistic of another table
        ("measure_progress", "improved", "percent", None),  # kind not declared for that statistic
        ("measure_progress", "with_need", "counts", None),  # kind
        ("measure_progress", "with_need", "count", "[q]"),  # symbol
        ("measure_progress", "with_need", "count", "similar"),  # a label on a kind that carries none
    ).with_columns(numerator=pl.lit("reviwed"))
    problems = "\n".join(publication_problems(planted, {"published_at": "x", "pubished_by": "y"}))
    for expected in ("'famlies'", "'families_atached'", "statistic 'improved' is not declared for this table",
                     "statistic 'improved' is declared with kinds count, not 'percent'", "'counts'", "'[q]'",
                     "kind 'count': symbol 'similar'", "column numerator: undeclared value(s) 'reviwed'",
                     "publication_info column key: undeclared value(s) 'pubished_by'"):
        assert expected in problems
    assert len(publication_problems(planted)) == 8  # each once


def test_the_check_passes_every_declared_combination():
    rows = [(table.name, entry.name, kind, None) for table in catalogue.TABLES for entry in table.statistics
            for kind in entry.kinds]
    rows += [("measure_progress", "improved_percent", "comparison", label) for label in catalogue.COMPARISON_LABELS]
    rows += [("measure_progress", "improved_percent", "trend", label) for label in catalogue.TREND_LABELS]
    rows += [("measure_progress", "with_need", "count", symbol) for symbol in catalogue.GSS_SYMBOLS]
    assert publication_problems(_rows(*rows), {key: "v" for key in catalogue.PUBLICATION_FACTS}) == []


def _longest_values() -> pl.DataFrame:
    """One row per declared (table, statistic, kind), carrying the longest symbol, numerator and denominator."""
    longest = {name: max(vocabulary, key=len) for name, vocabulary in catalogue.COLUMN_VOCABULARY.items() if vocabulary}
    long_label = max(catalogue.TREND_LABELS, key=len)
    rows = [(table.name, entry.name, kind, long_label if kind == "trend" else None)
            for table in catalogue.TABLES for entry in table.statistics for kind in entry.kinds]
    return _rows(*rows).with_columns(numerator=pl.lit(longest["numerator"]), denominator=pl.lit(longest["denominator"]),
                                     category=pl.lit("Any other ethnic group, " * 8))


def test_the_longest_declared_values_are_written_and_read_back(db_url: str):
    """On PostgreSQL the old hand-written lengths refused these (symbol was 8 characters, kind 16)."""
    from data_access.published_writes import write_publication

    published = _longest_values()
    facts = {key: f"value of {key}" for key in catalogue.PUBLICATION_FACTS}
    engine = make_engine(published_db_url(db_url), published=True)
    try:
        write_publication(engine, published, facts)
        back = pl.concat([read_published(engine, table.name) for table in catalogue.TABLES])
        assert back.sort(PUBLISHED_COLUMNS).equals(published.sort(PUBLISHED_COLUMNS))
        assert read_publication_info(engine) == facts
    finally:
        engine.dispose()


def test_an_undeclared_value_is_refused_before_anything_is_written(db_url: str):
    from data_access.published_writes import write_publication

    engine = make_engine(published_db_url(db_url), published=True)
    first = _rows(("families", "families_attached", "count", None))
    try:
        write_publication(engine, first, {"data_as_of": "2025-03-31"})
        with pytest.raises(catalogue.UndeclaredValueError, match="'not a kind'"):
            write_publication(engine, _rows(("families", "families_closed", "not a kind", None)),
                              {"data_as_of": "2025-06-30"})
        assert read_published(engine, "families").equals(first)
        assert read_publication_info(engine) == {"data_as_of": "2025-03-31"}
    finally:
        engine.dispose()


@pytest.mark.slow  # shares the session demo (built once, minutes)
def test_a_real_publication_uses_every_declared_statistic_and_kind(demo_database):
    """No stale declarations: the session's demo publication (synthetic -> publish) has every declared (table,
    statistic, kind), and nothing else (publish would have refused it)."""
    from metrics.audit import read_published_db

    published = read_published_db(demo_database.published_url)
    found = set(published.select("table", "statistic", "kind").unique().rows())
    declared = {(table.name, entry.name, kind) for table in catalogue.TABLES for entry in table.statistics
                for kind in entry.kinds}
    assert found == declared
    assert publication_problems(published) == []
