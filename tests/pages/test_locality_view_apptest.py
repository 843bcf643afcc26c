"""The locality view on the Overview (AppTest on the demo): pick a locality, see its twelve measures with the values
published for it, and find the same locality picked on the Measures and Localities pages."""

from __future__ import annotations

import re

import polars as pl
from streamlit.testing.v1 import AppTest

from data_access.config import load_measures
from tests.pages.conftest import APP, PAGE_FILES

SYMBOL = re.compile(r"^\[[cxzu]\]$")


def summary_frame(app: AppTest) -> pl.DataFrame:
    tables = [pl.from_pandas(frame.value) for frame in app.dataframe if "Which way is good" in frame.value.columns]
    assert len(tables) == 1, [list(frame.value.columns) for frame in app.dataframe]
    return tables[0]


def published_cells(progress: pl.DataFrame, statistic: str) -> dict[tuple[str, str, str], tuple[float | None, str]]:
    rows = progress.filter(pl.col("statistic") == statistic, pl.col("kind") == "percent",
                           pl.col("breakdown") == "none", pl.col("category") == "All")
    return {(row["measure"], row["locality"], row["period"]): (row["value"], row["symbol"])
            for row in rows.iter_rows(named=True)}


def assert_cell_is_published(cell: str, published: tuple[float | None, str] | None, where: str) -> None:
    """A shown cell is the published percentage to 1 dp (perhaps flagged [u]) or the published symbol."""
    assert cell, f"{where}: blank"
    if published is None:
        assert cell == "[x]", f"{where}: {cell!r} shown for a cell that is not published"
        return
    value, symbol = published
    if value is None:
        assert cell == symbol, f"{where}: {cell!r} shown, {symbol!r} published"
    else:
        number = cell.removesuffix(" [u]").removesuffix("%")
        assert abs(float(number) - value) < 0.051, f"{where}: {cell!r} shown, {value} published"


def test_pick_a_locality_and_see_its_twelve_published_measures(app_env, demo_published):
    app = AppTest.from_file(str(APP), default_timeout=90)
    app.query_params["role"] = "service_manager"
    app.switch_page(PAGE_FILES["overview"])
    app.run()
    assert not app.exception, [exception.value for exception in app.exception]
    assert app.selectbox(key="url-locality").value == "Dorset", "the Overview opens on the whole area"
    assert "Compared with Dorset" not in summary_frame(app).columns  # the area is not compared with itself

    app.selectbox(key="url-locality").select("Purbeck").run()
    assert not app.exception, [exception.value for exception in app.exception]
    assert app.query_params["locality"] == ["Purbeck"] or app.query_params["locality"] == "Purbeck"
    table = summary_frame(app)
    catalogue = load_measures()
    assert table["Measure"].to_list() == [measure.short_label for measure in catalogue.measures]
    statistic = app.radio(key="url-outcome").value
    cells = published_cells(demo_published["measure_progress"], statistic)
    last_year_column = next(column for column in table.columns if column.startswith("Last year"))
    last_year = last_year_column.removeprefix("Last year (").removesuffix(")")
    ids = {measure.short_label: measure.id for measure in catalogue.measures}
    compared = 0
    for row in table.iter_rows(named=True):
        measure = ids[row["Measure"]]
        period = row["Period"].removesuffix(" (3 years pooled)")
        assert_cell_is_published(row["Purbeck"], cells.get((measure, "Purbeck", period)), f"{measure} Purbeck")
        assert_cell_is_published(row["Dorset"], cells.get((measure, "Dorset", period)), f"{measure} Dorset")
        assert_cell_is_published(row[last_year_column], cells.get((measure, "Purbeck", last_year)),
                                 f"{measure} last year")
        assert row["Which way is good"] == "higher is better"  # every measure's polarity in config/measures.toml
        assert row["Change on last year"] in {"up", "down", "no change", "not available"}
        compared += row["Compared with Dorset"] != "not compared"
    assert compared, "guard: some of Purbeck's figures are compared with Dorset"

    app.switch_page(PAGE_FILES["measures"]).run()
    assert not app.exception, [exception.value for exception in app.exception]
    assert app.selectbox(key="url-locality").value == "Purbeck", "the Measures page opens on the same locality"
    app.switch_page(PAGE_FILES["localities"]).run()
    assert app.selectbox(key="url-locality").value == "Purbeck", "and so does the Localities page"
    app.selectbox(key="url-locality").select("Chesil").run()
    app.switch_page(PAGE_FILES["overview"]).run()
    assert app.selectbox(key="url-locality").value == "Chesil", "and back: the Overview opens on the choice made there"
    assert summary_frame(app).height == 12
