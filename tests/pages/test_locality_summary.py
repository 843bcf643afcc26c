"""One locality's twelve measures (pages/_locality.py): pooled where the single year is hidden, never blank."""

from __future__ import annotations

import polars as pl

from pages._locality import locality_summary, summary_table, trend_series
from pages._trend_chart import trend_lines, trend_table
from pages._views import best_default_year, maturity_view, percent_view

COLUMNS = ("table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind", "value", "symbol",
           "numerator", "denominator")
NO_MATURITY = pl.DataFrame(schema=dict.fromkeys(COLUMNS, pl.String) | {"value": pl.Float64})


def _row(measure: str, locality: str, period: str, kind: str, value: float | None, symbol: str | None = None):
    return ("measure_progress", measure, locality, period, "none", "All", "improved_percent", kind, value, symbol,
            "improved" if kind == "percent" else None, "reviewed" if kind == "percent" else None)


def _world() -> pl.DataFrame:
    """Hand-made published rows: M01 hidden in Purbeck's latest year but published pooled; M02 hidden both ways."""
    rows = [
        _row("M01", "Dorset", "2022/23", "percent", 50.0), _row("M01", "Dorset", "2023/24", "percent", 55.0),
        _row("M01", "Dorset", "2021/22-2023/24", "percent", 52.0),
        _row("M01", "Purbeck", "2022/23", "percent", 41.2), _row("M01", "Purbeck", "2023/24", "percent", None, "[c]"),
        _row("M01", "Purbeck", "2021/22-2023/24", "percent", 43.7),
        _row("M01", "Purbeck", "2021/22-2023/24", "comparison", None, "worse"),
        _row("M01", "Purbeck", "all", "trend", None, "decreasing and getting worse"),
        _row("M02", "Dorset", "2022/23", "percent", 60.0), _row("M02", "Dorset", "2023/24", "percent", 62.5),
        _row("M02", "Purbeck", "2022/23", "percent", 58.0), _row("M02", "Purbeck", "2023/24", "percent", 66.6),
        _row("M02", "Purbeck", "2023/24", "comparison", None, "similar"),
        _row("M03", "Dorset", "2023/24", "percent", None, "[c]"), _row("M03", "Dorset", "2022/23", "percent", 30.0),
        _row("M03", "Purbeck", "2023/24", "percent", None, "[c]"),
    ]
    return pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String) | {"value": pl.Float64}, orient="row")


def test_pooled_where_the_single_year_is_hidden_and_symbols_never_blank():
    measures = {"M01": "School attendance", "M02": "Employment", "M03": "Housing", "M04": "Not published at all"}
    summary = locality_summary(_world(), NO_MATURITY, "Purbeck", "Dorset", "improved_percent", measures)
    by_measure = {row["measure"]: row for row in summary.iter_rows(named=True)}
    assert list(by_measure) == ["M01", "M02", "M03", "M04"]
    # 2023/24: two of three area percentages published, so it is the year shown (as the pages open on)
    assert by_measure["M01"] | {} == by_measure["M01"]
    assert (by_measure["M01"]["period"], by_measure["M01"]["pooled"], by_measure["M01"]["shown"]) == (
        "2021/22-2023/24", True, "43.7%")
    assert (by_measure["M01"]["area_shown"], by_measure["M01"]["comparison"]) == ("52.0%", "worse")
    assert by_measure["M01"]["change"] == "not available"  # the single year is hidden: no change on last year
    assert by_measure["M01"]["previous_shown"] == "41.2%" and by_measure["M01"]["trend"] == (
        "decreasing and getting worse")
    assert (by_measure["M02"]["period"], by_measure["M02"]["pooled"], by_measure["M02"]["shown"]) == (
        "2023/24", False, "66.6%")
    assert (by_measure["M02"]["change"], by_measure["M02"]["comparison"]) == ("up", "similar")
    assert by_measure["M02"]["trend"] == "cannot be calculated"
    assert (by_measure["M03"]["shown"], by_measure["M03"]["area_shown"]) == ("[c]", "[c]")
    assert (by_measure["M04"]["shown"], by_measure["M04"]["area_shown"], by_measure["M04"]["previous_shown"]) == (
        "[x]", "[x]", "[x]")
    table = summary_table(summary, "Purbeck", "Dorset")
    assert table.columns == ["Measure", "Period", "Purbeck", "Dorset", "Compared with Dorset", "Last year (2022/23)",
                             "Change on last year", "Trend"]
    assert table["Period"].to_list()[:2] == ["2021/22-2023/24 (3 years pooled)", "2023/24"]
    assert table.null_count().sum_horizontal().item() == 0
    assert not any(cell == "" for column in table.columns for cell in table[column].to_list())


