"""Erasure and correction of one person, across every table, file and log; then republish (docs/data-lifecycle.md).

    python -m linkage.erasure erase   --db URL (--person-file FILE | --person-env NAME) [--all-matches]
    python -m linkage.erasure correct --db URL (--person-file FILE | --person-env NAME)
        [--published-db URL] [--no-publish] [--operator NAME]

The person is given in a file or an environment variable (linkage/erasure_request.py), never on the command
line (shell history, process lists). The council's erasure-register secret comes from FAMILIES_ERASURE_KEY_FILE or
FAMILIES_ERASURE_KEY (linkage/erasure_register.py). Runs on the pipeline host as the linked data's owner.

Finding them: linked people whose identifiers match the request (an NHS number, NI number or UPN; or name and date of
birth with no identifier disagreeing), then the partner records: those linked to them and those matching the request
directly. A linked record that carries another NHS number, NI number or UPN than the request is probably someone else
wrongly linked: it is left alone and counted ("held back"), for an analyst to review. Quarantined rows match the
request or the person's erased records.

erase, in ONE transaction: the person's linked rows (person_identifier and every row referring to it: family
membership, need observations, record_link), their staged partner rows and quarantined rows, review pairs and
decisions naming those records, access-log entries naming them (when the log is a table of this database), their
extract lineage; the keyed hashes of every erased record's identifiers go into the erasure register, so the ingest
sets aside any later record of theirs (reason "erased"), also in a re-sent copy of a file with different bytes.
Then: the access log elsewhere (the SQLite JSON-lines file, or a separate published database), copies on disk of
extracts that included them (deleted; the recipients are listed for notification, UK GDPR Article 19), the database
scrubbed (SQLite VACUUM and WAL truncation, PostgreSQL VACUUM FULL of the tables that lost rows), and a republish.

correct: sets the corrected values on the person's linked row and on every partner record linked to them (so the
next linkage run rebuilds the corrected values), in one transaction; then scrub and republish. More than one match
is refused for a correction (and for an erasure unless --all-matches).

Logged in lifecycle_log with counts and field names only. Exit status 0 done, 1 failure (or done, but a step after
the commit failed: it is named), 3 done but not republished, 4 not done because the request matched more than one
person (or, for a correction, nobody).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from data_access.access_log import ACCESS_LOG_SCHEMA, access_event, access_log_dir, rewrite_jsonl
from data_access.config import ConfigError, PublishSettings, load_publish_settings
from data_access.db_errors import plain_message
from data_access.engine import linked_db_url, make_engine, normalise_url, published_db_url, publishing_db_url
from data_access.erasure_store import (
    access_events_naming,
    add_to_register,
    correct_rows,
    delete_access_events,
    erase_rows,
    read_people,
    read_quarantined_raw_rows,
    records_of_people,
    scrub,
    store_check_value,
)
from data_access.extract_reads import NotPrivateTier, open_private_tier
from data_access.lifecycle_log import (
    extracts_including,
    log_event,
    mark_output_removed,
    operator_name,
    update_event_detail,
    utc_now,
)
from data_access.lifecycle_schema import LifecycleStoreError, ensure_lifecycle_tables
from data_access.retention import republish
from data_access.staging import read_staged
from linkage.contract import PERSON_FIELDS, PartnerContract, load_partner_contract
from linkage.erasure_register import (
    STRONG_KINDS,
    ErasureKeyError,
    check_value,
    hashed,
    match_values,
    matching,
    person_match_values,
    verified_key,
)
from linkage.erasure_request import RequestError, read_request
from linkage.extract.package import remove_output
from linkage.ingest import staged_tables
from linkage.normalise import normalise_people
from linkage.person_records import person_records
from linkage.secret_keys import QuietArgumentParser

EXIT_OK, EXIT_FAILURE, EXIT_NOT_DONE = 0, 1, 4
PERSON_COLUMNS = ("person_id", "given_name", "family_name", "date_of_birth", "postcode", "nhs_number", "ni_number",
                  "upn")
FIELD_OF = {"given_name": "first_name", "family_name": "surname", "date_of_birth": "date_of_birth",
            "sex": "sex", "postcode": "postcode", "nhs_number": "nhs_number", "ni_number": "ni_number",
            "upn": "upn", "ethnic_group": "ethnic_group"}
"""A person_identifier column -> the contract field that carries it in partner files."""


class NotDone(RuntimeError):
    """The request matched more than one person (or none, for a correction): nothing was changed."""


@dataclass
class Found:
    """Everything the request leads to (keys and counts; values stay in the frames, never in messages)."""

    person_ids: list[int]
    records: dict[str, set[str]]  # staging table -> record ids
    held_back: int
    quarantine_rows: list[tuple[int, int]]  # (file_id, row_number)
    register: pl.DataFrame  # key_hash, kind: the request's and the erased records' keyed match values
    search_values: list[str] = field(default_factory=list)  # lower-case texts for the access log

    @property
    def record_count(self) -> int:
        return sum(len(ids) for ids in self.records.values())


def _as_register(values: pl.DataFrame) -> pl.DataFrame:
    return values.select("key_hash", "kind").unique().with_columns(pl.lit(0, dtype=pl.Int64).alias("erasure_id"))


def _present_staged(engine: Engine, contract: PartnerContract) -> dict[str, pl.DataFrame]:
    existing = set(inspect(engine).get_table_names())
    return {source.id: read_staged(engine, table) for source in contract.person_sources
            for table in [staged_tables(contract)[source.id]] if table.name in existing}


def _quarantined_people(engine: Engine, contract: PartnerContract) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Quarantined rows of person sources as (records with raw identifier text, ragged rows' raw text)."""
    rows = read_quarantined_raw_rows(engine)
    if rows is None:
        empty = pl.DataFrame(schema={"record_id": pl.String})
        return empty, pl.DataFrame(schema={"record_id": pl.String, "text": pl.String})
    sources = {source.id: source for source in contract.person_sources}
    parsed, ragged = [], []
    for file_id, row_number, raw_row, source_id in rows.iter_rows():
        source = sources.get(source_id)
        if source is None:
            continue
        record_id = f"{file_id}:{row_number}"
        try:
            values = json.loads(raw_row)
        except (TypeError, ValueError):
            values = [raw_row]
        if not isinstance(values, list) or len(values) != len(source.columns):
            ragged.append({"record_id": record_id, "text": " ".join(str(value) for value in values).lower()})
            continue
        by_column = dict(zip((column.name for column in source.columns), values, strict=True))
        parsed.append({"record_id": record_id, "source": source_id,
                       **{name: (None if source.fields.get(name) is None else by_column[source.fields[name]])
                          for name in PERSON_FIELDS}})
    schema = {"record_id": pl.String, "source": pl.String, **dict.fromkeys(PERSON_FIELDS, pl.String)}
    return (pl.DataFrame(parsed, schema=schema),
            pl.DataFrame(ragged, schema={"record_id": pl.String, "text": pl.String}))


