"""Write the files each partner would send about a synthetic Dorset, with real-world errors, and the truth beside them.

`write_partner_extracts(world, directory)` writes one file per source of config/partners.toml, named
`<source>_<data_as_of>.<ext>`, in the formats partners use: most as UTF-8 CSV, police missing-person reports and
council tax arrears as Windows-1252 CSV with CRLF line ends, health visiting reviews as UTF-8 with a byte-order
mark, exploitation screening as Excel .xlsx and adult mental health as Parquet. Beside them,
`truth/records.csv` (source, record_id, person_key, family_key) says whose every record is: for evaluating
linkage only, never read by the pipeline (the ingest reads only files directly in the inbox).

Records are drafted in synthetic/partner_records.py, identifiers come from synthetic/partner_people.py and the
planted errors from synthetic/partner_errors.py (every rate is a field of ExtractSettings).
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from data_access.config import load_localities, load_measures
from linkage.contract import PartnerContract, Source, load_partner_contract
from synthetic import partner_errors as errors
from synthetic.calendar import day_number
from synthetic.partner_errors import ExtractSettings
from synthetic.partner_people import identity_on, outsiders, with_surname_change_dates, world_people
from synthetic.partner_records import (
    Drafts,
    noise_records,
    outsider_records,
    rule_records,
    school_records,
)

EXTRACT_STREAM = 91  # the extracts' random numbers are independent of the world's own streams
FORMAT_OF_SOURCE = {
    "exploitation_screening": "xlsx",
    "adult_mental_health": "parquet",
}
CSV_ENCODING_OF_SOURCE = {
    "police_missing": "cp1252",
    "council_tax_arrears": "cp1252",
    "early_years_reviews": "utf-8-sig",
}
EPOCH = date(1970, 1, 1)
NHS_SPACED_SHARE = 0.2  # NHS numbers written 3-3-4 (a format, not an error)
NI_SPACED_SHARE = 0.2  # NI numbers written in pairs


@dataclass(frozen=True)
class ExtractSummary:
    files: dict[str, Path]  # source id -> file written
    records: dict[str, int]  # source id -> rows
    truth_path: Path
    seconds: float

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def write_partner_extracts(world, directory: Path, *, settings: ExtractSettings | None = None,
                           contract: PartnerContract | None = None, config_dir: Path | None = None) -> ExtractSummary:
    """Write every source's extract and truth/records.csv into `directory` (created if needed)."""
    started = time.perf_counter()
    settings = settings or ExtractSettings()
    contract = contract or load_partner_contract(config_dir)
    catalogue = load_measures(config_dir)
    localities = load_localities(config_dir)
    rng = np.random.default_rng(np.random.SeedSequence([world.seed, EXTRACT_STREAM]))
    directory = Path(directory)
    (directory / "truth").mkdir(parents=True, exist_ok=True)

    people = world_people(rng, world, localities, surname_change=settings.surname_change, move=settings.move)
    n_outsiders = int(round(settings.outsiders * people.frame.height))
    strangers = outsiders(rng, n_outsiders, world, localities)
    everyone = pl.concat([people.frame, strangers.frame], how="vertical_relaxed")

    drafts = Drafts({})
    baselines = rule_records(rng, world, contract, catalogue, settings, drafts)
    n_rule_records = sum(frame.height for frames in drafts.by_source.values() for frame in frames)
    noise_records(rng, world, contract, catalogue, baselines, n_rule_records, settings, drafts)
    for source in contract.sources:
        if source.kind == "person" and not source.rules and source.column_for("upn") is not None \
                and source.column_for("family_ref") is None:
            school_records(rng, world, source, drafts)
    outsider_records(rng, world, contract, strangers.frame.get_column("person_key").to_list(), drafts)
    frames = drafts.frames()
    frames.update(_case_records(world, contract))
    first_days = pl.concat([frame.select("person_key", "day") for source_id, frame in frames.items()
                            if contract.by_id(source_id).kind == "person"]).filter(pl.col("person_key").is_not_null())
    everyone = with_surname_change_dates(everyone, first_days.group_by("person_key").agg(
        pl.col("day").min().alias("first_day")), day_number(world.data_as_of))

    files: dict[str, Path] = {}
    counts: dict[str, int] = {}
    truth_parts = []
    date_stamp = world.data_as_of.isoformat()
    for source in contract.sources:
        frame = frames.get(source.id)
        if frame is None:
            continue
        if source.kind == "person" and source.column_for("family_ref") is None:
            frame = _duplicates(rng, frame, settings.duplicate)
        if source.kind == "family_review":
            frame = frame.with_columns(family_ref(pl.col("family_key").str.slice(1).cast(pl.Int64))
                                       .alias(source.fields["family_ref"]))
        if source.kind == "person":
            frame = _with_identifiers(rng, frame, everyone, source, settings)
        frame = frame.sample(fraction=1.0, shuffle=True, seed=int(rng.integers(0, 2**31)))
        frame = _with_references(frame, source)
        kind = FORMAT_OF_SOURCE.get(source.id, "csv")
        path = directory / f"{source.id}_{date_stamp}.{kind}"
        data = _encode(frame, source, kind)
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        files[source.id] = path
        counts[source.id] = frame.height
        truth_parts.append(frame.select(
            pl.lit(source.id).alias("source"),
            pl.format("{}:{}:{}", pl.lit(source.id), pl.lit(digest[:12]),
                      pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(7)).alias("record_id"),
            pl.col("person_key").fill_null(""),
            pl.col("family_key").fill_null(""),
        ))
    truth_path = directory / "truth" / "records.csv"
    pl.concat(truth_parts).write_csv(truth_path)
    return ExtractSummary(files, counts, truth_path, time.perf_counter() - started)


