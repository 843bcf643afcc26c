"""Downloads people can use (pages/_downloads.py): each file opens with a reader library, has its cover sheet,
stores numbers as numbers, and holds only published values (read back with fastexcel, odfpy and pypdf)."""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import polars as pl
import pytest
from odf.opendocument import load as load_ods
from odf.table import Table, TableCell, TableRow
from pypdf import PdfReader

from pages._downloads import briefing_pdf, cover_rows, dataset_files, locality_files, tables_for_pages
from pages._locality import locality_summary, summary_table
from tests.pages.test_locality_summary import NO_MATURITY, _world

INFO = {"data_as_of": "2024-03-31", "published_at": "2024-05-01T09:00:00+00:00", "is_synthetic": "true",
        "threshold": "10", "rounding_base": "5", "percentage_min_each_side": "3", "confidence_level": "95",
        "edition": "2"}
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?![\w])")
PERIOD = re.compile(r"\d{4}/\d{2}(?:-\d{4}/\d{2})?(?: Q\d)?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T[\d:.+]+)?")


def _world_with_counts() -> pl.DataFrame:
    percents = _world()
    counts = pl.DataFrame({"table": "measure_progress", "measure": "M02", "locality": "Purbeck", "period": "2023/24",
                           "breakdown": "none", "category": "All", "statistic": ["improved", "reviewed"],
                           "kind": "count", "value": [35.0, 55.0], "symbol": None, "numerator": None,
                           "denominator": None}, schema=percents.schema)
    return pl.concat([percents, counts])


def _xlsx_sheets(payload: bytes) -> dict[str, pl.DataFrame]:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:  # an Office Open XML package
        assert "xl/workbook.xml" in archive.namelist()
    return pl.read_excel(io.BytesIO(payload), sheet_id=0, engine="calamine", has_header=True)


def _ods_tables(payload: bytes) -> dict[str, list[list[tuple[str | None, str]]]]:
    """Each table of an .ods as rows of (value type, value or text)."""
    document = load_ods(io.BytesIO(payload))
    tables = {}
    for table in document.spreadsheet.getElementsByType(Table):
        rows = []
        for row in table.getElementsByType(TableRow):
            cells = []
            for cell in row.getElementsByType(TableCell):
                kind = cell.getAttribute("valuetype")
                cells.append((kind, cell.getAttribute("value") if kind == "float" else str(cell)))
            rows.append(cells)
        tables[table.getAttribute("name")] = rows
    return tables


def _published_numbers(*frames: pl.DataFrame) -> set[float]:
    return {float(value) for frame in frames for value in frame["value"].drop_nulls().to_list()}


def test_cover_sheet_says_what_a_reader_needs():
    cover = dict(cover_rows("Title here", INFO, ["measure_progress"]))
    assert cover["Title"] == "Title here" and cover["Data up to"] == "2024-03-31"
    assert cover["Published"].startswith("2024-05-01") and "SYNTHETIC" in cover["Data"]
    assert "nearest 5" in cover["Rounding"] and "below 10" in cover["Suppression"]
    assert {"Symbol [c]", "Symbol [x]", "Symbol [z]", "Symbol [u]", "Column value", "Kind percent",
            "Table measure_progress"} <= set(cover)
    assert "real data" in dict(cover_rows("t", INFO | {"is_synthetic": "false"}, []))["Data"]


def test_spreadsheets_hold_numbers_with_their_counts_and_a_cover_sheet():
    world = _world_with_counts()
    files = dataset_files(INFO, {"measure_progress": world})
    published = _published_numbers(world)

    sheets = _xlsx_sheets(files["xlsx"])
    assert list(sheets) == ["Cover", "measure_progress"]
    data = sheets["measure_progress"]
    assert data.height == world.height
    for column in ("value", "numerator_value", "denominator_value"):
        assert data.schema[column].is_numeric(), column  # stored as numbers, not text
    assert set(data["value"].drop_nulls().to_list()) == published
    row = data.filter(pl.col("measure") == "M02", pl.col("locality") == "Purbeck", pl.col("period") == "2023/24",
                      pl.col("kind") == "percent").row(0, named=True)
    assert (row["value"], row["numerator_value"], row["denominator_value"]) == (66.6, 35.0, 55.0)
    hidden = data.filter(pl.col("value").is_null())
    assert hidden["symbol"].null_count() == 0  # a hidden value is labelled, never blank
    cover_text = " ".join(str(cell) for column in sheets["Cover"].columns for cell in sheets["Cover"][column])
    assert "Data up to" in cover_text and "[c]" in cover_text

    tables = _ods_tables(files["ods"])
    assert list(tables) == ["Cover", "measure_progress"]
    assert tables["Cover"][0] == [("string", "Title"), ("string", "Dorset Families Matter: published statistics")]
    header = [text for _, text in tables["measure_progress"][0]]
    value_at = header.index("value")
    numbers = [float(row[value_at][1]) for row in tables["measure_progress"][1:]
               if len(row) > value_at and row[value_at][0] == "float"]
    assert set(numbers) == published and len(numbers) == world["value"].is_not_null().sum()
    floats = {float(text) for row in tables["measure_progress"][1:] for kind, text in row if kind == "float"}
    assert floats <= published  # every number in the file, counts beside percentages included