def search_values(request_row: pl.DataFrame, people: pl.DataFrame) -> list[str]:
    """Lower-case texts that would name the person in a free-text log: identifiers, dates, full names."""
    values: set[str] = set()
    for row in pl.concat([request_row.select(PERSON_COLUMNS[1:]).cast(pl.String),
                          people.select(PERSON_COLUMNS[1:]).cast(pl.String)]).iter_rows(named=True):
        for name in ("nhs_number", "ni_number", "upn", "postcode"):
            if row[name]:
                compact = "".join(row[name].split()).lower()
                values |= {compact, row[name].lower()}
                if name == "nhs_number" and len(compact) == 10:
                    values.add(f"{compact[:3]} {compact[3:6]} {compact[6:]}")
        if row["date_of_birth"]:
            day = row["date_of_birth"][:10]
            values |= {day, f"{day[8:10]}/{day[5:7]}/{day[:4]}"}
        if row["given_name"] and row["family_name"]:
            given, family = row["given_name"].strip().lower(), row["family_name"].strip().lower()
            values |= {f"{given} {family}", f"{given}.{family}", f"{family}, {given}"}
    return sorted(value for value in values if len(value) >= 6)


def _ragged_needles(request_row: pl.DataFrame, people: pl.DataFrame
                    ) -> tuple[set[str], set[tuple[str, str]], set[str]]:
    """Texts that identify the person in a row that could not be split into columns: an NHS number, NI number or
    UPN (as written or compact); or given name, family name and date of birth all in it (a postcode alone is the
    household's)."""
    identifiers, names, births = set(), set(), set()
    for row in pl.concat([request_row.select(PERSON_COLUMNS[1:]).cast(pl.String),
                          people.select(PERSON_COLUMNS[1:]).cast(pl.String)]).iter_rows(named=True):
        for name in ("nhs_number", "ni_number", "upn"):
            if row[name]:
                identifiers |= {row[name].lower(), "".join(row[name].split()).lower()}
        if row["given_name"] and row["family_name"]:
            names.add((row["given_name"].strip().lower(), row["family_name"].strip().lower()))
        if row["date_of_birth"]:
            day = row["date_of_birth"][:10]
            births |= {day, f"{day[8:10]}/{day[5:7]}/{day[:4]}"}
    return {value for value in identifiers if len(value) >= 9}, names, births


