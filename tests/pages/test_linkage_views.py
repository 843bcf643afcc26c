"""The analysts' linkage tables (pages/_linkage_views.py) show published values and symbols only."""

from __future__ import annotations

import polars as pl

from metrics import disclosure
from metrics.linkage_quality import PERCENT_SPECS, linkage_estimate_rows, linkage_quality_cells
from pages._linkage_views import linkage_rates, linkage_rates_table, linkage_summary
from tests.metrics.test_linkage_quality import STORED
from tests.shipped_config import KNOWLEDGE, POLICY, SETTINGS


def published() -> pl.DataFrame:
    report = disclosure.protect_publication_report(linkage_quality_cells(STORED, SETTINGS.breakdowns, "Dorset"),
                                                   PERCENT_SPECS, POLICY, knowledge=KNOWLEDGE)
    return pl.concat([report.published, linkage_estimate_rows(STORED, "Dorset")])


def test_summary_shows_published_values():
    rows = published()
    summary = dict(linkage_summary(rows).iter_rows())
    assert summary["Person records linked"] == "120"
    assert summary["Estimated precision of automatic links (model)"] == "99.96%"
    assert summary["Records held apart (fitted two people equally)"] == "[c]"  # 3 records: suppressed


def test_rates_in_the_configured_order_with_all_last_and_symbols_kept():
    rows = published()
    rates = linkage_rates(rows, "age_band", ["0-4", "5-9", "10-15", "16-17", "18-24", "25-44", "45 and over",
                                              "Not recorded"])
    assert rates.get_column("category").to_list() == ["0-4", "5-9", "10-15", "16-17", "18-24", "25-44",
                                                      "45 and over", "Not recorded", "All"]
    everything = rates.row(8, named=True)
    percent = rows.filter(pl.col("breakdown") == "age_band", pl.col("category") == "All",
                          pl.col("statistic") == "matched_percent", pl.col("kind") == "percent").item(0, "value")
    assert everything["value"] == percent and everything["shown"] == f"{percent}%"
    empty = rates.row(0, named=True)  # no records aged 0-4: nothing to publish a rate of
    assert empty["value"] is None and empty["shown"] == "[c]"
    table = linkage_rates_table(rates, "age_band")
    assert table.columns == ["Age on the data extract date", "Person records", "Match rate", "95% interval",
                             "Family rate"]
