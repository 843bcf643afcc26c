"""Read one partner file (CSV in a common encoding, Excel .xlsx or Parquet) into text columns, losing nothing.

Every value comes back as text exactly as received (validation and parsing happen in linkage/validation.py),
with the data row number of each row, so a bad row can be quarantined and found again in the file. Rows with
the wrong number of fields (ragged rows) are returned apart, whole. A file that cannot be read at all raises
FileRejected with a reason code and a message that never quotes the file's content.

CSV: UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark; anything else that is not
valid UTF-8 is read as Windows-1252, the encoding Windows tools write; bytes Windows-1252 does not define, or
NUL bytes, reject the file. Blank lines are not rows. The last row must end with a line break: a file cut
short mid-row would otherwise load half a record, and a later complete copy (a different file) would then load
the rest again. Parsing is pyarrow's CSV reader (about 0.5 s per million rows here), quotes and embedded
line breaks included.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

FORMAT_BY_EXTENSION = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}


class FileRejected(Exception):
    """The whole file is rejected; `reason` is a code, the message says why without quoting content."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class RawRows:
    """A file's rows as text: `frame` has one String column per header name (normalised), `row_number` first."""

    frame: pl.DataFrame  # row_number (Int64, data rows from 1) + one String column per header
    ragged: list[tuple[int, str]]  # (row number, the row's text) for rows with the wrong number of fields
    header: list[str]
    encoding: str | None = None


def file_format(path: Path) -> str | None:
    return FORMAT_BY_EXTENSION.get(path.suffix.lower())


def normalise_header(name: str) -> str:
    """Header names match the contract ignoring case, surrounding spaces, and spaces or hyphens inside."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lstrip("\ufeff").strip()).lower()


def read_rows(path: Path, data: bytes) -> RawRows:
    kind = file_format(path)
    if kind == "csv":
        return _read_csv(data)
    if kind == "xlsx":
        return _read_xlsx(data)
    if kind == "parquet":
        return _read_parquet(data)
    raise FileRejected("unsupported_format", f"files ending {path.suffix or '(no extension)'} are not accepted "
                                             "(csv, xlsx or parquet)")


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name): BOM-marked UTF-8/UTF-16, else UTF-8, else Windows-1252."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as error:
                raise FileRejected("unreadable_encoding", f"the file starts with a {encoding} byte-order mark but "
                                                          f"is not valid {encoding}") from error
    if b"\x00" in data:
        raise FileRejected("unreadable_encoding", "the file contains NUL bytes: it is not text in UTF-8 or "
                                                  "Windows-1252 (UTF-16 needs a byte-order mark)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise FileRejected("unreadable_encoding", "the file is neither UTF-8 nor Windows-1252 text") from error


def _read_csv(data: bytes) -> RawRows:
    if not data.strip():
        raise FileRejected("empty_file", "the file is empty")
    text, encoding = decode_text(data)
    if not text.endswith(("\n", "\r")):
        raise FileRejected("truncated", "the last row does not end with a line break: the file looks cut short; "
                                        "ask the partner to send it again")
    first_line = text.split("\n", 1)[0]
    ragged: list[tuple[int, str]] = []
    unnumbered = []

    def on_invalid_row(row) -> str:
        if row.number is None:
            unnumbered.append(True)
        else:
            ragged.append((int(row.number) - 1, row.text))
        return "skip"

    try:
        header_names = next(_csv_module_rows(first_line))
    except StopIteration as error:
        raise FileRejected("empty_file", "the file has no header row") from error
    names = [normalise_header(name) for name in header_names]
    _check_header(names)
    try:
        table = pa_csv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pa_csv.ReadOptions(use_threads=False, column_names=names, skip_rows=1,
                                            block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as error:
        raise FileRejected("unreadable_csv", "the file is not valid CSV") from error
    if unnumbered:
        raise FileRejected("unreadable_csv", "rows with the wrong number of fields could not be located")
    # Rows were numbered from 2 (the header is row 1) before the ragged ones were skipped.
    total = table.num_rows + len(ragged)
    bad = {number for number, _ in ragged}
    numbers = [number for number in range(1, total + 1) if number not in bad] if bad else None
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - from_arrow of a Table is a DataFrame
        raise FileRejected("unreadable_csv", "the file is not valid CSV")
    frame = frame.with_columns(pl.Series("row_number", numbers, dtype=pl.Int64) if numbers is not None
                               else pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row_number"))
    return RawRows(frame.select("row_number", *names), sorted(ragged), names, encoding)


def _csv_module_rows(text: str):
    import csv

    return csv.reader(io.StringIO(text))


def _check_header(names: list[str]) -> None:
    if not any(names):
        raise FileRejected("missing_columns", "the header row is empty")
    if len(set(names)) != len(names):
        raise FileRejected("duplicate_columns", "two columns have the same header")


def _read_xlsx(data: bytes) -> RawRows:
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        sheet = reader.load_sheet(0, header_row=0, dtypes="string")
        frame = sheet.to_polars()
    except Exception as error:  # fastexcel raises its own exception types for broken workbooks
        raise FileRejected("unreadable_excel", "the file is not a readable Excel .xlsx workbook") from error
    names = [normalise_header(name) for name in frame.columns]
    _check_header(names)
    frame = frame.rename(dict(zip(frame.columns, names, strict=True))).with_columns(pl.all().cast(pl.String))
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row_number"))
    return RawRows(frame.select("row_number", *names), [], names)


def _read_parquet(data: bytes) -> RawRows:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as error:  # polars raises several types for broken or truncated files
        raise FileRejected("unreadable_parquet", "the file is not a readable Parquet file") from error
    names = [normalise_header(name) for name in frame.columns]
    _check_header(names)
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    frame = frame.with_columns(
        [pl.col(name).dt.strftime("%Y-%m-%d") if frame.schema[name] in (pl.Date,) or isinstance(
            frame.schema[name], pl.Datetime) else pl.col(name).cast(pl.String) for name in names]
    ).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row_number"))
    return RawRows(frame.select("row_number", *names), [], names)