def find_person(engine: Engine, contract: PartnerContract, request_row: pl.DataFrame, key: bytes) -> Found:
    """The linked people, partner records and quarantined rows the request leads to (see the module docstring).

    One step of widening: the linked people the request matches bring their own identifiers into the search, so a
    person the linker split in two (one half with the NHS number asked for, the other without) is found whole, and
    the refusal of several matches shows it.
    """
    request_values = hashed(person_match_values(request_row), key)
    search = request_values.select("key_hash", "kind")
    people = pl.DataFrame(schema={name: pl.String for name in PERSON_COLUMNS}).with_columns(
        pl.col("person_id").cast(pl.Int64))
    person_ids: list[int] = []
    everyone = read_people(engine, PERSON_COLUMNS)
    if everyone is not None:
        everyone_values = hashed(person_match_values(everyone), key)
        first = matching(everyone_values, _as_register(search)).get_column("record_id")
        search = pl.concat([search, everyone_values.filter(pl.col("record_id").is_in(first.implode())).select(
            "key_hash", "kind")]).unique()
        matched = matching(everyone_values, _as_register(search))
        person_ids = sorted({int(record_id) for record_id in matched.get_column("record_id")})
        people = everyone.filter(pl.col("person_id").is_in(person_ids))
    search_register = _as_register(search)

    staged = _present_staged(engine, contract)
    records = person_records(contract, staged)
    record_values = hashed(match_values(normalise_people(records)), key) if records.height else \
        pl.DataFrame(schema={"record_id": pl.String, "kind": pl.String, "has_dob": pl.Boolean, "key_hash": pl.String})
    direct = set(matching(record_values, search_register).get_column("record_id"))
    linked = records_of_people(engine, person_ids)
    search_strong = search_register.filter(pl.col("kind").is_in(STRONG_KINDS))
    linked_strong = record_values.filter(pl.col("record_id").is_in(list(linked)) & pl.col("kind").is_in(
        STRONG_KINDS)).join(search_strong.select("kind").unique(), on="kind", how="semi")
    disagreeing = set(linked_strong.join(search_strong, on=["kind", "key_hash"], how="anti").get_column("record_id"))
    chosen = direct | (linked - disagreeing)
    by_table: dict[str, set[str]] = defaultdict(set)
    for record_id, source_id in records.filter(pl.col("record_id").is_in(list(chosen))).select(
            "record_id", "source").iter_rows():
        by_table[staged_tables(contract)[source_id].name].add(record_id)
    register = pl.concat([search, record_values.filter(pl.col("record_id").is_in(list(chosen))).select(
        "key_hash", "kind")]).unique()

    quarantined, ragged = _quarantined_people(engine, contract)
    rows: set[str] = set()
    if quarantined.height:
        quarantine_values = hashed(match_values(normalise_people(quarantined)), key)
        rows |= set(matching(quarantine_values, _as_register(register)).get_column("record_id"))
    identifiers, names, births = _ragged_needles(request_row, people)
    for record_id, text in ragged.iter_rows():
        if any(value in text for value in identifiers) or (
                any(given in text and family in text for given, family in names)
                and any(born in text for born in births)):
            rows.add(record_id)
    quarantine_rows = sorted((int(file_id), int(row)) for file_id, row in (entry.split(":") for entry in rows))
    return Found(person_ids, dict(by_table), len(disagreeing & (linked - direct)), quarantine_rows, register,
                 search_values(request_row, people))