# --- case system records (the programme's own) -------------------------------------------------------

def family_ref(family_id: pl.Expr) -> pl.Expr:
    return pl.format("DFM-{}", family_id.cast(pl.String).str.zfill(6))


def episode_ref(episode_id: pl.Expr) -> pl.Expr:
    return pl.format("EP-{}", episode_id.cast(pl.String).str.zfill(7))


def _case_records(world, contract: PartnerContract) -> dict[str, pl.DataFrame]:
    """Rows for the case system's sources, named by the `field` each column carries."""
    day = pl.Int64
    out: dict[str, pl.DataFrame] = {}
    for source in contract.sources:
        fields = source.fields
        if source.kind == "person" and "family_ref" in fields:
            members = world["family_member"].select(
                pl.format("P{}", pl.col("person_id")).alias("person_key"),
                pl.format("F{}", pl.col("family_id")).alias("family_key"),
                pl.lit(world.data_as_of).cast(pl.Date).cast(day).alias("day"),
                family_ref(pl.col("family_id")).alias(fields["family_ref"]),
                pl.col("role").alias(fields["role"]),
                pl.col("start_date").cast(day).alias(fields["member_from"]),
                pl.col("end_date").cast(day).alias(fields["member_until"]),
            )
            out[source.id] = members
        elif source.kind == "family":
            out[source.id] = world["family"].select(
                pl.lit(None, dtype=pl.String).alias("person_key"),
                pl.format("F{}", pl.col("family_id")).alias("family_key"),
                family_ref(pl.col("family_id")).alias(fields["family_ref"]),
                *(pl.col(name).alias(column) for name, column in fields.items() if name != "family_ref"),
            )
        elif source.kind == "episode":
            episodes = world["programme_episode"]
            out[source.id] = episodes.select(
                pl.lit(None, dtype=pl.String).alias("person_key"),
                pl.format("F{}", pl.col("family_id")).alias("family_key"),
                episode_ref(pl.col("episode_id")).alias(fields["episode_ref"]),
                family_ref(pl.col("family_id")).alias(fields["family_ref"]),
                *(_as_days(episodes, name).alias(column) for name, column in fields.items()
                  if name not in ("episode_ref", "family_ref")),
            )
        elif source.kind == "episode_need":
            needs = world["eligibility_need"].join(world["programme_episode"].select("episode_id", "family_id"),
                                                   on="episode_id")
            out[source.id] = needs.select(
                pl.lit(None, dtype=pl.String).alias("person_key"),
                pl.format("F{}", pl.col("family_id")).alias("family_key"),
                episode_ref(pl.col("episode_id")).alias(fields["episode_ref"]),
                pl.col("headline_outcome").alias(fields["headline_outcome"]),
                pl.col("source").alias(fields["source"]),
            )
    return out


