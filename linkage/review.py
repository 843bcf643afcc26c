"""Clerical review: the review queue written side by side for an analyst, and their decisions read back.

Why a file: an analyst decides uncertain pairs in a spreadsheet, away from the database. The export holds
personal data, so it is written readable by its owner only (0600), and every text cell that a spreadsheet would
run as a formula (starting with = + - @, a tab or a carriage return) is prefixed with an apostrophe. The import
reads only record_id_l, record_id_r and decision, checks every row before anything is stored (an unknown pair, a
decision that is not match / not_match / blank, one pair decided twice differently: the message names the row,
never a value), and stores the decisions; `python -m linkage run` then relinks with them, on every later run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from data_access.staging import read_decisions, read_review_pairs, read_staged, save_decisions
from linkage.contract import PERSON_FIELDS, PartnerContract
from linkage.ingest import staged_tables
from linkage.person_records import person_records, record_facts

DECISION_VALUES = {"match": True, "not_match": False, "not a match": False}
"""Accepted decision cells (any case, surrounding spaces ignored); a blank cell leaves the pair undecided."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SIDE_FIELDS = ("record_id", "source", "record_date", *PERSON_FIELDS)
EXPORT_COLUMNS = ("pair", "match_probability", "decision",
                  *(f"{field}_{side}" for side in ("l", "r") for field in SIDE_FIELDS))


class ReviewFileError(ValueError):
    """The decisions file cannot be applied; names the row(s) and the problem, never a value. Nothing was stored."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        super().__init__("No decision was stored:\n" + "\n".join(f"- {problem}" for problem in shown))


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would evaluate (=, +, -, @, tab, CR first) prefixed with an apostrophe."""
    starts = "^[" + "".join({"\t": "\\t", "\r": "\\r", "-": "\\-", "+": "\\+"}.get(c, c) for c in FORMULA_STARTS) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(starts)).then(pl.concat_str(pl.lit("'"), pl.col(name)))
        .otherwise(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items() if dtype == pl.String
    )


def review_sheet(engine: Engine, contract: PartnerContract) -> pl.DataFrame:
    """The current review queue, one row per pair, both records' identifiers side by side (EXPORT_COLUMNS)."""
    queue = read_review_pairs(engine).sort(["match_probability", "record_id_l", "record_id_r"],
                                           descending=[True, False, False])
    if queue.is_empty():
        return pl.DataFrame(schema=dict.fromkeys(EXPORT_COLUMNS, pl.String)).with_columns(
            pl.col("match_probability").cast(pl.Float64))
    wanted = set(queue.get_column("record_id_l")) | set(queue.get_column("record_id_r"))
    staged = {}
    for source_id, table in staged_tables(contract).items():
        frame = read_staged(engine, table)
        staged[source_id] = frame.filter(pl.col("record_id").is_in(list(wanted)))
    records = person_records(contract, staged).join(
        record_facts(contract, staged).select("record_id", pl.col("record_day").cast(pl.String).alias("record_date")),
        on="record_id", how="left").select(SIDE_FIELDS)
    sheet = (queue.with_row_index("pair", offset=1)
             .join(records.rename(lambda name: f"{name}_l"), on="record_id_l", how="left")
             .join(records.rename(lambda name: f"{name}_r"), on="record_id_r", how="left")
             .with_columns(pl.lit(None, dtype=pl.String).alias("decision"), pl.col("match_probability").round(4),
                           pl.col("pair").cast(pl.Int64)))
    return neutralise_formulas(sheet.select(EXPORT_COLUMNS)).sort("pair")


def write_private_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write CSV readable and writable by its owner only (0600), also when the file existed with a wider mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        frame.write_csv(handle)


@dataclass(frozen=True)
class ImportSummary:
    matches: int
    not_matches: int
    blank: int


def read_decisions_file(path: Path) -> pl.DataFrame:
    """record_id_l, record_id_r, decision (text) and row (the spreadsheet row, header = 1) of a decisions file."""
    if not path.is_file():
        raise ReviewFileError([f"{path} does not exist"])
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, ValueError, OSError):  # polars quotes the offending row: never pass it on
        raise ReviewFileError([f"{path} is not a well-formed CSV file (a row with the wrong number of fields, "
                               "or an unclosed quote)"]) from None
    frame = frame.rename({name: name.strip().lstrip("\ufeff").lower() for name in frame.columns})
    missing = [name for name in ("record_id_l", "record_id_r", "decision") if name not in frame.columns]
    if missing:
        raise ReviewFileError([f"{path} lacks column(s) {', '.join(missing)} (export the queue again and fill in "
                               "its decision column)"])
    return frame.select(pl.int_range(2, frame.height + 2).alias("row"),
                        *(pl.col(name).str.strip_chars().str.strip_prefix("'")
                          for name in ("record_id_l", "record_id_r")),
                        pl.col("decision").str.strip_chars().str.to_lowercase().fill_null(""))


def checked_decisions(engine: Engine, path: Path) -> tuple[pl.DataFrame, ImportSummary]:
    """The file's decisions (record_id_l < record_id_r, is_match), after checking every row; raises ReviewFileError
    naming each bad row. A pair is known when it is in the review queue or was decided before (re-importing a
    file, or changing one's mind)."""
    rows = read_decisions_file(path)
    known = pl.concat([read_review_pairs(engine).select("record_id_l", "record_id_r"),
                       read_decisions(engine).select("record_id_l", "record_id_r")]).unique()
    ordered = rows.with_columns(pl.min_horizontal("record_id_l", "record_id_r").alias("record_id_l"),
                                pl.max_horizontal("record_id_l", "record_id_r").alias("record_id_r"))
    checked = ordered.join(known.with_columns(pl.lit(True).alias("known")), on=["record_id_l", "record_id_r"],
                           how="left", maintain_order="left")
    problems = []
    for row, left, right, decision, is_known in checked.select("row", "record_id_l", "record_id_r", "decision",
                                                               "known").iter_rows():
        if decision and decision not in DECISION_VALUES:
            problems.append(f"row {row}: the decision must be match, not_match or blank")
        elif decision and (not left or not right or not is_known):
            problems.append(f"row {row}: its record_id_l and record_id_r are not a pair in the review queue "
                            "(export the queue again)")
    decided = checked.filter(pl.col("decision") != "").with_columns(
        pl.col("decision").replace_strict(DECISION_VALUES, default=None, return_dtype=pl.Boolean).alias("is_match"))
    clashes = (decided.filter(pl.col("is_match").is_not_null())
               .group_by("record_id_l", "record_id_r").agg(pl.col("is_match").n_unique().alias("answers"),
                                                           pl.col("row").sort())
               .filter(pl.col("answers") > 1))
    for (rows_of_pair,) in clashes.select("row").iter_rows():
        problems.append(f"rows {', '.join(map(str, rows_of_pair))}: the same pair is decided both match and "
                        "not_match")
    if problems:
        raise ReviewFileError(sorted(problems, key=lambda text: int(text.split()[1].rstrip(":,"))))
    result = decided.select("record_id_l", "record_id_r", "is_match").unique(["record_id_l", "record_id_r"])
    matches = int(result.get_column("is_match").sum())
    return result, ImportSummary(matches, result.height - matches, rows.height - decided.height)


def import_decisions(engine: Engine, path: Path) -> ImportSummary:
    decisions, summary = checked_decisions(engine, path)
    if decisions.height:
        save_decisions(engine, decisions)
    return summary