# --- the command ---------------------------------------------------------------------------------------------


def _access_log_outside(linked_url: str, published_url: str, values: list[str]) -> int:
    """Remove entries naming the person from an access log kept outside the linked database."""
    if make_url(linked_url).get_backend_name() == "sqlite":
        try:
            folder = access_log_dir(published_db_url(linked_url))
        except Exception:  # noqa: BLE001 - no SQLite published file and no FAMILIES_ACCESS_LOG_DIR: no log here
            return 0
        return rewrite_jsonl(folder, lambda line: not any(value in line.lower() for value in values))
    engine = make_engine(published_url)
    try:
        if not inspect(engine).has_table(access_event.name, schema=ACCESS_LOG_SCHEMA):
            return 0
        with engine.begin() as connection:
            removed = delete_access_events(connection, access_events_naming(connection, values))
        if removed:
            scrub(engine, [f"{ACCESS_LOG_SCHEMA}.{access_event.name}"])
        return removed
    finally:
        engine.dispose()


def erase(engine: Engine, contract: PartnerContract, request_row: pl.DataFrame, *, operator: str,
          all_matches: bool) -> tuple[dict, list[Path], list[str]]:
    """Find and erase in one transaction; returns the log detail, the extract copies to delete from disk and the
    texts to look for in an access log kept elsewhere (never logged)."""
    ensure_lifecycle_tables(engine)
    key = verified_key(engine)
    found = find_person(engine, contract, request_row, key)
    if len(found.person_ids) > 1 and not all_matches:
        raise NotDone(f"the identifiers match {len(found.person_ids)} linked people (the linker kept them apart); "
                      "check them, then give more identifiers, or --all-matches to erase every one")
    counts: dict[str, int] = {}
    now = utc_now()
    with engine.begin() as connection:
        extracts = extracts_including(connection, found.person_ids)
        log_access = inspect(connection).has_table(access_event.name, schema=ACCESS_LOG_SCHEMA)
        access_removed = delete_access_events(connection, access_events_naming(connection, found.search_values)) \
            if log_access else 0
        erase_rows(connection, person_ids=found.person_ids, staged_record_ids=found.records,
                   quarantine_rows=found.quarantine_rows, counts=counts)
        detail = {"people": len(found.person_ids), "records": found.record_count,
                  "quarantined_rows": len(found.quarantine_rows), "held_back_records": found.held_back,
                  "rows": dict(sorted((table, count) for table, count in counts.items() if count)),
                  "access_log_entries": access_removed,
                  "extracts_that_included_them": sorted(int(extract) for extract in extracts.get_column("extract_id"))
                  if extracts.height else []}
        event_id = log_event(connection, "erasure", operator, detail, at=now)
        store_check_value(connection, check_value(key), now)
        detail["register_keys_added"] = add_to_register(connection, found.register, event_id, now)
        on_disk = [] if not extracts.height else [
            Path(path) for path, removed in extracts.select("output_path", "output_removed_at").iter_rows()
            if removed is None]
        if extracts.height:
            mark_output_removed(connection, extracts.get_column("extract_id").to_list(), now)
    detail["event_id"] = event_id
    detail["touched_tables"] = sorted(table for table, count in counts.items() if count)
    return detail, on_disk, found.search_values