def test_a_hidden_year_inside_a_pooled_period_shows_that_period():
    """Pooled periods follow a fixed calendar: the year shown can be the first or middle year of one, not only its
    last. Here 2023/24 is mostly hidden for Dorset, so the page opens on 2022/23, inside 2021/22-2023/24."""
    rows = [
        _row("M01", "Dorset", "2022/23", "percent", 50.0), _row("M01", "Dorset", "2023/24", "percent", None, "[c]"),
        _row("M01", "Dorset", "2021/22-2023/24", "percent", 52.0),
        _row("M01", "Purbeck", "2022/23", "percent", None, "[c]"),
        _row("M01", "Purbeck", "2021/22-2023/24", "percent", 43.7),
        _row("M01", "Purbeck", "2024/25-2026/27", "percent", 99.0),  # holds no year shown: never used
    ]
    world = pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String) | {"value": pl.Float64}, orient="row")
    summary = locality_summary(world, NO_MATURITY, "Purbeck", "Dorset", "improved_percent", {"M01": "Attendance"})
    row = summary.row(0, named=True)
    assert (row["period"], row["pooled"], row["shown"], row["area_shown"]) == ("2021/22-2023/24", True, "43.7%",
                                                                               "52.0%")
    alone = world.filter(pl.col("period") != "2021/22-2023/24")
    row = locality_summary(alone, NO_MATURITY, "Purbeck", "Dorset", "improved_percent", {"M01": "Attendance"}).row(
        0, named=True)
    assert (row["period"], row["pooled"], row["shown"]) == ("2022/23", False, "[c]")


def test_summary_of_the_demo_shows_published_cells_only(demo_published):
    progress, maturity = demo_published["measure_progress"], demo_published["cohort_maturity"]
    measures = {measure: measure for measure in sorted(progress["measure"].unique().to_list())
                if measure.startswith("M")}
    percent = progress.filter(pl.col("kind") == "percent", pl.col("statistic") == "improved_percent",
                              pl.col("breakdown") == "none")
    published = {(row["measure"], row["locality"], row["period"]): row["value"]
                 for row in percent.iter_rows(named=True)}
    pooled_rows = 0
    for locality in sorted(progress.filter(pl.col("locality") != "Dorset")["locality"].unique().to_list()):
        summary = locality_summary(progress, maturity, locality, "Dorset", "improved_percent", measures)
        assert summary.height == len(measures) == 12
        for row in summary.iter_rows(named=True):
            assert row["shown"]
            if row["value"] is not None:
                assert published[(row["measure"], locality, row["period"])] == row["value"]
        single_year = best_default_year(percent_view(progress, "improved_percent"), "Dorset",
                                        maturity_view(maturity, "measure_progress", "improved_percent"))
        assert {row["period"] for row in summary.iter_rows(named=True) if not row["pooled"]} <= {single_year}
        for row in summary.iter_rows(named=True):
            if row["pooled"]:  # the pooled period holds the year the page opens on, whose own figure is hidden
                pooled_rows += 1
                assert row["period"][:7] <= single_year <= row["period"][-7:]
                assert published.get((row["measure"], locality, single_year)) is None
            if row["area_value"] is not None:
                assert published[(row["measure"], "Dorset", row["period"])] == row["area_value"]
    assert pooled_rows, "guard: the demo has hidden single years that pooled periods show"