def _as_days(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Int64) if frame.schema[name] == pl.Date else pl.col(name)


def _duplicates(rng: np.random.Generator, frame: pl.DataFrame, rate: float) -> pl.DataFrame:
    chosen = frame.filter(pl.Series(rng.random(frame.height) < rate))
    return pl.concat([frame, chosen], how="vertical_relaxed")


# --- identifiers, with errors -------------------------------------------------------------------------

def _with_identifiers(rng: np.random.Generator, frame: pl.DataFrame, everyone: pl.DataFrame, source: Source,
                      settings: ExtractSettings) -> pl.DataFrame:
    """The source's identifier columns, as the partner recorded them on each record's day, errors planted."""
    fields = source.fields
    true = identity_on(frame.select("person_key", "day"), everyone)
    n = frame.height
    values: dict[str, pl.Series] = {}
    if "first_name" in fields:
        first = errors.apply_nicknames(rng, true.get_column("first_name"), settings.nickname)
        values["first_name"] = errors.apply_typos(rng, first, settings.typo)
    if "surname" in fields:
        values["surname"] = errors.apply_typos(rng, true.get_column("surname"), settings.typo)
    if "middle_name" in fields:
        values["middle_name"] = errors.blank_at(rng, true.get_column("middle_name"), settings.blank)
    if "date_of_birth" in fields:
        born = true.get_column("date_of_birth").to_numpy()
        swapped = errors.swap_day_and_month(np.nan_to_num(born, nan=0).astype(np.int64),
                                            rng.random(n) < settings.dob_swap)
        dob = pl.Series("date_of_birth", swapped, dtype=pl.Int64).zip_with(
            true.get_column("date_of_birth").is_not_null(), pl.repeat(None, n, dtype=pl.Int64, eager=True))
        values["date_of_birth"] = errors.blank_at(rng, dob, settings.blank)
    if "sex" in fields:
        values["sex"] = errors.blank_at(rng, true.get_column("sex"), settings.blank)
    if "nhs_number" in fields:
        nhs = errors.blank_at(rng, true.get_column("nhs_number"), settings.nhs_missing)
        nhs = errors.break_nhs_check_digits(rng, nhs, settings.nhs_bad_check)
        values["nhs_number"] = _spaced(rng, nhs, NHS_SPACED_SHARE, (3, 6))
    if "ni_number" in fields:
        ni = errors.blank_at(rng, true.get_column("ni_number"), settings.blank)
        values["ni_number"] = _spaced(rng, ni, NI_SPACED_SHARE, (2, 4, 6, 8))
    if "upn" in fields:
        values["upn"] = errors.blank_at(rng, true.get_column("upn"), settings.blank)
    if "postcode" in fields:
        values["postcode"] = errors.blank_at(rng, true.get_column("postcode"), settings.blank)
    if "address" in fields:
        values["address"] = errors.blank_at(rng, true.get_column("address"), settings.blank)
    if "ethnic_group" in fields:
        values["ethnic_group"] = true.get_column("ethnic_group")
    for name in ("first_name", "middle_name", "surname", "address", "postcode"):
        if name in values:
            values[name] = errors.mixed_case(rng, errors.stray_spaces(rng, values[name], settings.stray_space),
                                             settings.mixed_case)
    return frame.with_columns(value.alias(fields[name]) for name, value in values.items())