def correct(engine: Engine, contract: PartnerContract, request_row: pl.DataFrame, corrections: dict, *,
            operator: str) -> dict:
    """Find one person and set the corrected values on their linked row and partner records, in one transaction."""
    ensure_lifecycle_tables(engine)
    key = verified_key(engine)
    found = find_person(engine, contract, request_row, key)
    if len(found.person_ids) != 1:
        raise NotDone(f"a correction needs exactly one linked person; the identifiers match {len(found.person_ids)}")
    staged_values: dict[str, dict[str, tuple[set[str], object]]] = defaultdict(dict)
    for source in contract.person_sources:
        table = staged_tables(contract)[source.id].name
        ids = found.records.get(table, set())
        if not ids:
            continue
        for name, value in corrections.items():
            column = source.fields.get(FIELD_OF[name])
            if column is None:
                continue
            staged_values[table][column] = (ids, _in_source_form(source, column, name, value))
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        extracts = extracts_including(connection, found.person_ids)
        correct_rows(connection, person_id=found.person_ids[0], person_values=corrections,
                     staged_values=staged_values, counts=counts)
        detail = {"fields": sorted(corrections), "records": found.record_count, "held_back_records": found.held_back,
                  "rows": dict(sorted((table, count) for table, count in counts.items() if count)),
                  "extracts_that_included_them": sorted(int(extract) for extract in extracts.get_column("extract_id"))
                  if extracts.height else []}
        detail["event_id"] = log_event(connection, "correction", operator, detail)
    detail["touched_tables"] = sorted(table for table, count in counts.items() if count)
    return detail


def _in_source_form(source, column: str, name: str, value: object) -> object:
    """A corrected value as the partner's column holds it (dates as dates, sex as the source's own code)."""
    if name != "sex":
        return value
    meaning = {"female": "F", "male": "M"}[str(value)]
    declared = source.column(column)
    for code in declared.codes:
        if declared.means.get(code, code) == meaning:
            return code
    return None


