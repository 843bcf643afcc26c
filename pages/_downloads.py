"""Downloads people can use: spreadsheets (.xlsx, .ods) with a cover sheet, and a printable PDF briefing.

Builders are plain functions over published rows and publication facts (no streamlit, no database): whatever a file
holds is a published value, a published symbol or a fact of the publication. Numbers are stored as numbers, each
percentage beside the published counts it is made of. The formats are written by well-kept libraries (xlsxwriter,
stream-write-ods, fpdf2), never by hand.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Mapping, Sequence

import polars as pl

from data_access.published_catalogue import KINDS, TABLES_BY_NAME
from pages._views import SYMBOL_MEANINGS

KEYS = ("measure", "locality", "period", "breakdown", "category")
DATASET_COLUMNS = ("table", *KEYS, "statistic", "kind", "value", "symbol", "numerator", "numerator_value",
                   "denominator", "denominator_value")
COLUMN_MEANINGS = {
    "table": "the published table the figure belongs to",
    "measure": "the outcome measure (see the Methodology page), or all / any_need",
    "locality": "a locality, or the whole area",
    "period": "a financial year (April to March), a quarter (the whole area only), three years pooled, or all",
    "breakdown": "what the figures are broken down by (none: not broken down)",
    "category": "the category of the breakdown (All: everyone)",
    "statistic": "what is counted or measured",
    "kind": "the kind of figure (below)",
    "value": "the figure, a number; empty when hidden (then see symbol)",
    "symbol": "why a figure is hidden ([c], [x], [z]), or a label (comparison, trend, maturity, [u])",
    "numerator": "for a percentage: the statistic counted on top",
    "numerator_value": "for a percentage: the published (rounded) count on top",
    "denominator": "for a percentage: the statistic it is a percentage of",
    "denominator_value": "for a percentage: the published (rounded) count it is a percentage of",
}
SHEET_NAME_LIMIT = 31  # Excel's limit on a sheet name
PAGE_TABLES = {
    "overview": ("families", "family_outcomes", "needs_overview", "measure_progress", "cohort_maturity"),
    "measures": ("measure_progress", "cohort_maturity"),
    "localities": ("measure_progress", "cohort_maturity"),
    "impact": ("impact", "impact_balance"),
    "disclosure": ("disclosure_summary", "linkage_quality"),
}
"""The published tables each page shows: a visitor's whole-dataset download holds those of the pages they may see."""
DATASET_FILE = "dorset-families-matter-statistics.xlsx"
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ods": "application/vnd.oasis.opendocument.spreadsheet", "pdf": "application/pdf"}
_FILES_KEPT = 8  # the whole dataset per role, and the briefings of the localities opened lately
_files: dict[tuple, dict[str, bytes]] = {}
_files_lock = threading.Lock()


def tables_for_pages(pages: Sequence[str]) -> list[str]:
    """The published tables behind the given pages, in PAGE_TABLES order, each once."""
    return list(dict.fromkeys(table for page in PAGE_TABLES if page in pages for table in PAGE_TABLES[page]))


def kept(key: tuple, build: Callable[[], dict[str, bytes]]) -> dict[str, bytes]:
    """The files for `key` (e.g. the edition's digest and the tables), built once and kept (a few at most): building
    the whole dataset takes seconds, and it changes only with a new edition."""
    with _files_lock:
        if key in _files:
            return _files[key]
    files = build()
    with _files_lock:
        while len(_files) >= _FILES_KEPT:
            _files.pop(next(iter(_files)))
        _files[key] = files
    return files


def cover_rows(title: str, info: Mapping[str, str], tables: Sequence[str]) -> list[tuple[str, str]]:
    """The cover sheet: title, dates, status, rules, symbols and definitions, as (heading, text) rows."""
    synthetic = info.get("is_synthetic") == "true"
    rows = [
        ("Title", title),
        ("Data up to", info.get("data_as_of", "not recorded")),
        ("Published", info.get("published_at", "not recorded")),
        ("Edition", info.get("edition", "not recorded")),
        ("Data", "SYNTHETIC: every family and number here is made up for demonstration" if synthetic
         else "real data from Dorset Council's partners, protected by disclosure control"),
        ("Rounding", f"counts are rounded to the nearest {info.get('rounding_base', '?')}"),
        ("Suppression", f"counts below {info.get('threshold', '?')} are not shown ([c]); a percentage is not shown "
         f"unless its numerator and the remainder are each at least {info.get('percentage_min_each_side', '?')}; "
         "other figures are hidden where they would let a hidden one be worked out"),
        ("Intervals", f"{info.get('confidence_level', '?')}% confidence intervals (Wilson score)"),
    ]
    rows += [(f"Symbol {symbol}", meaning) for symbol, meaning in SYMBOL_MEANINGS.items()]
    rows += [(f"Column {name}", meaning) for name, meaning in COLUMN_MEANINGS.items()]
    rows += [(f"Kind {kind}", KINDS[kind]) for kind in KINDS]
    rows += [(f"Table {name}", TABLES_BY_NAME[name].description) for name in tables if name in TABLES_BY_NAME]
    return rows


def dataset_sheet(published: pl.DataFrame) -> pl.DataFrame:
    """One published table in the file's layout: each row as published, a percentage with its published counts."""
    counts = published.filter(pl.col("kind") == "count").select(*KEYS, "statistic", "value")
    frame = published.with_columns(pl.col("value").cast(pl.Float64))
    for side in ("numerator", "denominator"):
        lookup = counts.rename({"statistic": side, "value": f"{side}_value"})
        frame = frame.join(lookup, on=[*KEYS, side], how="left", nulls_equal=True)
    return frame.select(DATASET_COLUMNS)