def _spaced(rng: np.random.Generator, values: pl.Series, share: float, cuts: tuple[int, ...]) -> pl.Series:
    spaced = values.to_list()
    for index in np.flatnonzero(rng.random(len(spaced)) < share):
        value = spaced[index]
        if isinstance(value, str):
            pieces, start = [], 0
            for cut in (*cuts, len(value)):
                pieces.append(value[start:cut])
                start = cut
            spaced[index] = " ".join(piece for piece in pieces if piece)
    return pl.Series(values.name, spaced, dtype=pl.String)


def _with_references(frame: pl.DataFrame, source: Source) -> pl.DataFrame:
    """Partner reference numbers (required text columns that carry no field): unique within the file."""
    prefix = "".join(word[0] for word in source.id.split("_")).upper()
    references = [column.name for column in source.columns if column.type == "text" and column.required
                  and column.field is None]
    return frame.with_columns(pl.format("{}{}", pl.lit(prefix), pl.int_range(1, pl.len() + 1).cast(pl.String)
                                        .str.zfill(7)).alias(name) for name in references)


# --- formats ------------------------------------------------------------------------------------------

def _declared(frame: pl.DataFrame, source: Source, *, text_dates: bool) -> pl.DataFrame:
    """The source's columns, in order: dates formatted (CSV) or as dates, codes spelled as the partner does."""
    out = []
    for column in source.columns:
        name = column.name
        if name not in frame.columns:
            out.append(pl.lit(None, dtype=pl.String).alias(name))
            continue
        value = pl.col(name)
        if column.type == "date":
            as_date = value.cast(pl.Int64).cast(pl.Int32).cast(pl.Date)
            out.append(as_date.dt.strftime(source.date_format).alias(name) if text_dates else as_date.alias(name))
        elif column.field == "sex":
            back = {meaning: code for code, meaning in column.means.items()} if column.means else {
                code: code for code in column.codes}
            unknown = back.get("")
            out.append(pl.when(value.is_null()).then(pl.lit(unknown, dtype=pl.String))
                       .otherwise(value.replace_strict(back, default=unknown, return_dtype=pl.String)).alias(name))
        elif column.type == "decimal":
            out.append(value.cast(pl.Float64).round(2).cast(pl.String).alias(name))
        else:
            out.append(value.cast(pl.String).alias(name))
    return frame.select(out)


def _encode(frame: pl.DataFrame, source: Source, kind: str) -> bytes:
    if kind == "parquet":
        buffer = io.BytesIO()
        _declared(frame, source, text_dates=False).write_parquet(buffer)
        return buffer.getvalue()
    if kind == "xlsx":
        return _xlsx(_declared(frame, source, text_dates=False))
    encoding = CSV_ENCODING_OF_SOURCE.get(source.id, "utf-8")
    text = _declared(frame, source, text_dates=True).write_csv(
        line_terminator="\r\n" if encoding == "cp1252" else "\n")
    return text.encode(encoding)


def _xlsx(frame: pl.DataFrame) -> bytes:
    """An .xlsx workbook, byte-for-byte the same for the same frame (fixed document dates)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"created": datetime(2026, 1, 1)})
    sheet = workbook.add_worksheet("extract")
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, frame.columns)
    dates = [index for index, dtype in enumerate(frame.dtypes) if dtype == pl.Date]
    for row_number, row in enumerate(frame.iter_rows(), start=1):
        for index, value in enumerate(row):
            if value is None:
                continue
            if index in dates:
                sheet.write_datetime(row_number, index, datetime(value.year, value.month, value.day), date_format)
            else:
                sheet.write_string(row_number, index, value)
    workbook.close()
    return buffer.getvalue()