def _pdf_numbers(text: str) -> list[float]:
    text = DATE.sub(" ", PERIOD.sub(" ", text))
    return [float(match.replace(",", "")) for match in NUMBER.findall(text)]


def test_the_briefing_renders_and_holds_only_published_values():
    world = _world_with_counts()
    measures = {"M01": "School attendance", "M02": "Employment", "M03": "Housing"}
    table = summary_table(locality_summary(world, NO_MATURITY, "Purbeck", "Dorset", "improved_percent", measures),
                          "Purbeck", "Dorset")
    payload = briefing_pdf("Purbeck briefing", INFO, [("Improved: Purbeck", table)], notes=["Compared at 95%."])
    assert payload.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(payload)).pages)
    for expected in ("Purbeck briefing", "School attendance", "Employment", "Housing", "43.7%", "52.0%", "66.6%",
                     "[c]", "[x]", "3 years pooled", "SYNTHETIC", "2024-03-31", "decreasing and getting worse"):
        assert expected in text, expected
    allowed = _published_numbers(world) | {2.0, 3.0, 95.0, 2.5}  # edition, "3 years pooled", the level, [u]'s 2.5
    assert [number for number in _pdf_numbers(text) if number not in allowed] == []
    forged = table.with_columns(pl.lit("12.3%").alias("Dorset"))
    planted = briefing_pdf("Purbeck briefing", INFO, [("Improved", forged)])
    planted_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(planted)).pages)
    assert 12.3 in [number for number in _pdf_numbers(planted_text) if number not in allowed]  # the check can fail


def test_a_visitor_downloads_only_the_tables_of_pages_they_may_open():
    assert tables_for_pages(("overview", "methodology")) == ["families", "family_outcomes", "needs_overview",
                                                             "measure_progress", "cohort_maturity"]  # locality view
    assert "disclosure_summary" not in tables_for_pages(("overview", "measures", "localities", "impact"))
    assert "linkage_quality" in tables_for_pages(("disclosure",))


@pytest.mark.slow
def test_the_whole_demo_dataset_reads_back_exactly(demo_published):
    tables = {name: frame for name, frame in demo_published.items() if not name.startswith("_")}
    files = dataset_files(demo_published["_info"], tables)
    # Both read back with calamine (fastexcel), a reader independent of both writers; odfpy, which the small files'
    # tests use to see each cell's value type, takes minutes to load the whole dataset's 3 million cells.
    for extension in ("xlsx", "ods"):
        sheets = _xlsx_sheets(files[extension]) if extension == "xlsx" else pl.read_excel(
            io.BytesIO(files[extension]), sheet_id=0, engine="calamine", has_header=True)
        assert list(sheets) == ["Cover", *(name[:31] for name in tables)], extension
        for name, frame in tables.items():
            data = sheets[name[:31]]
            assert data.height == frame.height, (extension, name)
            if frame["value"].is_not_null().any():
                assert data.schema["value"].is_numeric(), (extension, name)  # every value stored as a number
                published = np.sort(frame["value"].drop_nulls().to_numpy().astype(float))
                assert np.allclose(np.sort(data["value"].drop_nulls().to_numpy()), published), (extension, name)


def test_locality_spreadsheets_store_the_twelve_measures_as_numbers():
    world = _world_with_counts()
    measures = {"M01": "School attendance", "M02": "Employment", "M03": "Housing"}
    summary = locality_summary(world, NO_MATURITY, "Purbeck", "Dorset", "improved_percent", measures)
    files = locality_files("Purbeck briefing", INFO, {"Improved": summary})
    sheets = _xlsx_sheets(files["xlsx"])
    assert list(sheets) == ["Cover", "Improved"]
    data = sheets["Improved"]
    assert data["locality_value"].dtype.is_numeric() and data["area_value"].dtype.is_numeric()
    assert data["locality_value"].to_list() == [43.7, 66.6, None]
    assert data["locality_shown"].to_list() == ["43.7%", "66.6%", "[c]"]
    floats = {float(text) for row in _ods_tables(files["ods"])["Improved"][1:] for kind, text in row if kind == "float"}
    assert floats <= _published_numbers(world) and {43.7, 66.6, 52.0, 62.5, 41.2, 58.0} <= floats