def _sheet_name(name: str) -> str:
    return name[:SHEET_NAME_LIMIT]


def xlsx_bytes(cover: list[tuple[str, str]], sheets: Mapping[str, pl.DataFrame]) -> bytes:
    """An Excel workbook: the cover sheet first, then one sheet per table (numbers as numbers, text as text)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "nan_inf_to_errors": False})
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet("Cover")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 110)
    for index, (heading, text) in enumerate(cover):
        sheet.write_string(index, 0, heading, bold)
        sheet.write_string(index, 1, text)
    for name, frame in sheets.items():
        sheet = workbook.add_worksheet(_sheet_name(name))
        for column, header in enumerate(frame.columns):
            sheet.write_string(0, column, header, bold)
        for row_index, row in enumerate(frame.iter_rows(), start=1):
            for column, cell in enumerate(row):
                if isinstance(cell, bool):
                    sheet.write_boolean(row_index, column, cell)
                elif isinstance(cell, int | float):
                    sheet.write_number(row_index, column, cell)
                elif cell is not None:
                    sheet.write_string(row_index, column, str(cell))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(frame.height, 1), max(frame.width - 1, 0))
    workbook.close()
    return buffer.getvalue()


def ods_bytes(cover: list[tuple[str, str]], sheets: Mapping[str, pl.DataFrame]) -> bytes:
    """An OpenDocument spreadsheet with the same sheets as xlsx_bytes (numbers as float cells), written as a stream
    of XML by stream-write-ods: seconds for the whole dataset, where building a DOM of every cell took minutes."""
    from stream_write_ods import stream_write_ods

    def sheet_rows(frame: pl.DataFrame):
        yield from frame.iter_rows()

    title, *rest = cover
    content = [("Cover", title, rest)]
    content += [(_sheet_name(name), tuple(frame.columns), sheet_rows(frame)) for name, frame in sheets.items()]
    return b"".join(stream_write_ods(content))


WRITERS = {"xlsx": xlsx_bytes, "ods": ods_bytes}


def dataset_files(info: Mapping[str, str], tables: Mapping[str, pl.DataFrame],
                  formats: Sequence[str] = ("xlsx", "ods")) -> dict[str, bytes]:
    """The whole published dataset a visitor may see, as {"xlsx": ..., "ods": ...}.

    The Methodology page builds each on click and keeps it for the edition (docs/benchmarks.md has the times).
    """
    cover = cover_rows("Dorset Families Matter: published statistics", info, list(tables))
    sheets = {name: dataset_sheet(frame) for name, frame in tables.items()}
    return {extension: WRITERS[extension](cover, sheets) for extension in formats}


def locality_sheet(summary: pl.DataFrame) -> pl.DataFrame:
    """A locality summary (pages._locality.locality_summary) with its numbers as numbers and its symbols beside them."""
    return summary.select(
        pl.col("measure").alias("measure"), pl.col("label").alias("measure_name"), "period", "pooled",
        pl.col("value").alias("locality_value"), pl.col("shown").alias("locality_shown"),
        "area_value", "area_shown", "comparison", "previous_period", "previous_value", "previous_shown",
        pl.col("change").alias("change_on_last_year"), "trend")


def locality_files(title: str, info: Mapping[str, str], summaries: Mapping[str, pl.DataFrame]) -> dict[str, bytes]:
    """One locality's twelve measures (one sheet per outcome) as {"xlsx": ..., "ods": ...}, with the cover sheet."""
    cover = cover_rows(title, info, ["measure_progress"])
    cover[-1:-1] = [("Column locality_value", "the locality's published percentage; empty when hidden (see "
                     "locality_shown)"), ("Column pooled", "true when three years are pooled because the single year "
                     "is hidden")]
    sheets = {name: locality_sheet(summary) for name, summary in summaries.items()}
    return {extension: writer(cover, sheets) for extension, writer in WRITERS.items()}


def _latin1(text: str) -> str:
    """The PDF's core fonts hold Latin-1 only: replace the few typographic characters outside it."""
    return text.translate({0x2013: "-", 0x2014: "-", 0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"',
                           0x2026: "..."}).encode("latin-1", "replace").decode("latin-1")


def briefing_pdf(title: str, info: Mapping[str, str], sections: Sequence[tuple[str, pl.DataFrame]],
                 notes: Sequence[str] = ()) -> bytes:
    """A printable A4 landscape briefing: title, the publication's dates and status, one table per section."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_title(_latin1(title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    status = "SYNTHETIC DATA: every family and number here is made up." if info.get("is_synthetic") == "true" \
        else "Official statistics of Dorset Families Matter, protected by disclosure control."
    for line in (f"Data up to {info.get('data_as_of', 'not recorded')}; published "
                 f"{info.get('published_at', 'not recorded')}; edition {info.get('edition', 'not recorded')}.",
                 status):
        pdf.multi_cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    for heading, table in sections:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, _latin1(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=8)
        with pdf.table(headings_style=FontFace(emphasis="BOLD"), line_height=4.5, text_align="LEFT",
                       col_widths=(30, 16, 12, 12, 18, 14, 12, 22)[: table.width] or None) as grid:
            grid.row([_latin1(name) for name in table.columns])
            for values in table.iter_rows():
                grid.row([_latin1("" if value is None else str(value)) for value in values])
    pdf.ln(3)
    pdf.set_font("Helvetica", size=8)
    for note in (*notes, *(f"{symbol} {meaning}" for symbol, meaning in SYMBOL_MEANINGS.items())):
        pdf.multi_cell(0, 4, _latin1(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
