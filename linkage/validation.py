"""Row-level validation of a partner file against its source in the contract, vectorised with polars.

Each row either passes, and is typed for its staging table (dates and numbers parsed, codes written as the
contract spells them, text kept exactly as received, blank -> null), or goes to quarantine with the FIRST
reason it fails, as a code (QUARANTINE_REASONS), the column concerned and the row as received. Reasons and
column names are never personal values, so counts by reason can be reported and logged; the row itself is
stored only in the private quarantine table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from data_access import identifiers
from linkage.contract import IDENTIFYING_FIELDS, Column, Source
from linkage.readers import FileRejected, RawRows

QUARANTINE_REASONS = {
    "ragged_row": "the row has more or fewer fields than the header",
    "empty_row": "every field of the row is blank",
    "missing_required": "a required column is blank",
    "bad_date": "a date that cannot be read in the source's date format (or ISO)",
    "bad_code": "a value that is not one of the column's codes",
    "bad_number": "not a number, or outside the column's minimum and maximum",
    "too_long": "longer than the column allows",
    "bad_name": "a name with characters other than letters, spaces, hyphens, apostrophes and full stops",
    "control_characters": "text with control characters",
    "formula_like_text": "text starting with =, + or @ (a spreadsheet formula)",
    "no_identifiers": "a person row with no surname, NHS number, NI number or UPN: it cannot be linked",
    "bad_format": "a postcode district that is not one in form (e.g. DT4, BH21)",
    "inconsistent_row": "an episode whose attachment date does not match its cohort, or that closes before it began",
    "erased": "a person row matching someone erased on request (the erasure register, docs/data-lifecycle.md): "
              "only its row number is kept",
}
"""Every reason a row can be quarantined for, in the order they are checked (the first one found is kept)."""

ALWAYS_ACCEPTED_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S%.f")
LENIENT_DATE_FIELDS = frozenset({"date_of_birth"})
"""Dates of birth that cannot be read become blank instead of quarantining the row (the linker copes)."""

_NAME_PATTERN = r"^[\p{L}\p{M} '\u2019.\-]+$"
_CONTROL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_FORMULA_PATTERN = r"^[=+@\t\r]"


@dataclass(frozen=True)
class ValidatedRows:
    accepted: pl.DataFrame  # row_number + the declared columns, typed for staging
    quarantined: pl.DataFrame  # row_number, reason, column_name, raw_row

    @property
    def rows_read(self) -> int:
        return self.accepted.height + self.quarantined.height


def check_columns(source: Source, rows: RawRows) -> None:
    """Reject the whole file when its header is not the source's declared columns (names only, never values)."""
    declared = [column.name for column in source.columns]
    missing = [name for name in declared if name not in rows.header]
    unexpected = [name for name in rows.header if name not in declared]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unexpected:
            # Unexpected header cells are not quoted: a file without a header row would put personal data there.
            parts.append(f"{len(unexpected)} column(s) the contract does not declare")
        raise FileRejected("missing_columns" if missing else "unexpected_columns",
                           f"the columns are not those of {source.id}: {'; '.join(parts)}")


def validate_rows(source: Source, rows: RawRows) -> ValidatedRows:
    check_columns(source, rows)
    raw = rows.frame.select("row_number", *(column.name for column in source.columns))
    blank_free = raw.with_columns(
        pl.when(pl.col(column.name).str.strip_chars() == "").then(None).otherwise(pl.col(column.name))
        .alias(column.name) for column in source.columns
    )
    typed = blank_free.select("row_number", *(_typed(column, source) for column in source.columns))
    checks = _checks(source, blank_free, typed)
    reason = pl.lit(None, dtype=pl.String)
    column_name = pl.lit(None, dtype=pl.String)
    for code, name, failed in reversed(checks):  # the first check in order wins
        reason = pl.when(failed).then(pl.lit(code)).otherwise(reason)
        column_name = pl.when(failed).then(pl.lit(name, dtype=pl.String)).otherwise(column_name)
    verdict = raw.select(reason.alias("reason"), column_name.alias("column_name"))
    bad = verdict.get_column("reason").is_not_null()

    quarantined = pl.concat([
        raw.filter(bad).select(
            "row_number",
            verdict.filter(bad).get_column("reason"),
            verdict.filter(bad).get_column("column_name"),
            _row_json(raw.filter(bad), [column.name for column in source.columns]).alias("raw_row"),
        ),
        pl.DataFrame(
            {"row_number": [number for number, _ in rows.ragged],
             "reason": ["ragged_row"] * len(rows.ragged),
             "column_name": [None] * len(rows.ragged),
             "raw_row": [json.dumps([text], ensure_ascii=False) for _, text in rows.ragged]},
            schema={"row_number": pl.Int64, "reason": pl.String, "column_name": pl.String, "raw_row": pl.String},
        ),
    ]).sort("row_number")
    return ValidatedRows(accepted=typed.filter(~bad), quarantined=quarantined)


def _row_json(frame: pl.DataFrame, names: list[str]) -> pl.Series:
    return pl.Series([json.dumps(list(row), ensure_ascii=False) for row in frame.select(names).iter_rows()],
                     dtype=pl.String)