def test_trend_series_keeps_hidden_years_as_labelled_gaps():
    measures = {"M01": "School attendance", "M04": "Not published at all"}
    series = trend_series(_world(), NO_MATURITY, "Purbeck", "Dorset", "improved_percent", measures)
    cells = {(row["measure"], row["place"], row["period"]): (row["value"], row["shown"])
             for row in series.iter_rows(named=True)}
    assert cells[("M01", "Purbeck", "2022/23")] == (41.2, "41.2%")
    assert cells[("M01", "Purbeck", "2023/24")] == (None, "[c]")  # hidden: a gap, with its symbol
    assert cells[("M01", "Dorset", "2023/24")] == (55.0, "55.0%")
    assert cells[("M04", "Purbeck", "2022/23")] == (None, "[x]")  # nothing published: not available
    assert not any(period.endswith("2023/24") and "-" in period for _, _, period in cells), "single years only"
    assert series.height == 2 * 2 * 2  # measures x places x the two published years


def test_trend_series_leaves_maturing_years_out():
    maturity = pl.DataFrame(  # the published shape (metrics.maturity): category names the table, kind "maturity"
        [("cohort_maturity", "all", "Dorset", "2023/24", "table", "measure_progress", "improved_percent", "maturity",
          None, "maturing", None, None)], schema=NO_MATURITY.schema, orient="row")
    assert maturity_view(maturity, "measure_progress", "improved_percent")["status"].to_list() == ["maturing"]
    series = trend_series(_world(), maturity, "Purbeck", "Dorset", "improved_percent", {"M01": "School attendance"})
    assert set(series["period"].to_list()) == {"2022/23"}


def test_the_table_says_which_way_is_good_and_leaves_the_area_uncompared_with_itself():
    measures = {"M01": "School attendance", "M02": "Employment"}
    purbeck = summary_table(locality_summary(_world(), NO_MATURITY, "Purbeck", "Dorset", "improved_percent", measures),
                            "Purbeck", "Dorset", better={"M01": "higher_is_better", "M02": "lower_is_better"})
    assert purbeck["Which way is good"].to_list() == ["higher is better", "lower is better"]
    assert "Compared with Dorset" in purbeck.columns
    dorset = summary_table(locality_summary(_world(), NO_MATURITY, "Dorset", "Dorset", "improved_percent", measures),
                           "Dorset", "Dorset", better={"M01": "higher_is_better", "M02": "higher_is_better"})
    assert dorset.columns == ["Measure", "Which way is good", "Period", "Dorset", "Last year (2022/23)",
                              "Change on last year", "Trend"]
    assert dorset["Dorset"].to_list() == ["55.0%", "62.5%"] and dorset["Change on last year"].to_list() == ["up", "up"]


def test_trend_lines_draw_gaps_and_label_them():
    measures = {"M01": "School attendance", "M02": "Employment"}
    series = trend_series(_world(), NO_MATURITY, "Purbeck", "Dorset", "improved_percent", measures)
    figure = trend_lines(series, "Purbeck", "Dorset")
    purbeck_m01 = next(trace for trace in figure.data if trace.name == "Purbeck" and trace.xaxis == "x")
    assert list(purbeck_m01.y) == [41.2, None] and purbeck_m01.connectgaps is False
    labels = [(note.text, note.x, note.xref) for note in figure.layout.annotations if note.text.startswith("[")]
    assert labels == [("[c]", "2023/24", "x")], "the hidden year is labelled where its point would be"
    assert {note.text for note in figure.layout.annotations} >= {"School attendance", "Employment"}
    assert {trace.name for trace in figure.data} == {"Purbeck", "Dorset"}
    alone = trend_lines(trend_series(_world(), NO_MATURITY, "Dorset", "Dorset", "improved_percent", measures),
                        "Dorset", "Dorset")
    assert {trace.name for trace in alone.data} == {"Dorset"}
    table = trend_table(series)
    assert table.columns == ["Measure", "Where", "2022/23", "2023/24"]
    assert table.filter(pl.col("Where") == "Purbeck", pl.col("Measure") == "School attendance")["2023/24"].item() == (
        "[c]")