def _parser() -> argparse.ArgumentParser:
    parser = QuietArgumentParser(prog="python -m linkage.erasure", description=__doc__.splitlines()[0],
                                     allow_abbrev=False)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("erase", "remove one person everywhere and keep them out"),
                       ("correct", "correct one person's identifiers everywhere")):
        command = commands.add_parser(name, help=text, allow_abbrev=False)
        command.add_argument("--db", default=None, help="the linked database, as its owner (default: FAMILIES_DB_URL)")
        person = command.add_mutually_exclusive_group(required=True)
        person.add_argument("--person-file", type=Path, help="TOML file naming the person (linkage/erasure_request.py)")
        person.add_argument("--person-env", metavar="NAME", help="environment variable holding the person as JSON")
        command.add_argument("--published-db", default=None, help="where to republish (default: as metrics.publish)")
        command.add_argument("--no-publish", action="store_true", help="do not republish (run metrics.publish)")
        command.add_argument("--operator", default=None, help="who runs it (default: the operating-system user)")
        if name == "erase":
            command.add_argument("--all-matches", action="store_true",
                                 help="erase every linked person the identifiers match (default: refuse if several)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    linked_url = normalise_url(args.db or linked_db_url())
    published_url = args.published_db or publishing_db_url(linked_url)
    try:
        request = read_request(person_file=args.person_file, person_env=args.person_env)
        if args.command == "erase" and request.corrections:
            raise RequestError("the request has a [correct] table: use `correct`, or remove it to erase")
        if args.command == "correct" and not request.corrections:
            raise RequestError("a correction needs a [correct] table with the right values")
        contract = load_partner_contract()
        settings = load_publish_settings()  # before anything is deleted: a broken config stops here
        engine = open_private_tier(linked_url)
    except (RequestError, ConfigError, NotPrivateTier) as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return EXIT_FAILURE
    operator = operator_name(args.operator)
    try:
        try:
            if args.command == "erase":
                detail, on_disk, texts = erase(engine, contract, request.as_person_row(), operator=operator,
                                               all_matches=args.all_matches)
            else:
                detail = correct(engine, contract, request.as_person_row(), request.corrections, operator=operator)
                on_disk, texts = [], []
        except NotDone as error:
            print(f"{args.command}: nothing changed: {error}", file=sys.stderr)
            return EXIT_NOT_DONE
        except (ErasureKeyError, LifecycleStoreError, ConfigError) as error:
            print(f"{args.command} failed: {error}", file=sys.stderr)
            return EXIT_FAILURE
        except SQLAlchemyError as error:
            print(f"{args.command} failed, nothing changed: {plain_message(error)}", file=sys.stderr)
            return EXIT_FAILURE
        except Exception as error:  # its kind only: a message could quote the person
            print(f"{args.command} failed: {type(error).__name__} (details withheld: they could quote personal "
                  "data)", file=sys.stderr)
            return EXIT_FAILURE
        return _after_commit(args, engine, linked_url, published_url, detail, on_disk, texts, settings)
    finally:
        engine.dispose()


def _after_commit(args, engine: Engine, linked_url: str, published_url: str, detail: dict, on_disk: list[Path],
                  texts: list[str], settings: PublishSettings) -> int:
    """Everything outside the committed transaction: other stores, files, scrubbing, republishing; then report."""
    event_id = detail.pop("event_id")
    touched = detail.pop("touched_tables")
    problems = []
    if args.command == "erase":
        try:
            detail["access_log_entries"] += _access_log_outside(linked_url, published_url, texts)
        except (OSError, SQLAlchemyError) as error:
            problems.append(f"the access log outside the linked database could not be searched "
                            f"({type(error).__name__})")
        removed = 0
        for path in on_disk:
            if path.exists():
                remove_output(path)
                removed += 1
        detail["extract_copies_deleted"] = removed
    try:
        scrub(engine, touched)
    except SQLAlchemyError as error:
        problems.append(f"the database could not be scrubbed ({plain_message(error)})")
    failure = None if args.no_publish else republish(linked_url, published_url, settings)
    detail["republished"] = "skipped (--no-publish)" if args.no_publish else ("failed" if failure else "yes")
    update_event_detail(engine, event_id, detail)
    _report(args.command, detail)
    for problem in problems:
        print(f"{args.command}: {problem}", file=sys.stderr)
    if failure:
        print(f"{args.command}: done and committed, but the republish failed ({failure}); run "
              "`python -m metrics.publish` once this is fixed", file=sys.stderr)
        return 3
    return EXIT_FAILURE if problems else EXIT_OK


def _report(command: str, detail: dict) -> None:
    if command == "erase":
        print(f"erased: {detail['people']} linked person(s), {detail['records']:,} partner record(s), "
              f"{detail['quarantined_rows']:,} quarantined row(s), {detail['access_log_entries']:,} access-log "
              f"entr{'y' if detail['access_log_entries'] == 1 else 'ies'}; {detail['register_keys_added']} key(s) "
              "added to the erasure register")
    else:
        print(f"corrected {', '.join(detail['fields'])}: {detail['records']:,} partner record(s) and the linked row")
    rows = ", ".join(f"{table} {count:,}" for table, count in detail["rows"].items()) or "none"
    print(f"  rows: {rows}")
    if detail["held_back_records"]:
        print(f"  {detail['held_back_records']} record(s) linked to them carry another NHS number, NI number or UPN: "
              "left in place; review the linkage")
    extracts = detail["extracts_that_included_them"]
    if extracts:
        print(f"  extracts that included them: {', '.join(map(str, extracts))} (extract_log): tell their recipients "
              "(UK GDPR Article 19)" + (f"; {detail['extract_copies_deleted']} copy(ies) on disk deleted"
                                         if command == "erase" else ""))
    print(f"  republished: {detail['republished']}")


if __name__ == "__main__":
    sys.exit(main())