def _parsed_date(value: pl.Expr, source: Source) -> pl.Expr:
    formats = dict.fromkeys((source.date_format, *ALWAYS_ACCEPTED_DATE_FORMATS))
    stripped = value.str.strip_chars()
    return pl.coalesce([stripped.str.to_datetime(fmt, strict=False).dt.date() if "%H" in fmt
                        else stripped.str.to_date(fmt, strict=False) for fmt in formats])


def _canonical_code(value: pl.Expr, column: Column) -> pl.Expr:
    lookup = {code.lower(): code for code in column.codes}
    return value.str.strip_chars().str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.String)


def _number(value: pl.Expr, column: Column) -> pl.Expr:
    dtype = pl.Int64 if column.type == "integer" else pl.Float64
    cleaned = value.str.strip_chars().str.replace_all(",", "")
    if column.type == "integer":  # Excel writes whole numbers as 3.0 sometimes
        cleaned = cleaned.str.replace(r"\.0+$", "")
    return cleaned.cast(dtype, strict=False)


def _typed(column: Column, source: Source) -> pl.Expr:
    value = pl.col(column.name)
    if column.type == "date":
        return _parsed_date(value, source).alias(column.name)
    if column.type == "code":
        return _canonical_code(value, column).alias(column.name)
    if column.type in ("integer", "decimal"):
        return _number(value, column).alias(column.name)
    return value.alias(column.name)


def _checks(source: Source, blank_free: pl.DataFrame, typed: pl.DataFrame) -> list[tuple[str, str | None, pl.Series]]:
    """(reason, column, failed-mask) in the order of QUARANTINE_REASONS."""
    columns = source.columns
    present = {column.name: blank_free.get_column(column.name).is_not_null() for column in columns}
    found: list[tuple[str, str | None, pl.Series]] = []
    if blank_free.height == 0:
        return found
    all_blank = pl.Series([True] * blank_free.height)
    for column in columns:
        all_blank = all_blank & ~present[column.name]
    found.append(("empty_row", None, all_blank))
    for column in columns:
        if column.required:
            found.append(("missing_required", column.name, ~present[column.name]))
    for column in columns:
        parsed = typed.get_column(column.name)
        if column.type == "date" and column.field not in LENIENT_DATE_FIELDS:
            found.append(("bad_date", column.name, present[column.name] & parsed.is_null()))
    for column in columns:
        if column.type == "code":
            found.append(("bad_code", column.name, present[column.name] & typed.get_column(column.name).is_null()))
    for column in columns:
        if column.type in ("integer", "decimal"):
            number = typed.get_column(column.name)
            out_of_range = number.is_null()
            if column.minimum is not None:
                out_of_range = out_of_range | (number < column.minimum)
            if column.maximum is not None:
                out_of_range = out_of_range | (number > column.maximum)
            found.append(("bad_number", column.name, present[column.name] & out_of_range.fill_null(True)))
    text_columns = [column for column in columns if column.type in ("text", "name")]
    for column in text_columns:
        found.append(("too_long", column.name,
                      (blank_free.get_column(column.name).str.len_chars() > column.length).fill_null(False)))
    for column in columns:
        if column.type == "name":
            found.append(("bad_name", column.name,
                          ~blank_free.get_column(column.name).str.contains(_NAME_PATTERN).fill_null(True)))
    for column in text_columns:
        found.append(("control_characters", column.name,
                      blank_free.get_column(column.name).str.contains(_CONTROL_PATTERN).fill_null(False)))
    for column in text_columns:
        found.append(("formula_like_text", column.name,
                      blank_free.get_column(column.name).str.contains(_FORMULA_PATTERN).fill_null(False)))
    if source.kind == "person":
        identifying = [source.fields[name] for name in IDENTIFYING_FIELDS if name in source.fields]
        none = pl.Series([True] * blank_free.height)
        for name in identifying:
            none = none & ~present[name]
        found.append(("no_identifiers", None, none))
    # Rules of the linked-data contract a single row can break: caught here, so one bad case record is
    # quarantined instead of stopping the whole load of the linked tables.
    district = source.fields.get("postcode_district")
    if district:
        cleaned = blank_free.get_column(district).str.strip_chars().str.to_uppercase()
        found.append(("bad_format", district, ~postcode_district_is_valid_series(cleaned).fill_null(True)))
    if source.kind == "episode" and {"cohort", "attachment_date", "eligibility_date", "closure_date"} <= set(
            source.fields):
        field = source.fields
        cohort, attached = typed.get_column(field["cohort"]), typed.get_column(field["attachment_date"])
        closed, eligible = typed.get_column(field["closure_date"]), typed.get_column(field["eligibility_date"])
        inconsistent = (((cohort == "supported") & attached.is_null()) | ((cohort == "comparison")
                                                                           & attached.is_not_null())
                        | (closed < eligible).fill_null(False))
        found.append(("inconsistent_row", None, inconsistent.fill_null(False)))
    return found


def postcode_district_is_valid_series(values: pl.Series) -> pl.Series:
    return pl.DataFrame({"value": values}).select(identifiers.postcode_district_is_valid(pl.col("value"))).to_series()
