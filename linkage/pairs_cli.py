"""`python -m linkage pairs --left L.csv --right R.csv --out P.csv`: the two-file linker on the command line.

Why a careful reader: the files come from anywhere, so every way a file can be wrong (missing, empty, not UTF-8,
ragged, missing columns) ends in one plain sentence and a non-zero exit, and no message quotes a cell of the file
(CSV parser errors do, so they are caught and replaced).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from linkage.pairs import PAIRS_INPUT_COLUMNS, link_two_files
from linkage.person_linking import LinkageInputError

EXIT_BAD_INPUT = 2


class PairsInputError(LinkageInputError):
    """An input file cannot be used; the message names the file and the problem, never a value."""


def read_person_file(path: Path, side: str) -> pl.DataFrame:
    """All columns as text; blank cells null; surrounding spaces kept (normalisation strips them)."""
    if not path.is_file():
        raise PairsInputError(f"The {side} file {path} does not exist.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PairsInputError(f"The {side} file {path} is not UTF-8 text; save it as UTF-8 CSV.") from None
    if not text.strip():
        raise PairsInputError(f"The {side} file {path} is empty.")
    if len([line for line in text.splitlines() if line.strip()]) < 2:
        raise PairsInputError(f"The {side} file {path} has a header but no records.")
    try:
        frame = pl.read_csv(text.encode("utf-8"), infer_schema=False)
    except (pl.exceptions.PolarsError, ValueError):  # polars quotes the offending row: never pass it on
        raise PairsInputError(
            f"The {side} file {path} is not a well-formed CSV (a row with the wrong number of fields, "
            "or an unclosed quote)."
        ) from None
    frame = frame.rename({name: name.strip().lower() for name in frame.columns})
    missing = [name for name in PAIRS_INPUT_COLUMNS if name not in frame.columns]
    if missing:
        raise PairsInputError(f"The {side} file {path} lacks column(s): {', '.join(missing)}.")
    if frame.is_empty():
        raise PairsInputError(f"The {side} file {path} has a header but no records.")
    return frame.select(
        [pl.when(pl.col(name).str.strip_chars() != "").then(pl.col(name)).alias(name) for name in PAIRS_INPUT_COLUMNS]
    ).with_columns(pl.col("record_id").str.strip_chars())


def add_pairs_command(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "pairs",
        help="link two person files (CSV) and write the scored pairs",
        description="Link the records of two person files. Both need the columns "
        + ", ".join(PAIRS_INPUT_COLUMNS)
        + ". Writes left_id, right_id, match_probability, is_match for pairs at or above the review floor.",
    )
    parser.add_argument("--left", required=True, type=Path, help="first CSV file (UTF-8)")
    parser.add_argument("--right", required=True, type=Path, help="second CSV file (UTF-8)")
    parser.add_argument("--out", required=True, type=Path, help="CSV file to write the pairs to")
    parser.add_argument(
        "--many-to-many",
        action="store_true",
        help="a person may appear more than once in a file: link every pair at or above the automatic-link "
        "threshold instead of each record's single best match",
    )
    parser.set_defaults(handler=run_pairs)


def run_pairs(arguments: argparse.Namespace) -> int:
    try:
        left = read_person_file(arguments.left, "left")
        right = read_person_file(arguments.right, "right")
        pairs = link_two_files(left, right, one_to_one=not arguments.many_to_many)
    except LinkageInputError as error:
        print(f"linkage pairs: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    pairs.write_csv(arguments.out)
    print(
        f"linkage pairs: {left.height} left and {right.height} right records; {pairs.height} pairs written, "
        f"{int(pairs.get_column('is_match').sum())} of them automatic links."
    )
    return 0
