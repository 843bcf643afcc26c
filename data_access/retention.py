"""Retention: delete every record past its date (config/retention.toml), across every table, in one transaction.

    python -m data_access.retention --db URL [--apply] [--as-of YYYY-MM-DD] [--published-db URL] [--no-publish]
        [--operator NAME]

Without --apply it lists what is past its date, per record type and table, and changes nothing: the listing runs
exactly the deletions --apply would (cascades and sweeps included) inside a transaction that is rolled back, so the
two can never disagree. With --apply the same transaction commits, with a lifecycle_log row of the counts (never a
value); then the access log, when it lives outside the linked database (the SQLite JSON-lines file, or a separate
published PostgreSQL database), is pruned; a SQLite file is VACUUMed so deleted rows do not linger in free pages;
and the publication is rebuilt (metrics.publish), so it no longer counts what went.

If the republish fails, the deletion stays committed and the command says so and exits 3: records past their date
must go whatever else fails, the old publication holds aggregates only (no personal value), and a rollback would
keep personal data for a reason unrelated to it. Run `python -m metrics.publish` once the cause is fixed.

What goes with what:
- a row of a record type's table takes with it every row of another table that refers to it by a foreign key
  (found by reflecting the database, so a table added later is covered without code);
- a family (linked_families) takes its members, episodes, needs and observations, the people who belong to no
  other family (their person_identifier, need_observation and record_link rows), and the partner records they were
  built from: those people's staged rows, and the case system's rows naming the family or its episodes (found
  through ingest_key_map and the contract's reference columns, passed in as `staged_references`);
- then sweeps: record_link rows, review decisions and review pairs naming a partner record that no longer exists.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    and_,
    case,
    delete,
    func,
    inspect,
    not_,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import ColumnElement, Select

from data_access.access_log import ACCESS_LOG_FILE, ACCESS_LOG_SCHEMA, access_event, access_log_dir, prune_jsonl
from data_access.cascade import (
    STAGED_PREFIX,
    chunks,
    delete_keys,
    delete_with_dependants,
    fetch,
    reflect,
    staged_tables,
    table_named,
)
from data_access.config import ConfigError, PublishSettings, load_publish_settings
from data_access.db_errors import plain_message
from data_access.engine import linked_db_url, make_engine, normalise_url, published_db_url, publishing_db_url
from data_access.lifecycle_log import log_event, operator_name, update_event_detail
from data_access.lifecycle_schema import LifecycleStoreError, ensure_lifecycle_tables
from data_access.retention_schedule import RecordType, RetentionSchedule, load_retention_schedule

EXIT_OK, EXIT_FAILURE, EXIT_DELETED_BUT_NOT_REPUBLISHED = 0, 1, 3

StagedReferences = Mapping[str, Mapping[str, str]]
"""staging table -> {"family": column holding the case system's family reference, "episode": ... episode reference}"""


class RetentionError(RuntimeError):
    """Retention could not run; nothing was deleted. The message never quotes a value."""


# --- computed dates ------------------------------------------------------------------------------------------


def _family_last_episode_end(tables: MetaData) -> Select:
    """family_id and the latest end of its episodes (closure; comparison: eligibility); none while one is open."""
    episode = tables.tables["programme_episode"]
    still_open = case((and_(episode.c.cohort == "supported", episode.c.closure_date.is_(None)), 1), else_=0)
    return (select(episode.c.family_id.label("key"),
                   func.max(func.coalesce(episode.c.closure_date, episode.c.eligibility_date)).label("day"))
            .group_by(episode.c.family_id).having(func.sum(still_open) == 0))


COMPUTED_DATES: dict[tuple[str, str], Callable[[MetaData], Select]] = {
    ("family", "last_episode_end"): _family_last_episode_end,
}
"""(table, date name) -> a select of (key: the table's one-column primary key, day): dates no column holds."""


# --- results ----------------------------------------------------------------------------------------------------


@dataclass
class TypeResult:
    record_type: RecordType
    cutoff: date
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows past their date (or going with them)
    note: str | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class RetentionResult:
    as_of: date
    applied: bool
    types: list[TypeResult]
    sweeps: dict[str, int] = field(default_factory=dict)
    event_id: int | None = None

    def detail(self) -> dict:
        """What the log keeps: counts per record type and table, and the cut-off dates. Never a value."""
        return {"as_of": self.as_of.isoformat(), "applied": self.applied,
                "record_types": {result.record_type.id: {"cutoff": result.cutoff.isoformat(),
                                                         "rows": dict(sorted(result.counts.items())),
                                                         **({"note": result.note} if result.note else {})}
                                 for result in self.types},
                "sweeps": dict(sorted(self.sweeps.items()))}


# --- the deletion ----------------------------------------------------------------------------------------------


def _bound(column: Column, day: date):
    """A cut-off day as the column's type wants it: midnight (UTC when the column has a time zone) for times."""
    if isinstance(column.type, DateTime):
        moment = datetime.combine(day, time.min)
        return moment.replace(tzinfo=UTC) if column.type.timezone else moment
    return day


def expired_condition(tables: MetaData, record: RecordType, cutoff: date) -> ColumnElement[bool]:
    """The rows of the record type's table that are past their date."""
    table = table_named(tables, record.table_name, record.schema)
    assert table is not None
    computed = COMPUTED_DATES.get((record.table_name, record.date_column))
    if computed is not None:
        dates = computed(tables).subquery()
        (key,) = table.primary_key.columns
        return key.in_(select(dates.c.key).where(dates.c.day < cutoff))
    if "." not in record.date_column:
        if record.date_column not in table.c:
            raise ConfigError(f"retention.toml record_type {record.id}: table {record.table} has no column "
                              f"{record.date_column}.")
        column = table.c[record.date_column]
        return column < _bound(column, cutoff)
    other_name, column_name = record.date_column.split(".", 1)
    for constraint in table.foreign_key_constraints:
        other = constraint.referred_table
        if other.name == other_name and column_name in other.c:
            local = [element.parent for element in constraint.elements]
            remote = [element.column for element in constraint.elements]
            column = other.c[column_name]
            keys = select(*remote).where(column < _bound(column, cutoff))
            return local[0].in_(keys) if len(local) == 1 else tuple_(*local).in_(keys)
    raise ConfigError(f"retention.toml record_type {record.id}: {record.table} has no foreign key to a table "
                      f"{other_name} with a column {column_name}.")


def remove_families(connection: Connection, tables: MetaData, family_ids: Sequence[int], counts: dict[str, int],
                    staged_references: StagedReferences) -> None:
    """Families, everything that refers to them, their people who belong to no other family, and the partner
    records all of those were built from (so the next linkage run cannot rebuild them)."""
    family, member, episode = (tables.tables[name] for name in ("family", "family_member", "programme_episode"))
    person = tables.tables["person_identifier"]
    families = sorted(set(family_ids))
    if not families:
        return
    episodes, people = [], []
    for chunk in chunks(families):
        episodes += fetch(connection, select(episode.c.episode_id).where(episode.c.family_id.in_(chunk)))
        people += fetch(connection, select(member.c.person_id).where(member.c.family_id.in_(chunk)).distinct())
    delete_keys(connection, tables, family, family.c.family_id, families, counts)
    remaining = set()
    for chunk in chunks(sorted(set(people))):
        remaining |= set(fetch(connection, select(member.c.person_id).where(member.c.person_id.in_(chunk))))
    leaving = sorted(set(people) - remaining)
    record_ids: list[str] = []
    link = table_named(tables, "record_link")
    if link is not None:
        for chunk in chunks(leaving):
            record_ids += fetch(connection, select(link.c.record_id).where(link.c.person_id.in_(chunk)))
    delete_keys(connection, tables, person, person.c.person_id, leaving, counts)
    for staged in staged_tables(tables):
        delete_keys(connection, tables, staged, staged.c.record_id, record_ids, counts)
    key_map = table_named(tables, "ingest_key_map")
    if key_map is None:
        return
    refs = {}
    for kind, keys in (("family", families), ("episode", episodes)):
        refs[kind] = []
        for chunk in chunks(sorted(set(keys))):
            refs[kind] += fetch(connection, select(key_map.c.ref).where(
                (key_map.c.kind == kind) & key_map.c.key.in_(chunk)))
    for table_name, columns in sorted(staged_references.items()):
        staged = table_named(tables, table_name)
        if staged is None:
            continue
        for kind, column_name in sorted(columns.items()):
            if column_name in staged.c and refs.get(kind):
                delete_keys(connection, tables, staged, staged.c[column_name], refs[kind], counts)
    for kind, keys in (("family", families), ("episode", episodes)):
        for chunk in chunks(sorted(set(keys))):
            delete_with_dependants(connection, tables, key_map, (key_map.c.kind == kind) & key_map.c.key.in_(chunk),
                                   counts)


def sweep_orphans(connection: Connection, tables: MetaData, counts: dict[str, int]) -> None:
    """Lineage and review state naming partner records that no longer exist."""
    staged = staged_tables(tables)
    if not staged:
        return
    link = table_named(tables, "record_link")
    if link is not None:
        for table in staged:
            source = table.name.removeprefix(STAGED_PREFIX)
            delete_with_dependants(connection, tables, link, (link.c.source == source) & not_(
                link.c.record_id.in_(select(table.c.record_id))), counts)
    every_record = union(*(select(table.c.record_id.label("record_id")) for table in staged)).subquery()
    known = select(every_record.c.record_id)
    for name in ("linkage_decision", "linkage_review_pair"):
        table = table_named(tables, name)
        if table is not None:
            delete_with_dependants(connection, tables, table, or_(not_(table.c.record_id_l.in_(known)),
                                                                  not_(table.c.record_id_r.in_(known))), counts)


def _is_access_log(record: RecordType) -> bool:
    return record.schema == ACCESS_LOG_SCHEMA and record.table_name == access_event.name


def delete_expired(connection: Connection, schedule: RetentionSchedule, as_of: date,
                   staged_references: StagedReferences) -> RetentionResult:
    """Run every record type's deletion (and the sweeps) inside the caller's transaction; return the counts."""
    tables = reflect(connection)
    result = RetentionResult(as_of, applied=False, types=[])
    for record in schedule.record_types:
        outcome = TypeResult(record, record.cutoff(as_of))
        result.types.append(outcome)
        table = table_named(tables, record.table_name, record.schema)
        if table is None:
            outcome.note = "not in this database"
            continue
        condition = expired_condition(tables, record, outcome.cutoff)
        if (record.table_name, record.date_column) == ("family", "last_episode_end"):
            families = fetch(connection, select(table.c.family_id).where(condition))
            remove_families(connection, tables, families, outcome.counts, staged_references)
        else:
            delete_with_dependants(connection, tables, table, condition, outcome.counts)
    sweep_orphans(connection, tables, result.sweeps)
    return result


# --- the access log outside the linked database ------------------------------------------------------------------


def _jsonl_count_before(folder: Path, cutoff: datetime) -> int:
    path = folder / ACCESS_LOG_FILE
    if not path.exists():
        return 0
    older = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            older += datetime.fromisoformat(json.loads(line)["at"]) < cutoff
        except (ValueError, KeyError, TypeError):
            continue  # prune keeps a line it cannot read
    return older


def outside_access_log(linked_url: str, published_url: str, cutoff: date, *, apply: bool) -> tuple[int, str]:
    """Count (and with `apply`, delete) access-log entries before `cutoff` kept outside the linked database."""
    moment = datetime.combine(cutoff, time.min, tzinfo=UTC)
    if make_url(linked_url).get_backend_name() == "sqlite":
        try:
            folder = access_log_dir(published_db_url(linked_url))
        except Exception:  # noqa: BLE001 - no SQLite published file and no FAMILIES_ACCESS_LOG_DIR: no log here
            return 0, "no access-log folder"
        older = _jsonl_count_before(folder, moment)
        if apply and older:
            prune_jsonl(folder, moment)
        return older, f"{folder / ACCESS_LOG_FILE}"
    engine = make_engine(published_url)
    try:
        if not inspect(engine).has_table(access_event.name, schema=ACCESS_LOG_SCHEMA):
            return 0, "no access-log table"
        with engine.begin() as connection:
            if apply:
                older = connection.execute(delete(access_event).where(access_event.c.at < moment)).rowcount or 0
            else:
                older = connection.execute(select(func.count()).select_from(access_event).where(
                    access_event.c.at < moment)).scalar_one()
        return int(older), "the published database's access_log.access_event"
    finally:
        engine.dispose()


# --- the command ---------------------------------------------------------------------------------------------


def run_retention(engine: Engine, schedule: RetentionSchedule, as_of: date, *, apply: bool, operator: str,
                  staged_references: StagedReferences | None = None) -> RetentionResult:
    """Delete (apply) or list everything past its date in the linked database, in one transaction."""
    if apply:
        ensure_lifecycle_tables(engine)
    connection = engine.connect()
    try:
        transaction = connection.begin()
        try:
            result = delete_expired(connection, schedule, as_of, staged_references or {})
            if apply:
                result.applied = True
                result.event_id = log_event(connection, "retention", operator, result.detail())
                transaction.commit()
            else:
                transaction.rollback()
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
    except SQLAlchemyError as error:
        raise RetentionError(f"nothing was deleted: {plain_message(error)}") from None
    finally:
        connection.close()
    return result


def compact(engine: Engine) -> None:
    """SQLite: rebuild the file so deleted rows leave no trace in free pages, and empty the write-ahead log."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # the driver connection is in autocommit (data_access.engine): VACUUM needs that
    try:
        cursor = raw.driver_connection.cursor()
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()


def staged_references_from_contract() -> dict[str, dict[str, str]]:
    """The contract's case-system reference columns (imported here, at the command: data_access's library code does
    not depend on linkage/)."""
    from linkage.contract import load_partner_contract

    references: dict[str, dict[str, str]] = {}
    for source in load_partner_contract().sources:
        columns = {kind: source.fields[f"{kind}_ref"] for kind in ("family", "episode") if f"{kind}_ref" in
                   source.fields}
        if columns:
            references[f"{STAGED_PREFIX}{source.id}"] = columns
    return references


def republish(linked_url: str, published_url: str, settings: PublishSettings) -> str | None:
    """Rebuild the publication; None when it worked, else why not (never a driver's message, which can quote data).
    settings: loaded by the command (load_publish_settings).

    Deleting records changes counts of periods that have ended. The publish step first protects the new edition
    jointly with every edition a reader may already hold (metrics/disclosure/history.py); when that system has no
    solution (the reader's rule that an ended period's count stays fixed is broken by the deletion), the edition is
    protected and audited on its own, and this says so (docs/data-lifecycle.md).
    """
    from sqlalchemy.exc import DBAPIError

    from metrics.disclosure.secondary import ProtectionError
    from metrics.publish import EditionRefused, publish

    try:
        try:
            publish(linked_url, published_url, settings=settings)
        except ProtectionError:
            print("republish: with records deleted, the new edition cannot be protected jointly with the earlier "
                  "ones; protecting and auditing it on its own (docs/data-lifecycle.md)", file=sys.stderr)
            publish(linked_url, published_url, settings=settings, joint_with_earlier=False)
    except EditionRefused as refused:
        return f"the new edition was refused, the previous publication stays: {refused}"
    except DBAPIError as error:
        return plain_message(error)
    except Exception as error:  # noqa: BLE001 - reported by kind: the deletion is already committed
        return f"{type(error).__name__}: {error}" if isinstance(error, PermissionError | ConfigError) else \
            type(error).__name__
    return None


def _print_result(result: RetentionResult, outside: tuple[int, str] | None) -> None:
    verb = "deleted" if result.applied else "past their date (nothing deleted; --apply deletes them)"
    print(f"retention as of {result.as_of.isoformat()}: rows {verb}")
    for outcome in result.types:
        record = outcome.record_type
        where = f"{record.table}.{record.date_column}" if "." not in record.date_column else record.date_column
        rows = ", ".join(f"{table} {count:,}" for table, count in sorted(outcome.counts.items()) if count) or "none"
        note = f" ({outcome.note})" if outcome.note else ""
        if _is_access_log(record) and outside is not None:
            count = outside[0]
            rows = f"{count:,} entr{'y' if count == 1 else 'ies'}" if count else "none"
            note = f" ({outside[1]})"
        print(f"  {record.id}: kept {record.keep} from {where}, so dated before {outcome.cutoff.isoformat()}: "
              f"{rows}{note}")
    swept = ", ".join(f"{table} {count:,}" for table, count in sorted(result.sweeps.items()) if count)
    if swept:
        print(f"  naming records that no longer exist: {swept}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.retention", description=__doc__.splitlines()[0],
                                     allow_abbrev=False)
    parser.add_argument("--db", default=None, help="the linked database, as its owner (default: FAMILIES_DB_URL)")
    parser.add_argument("--apply", action="store_true", help="delete (default: list only)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                        help="the day to measure periods to (default: today; with --apply, not after today)")
    parser.add_argument("--published-db", default=None, help="where to republish (default: as metrics.publish)")
    parser.add_argument("--no-publish", action="store_true", help="do not republish (run metrics.publish yourself)")
    parser.add_argument("--operator", default=None, help="who runs it (default: the operating-system user)")
    args = parser.parse_args(argv)
    today = datetime.now(UTC).date()
    as_of = args.as_of or today
    if args.apply and as_of > today:
        parser.error("--as-of may not be after today with --apply (records would go before their time)")
    linked_url = normalise_url(args.db or linked_db_url())
    published_url = args.published_db or publishing_db_url(linked_url)
    try:
        schedule = load_retention_schedule()
        references = staged_references_from_contract()
        settings = load_publish_settings()  # before anything is deleted: a broken config stops here
    except ConfigError as error:
        print(f"retention failed: {error}", file=sys.stderr)
        return EXIT_FAILURE
    engine = make_engine(linked_url)
    try:
        try:
            result = run_retention(engine, schedule, as_of, apply=args.apply, operator=operator_name(args.operator),
                                   staged_references=references)
        except (RetentionError, LifecycleStoreError, ConfigError) as error:
            print(f"retention failed: {error}", file=sys.stderr)
            return EXIT_FAILURE
        access = next((outcome for outcome in result.types if _is_access_log(outcome.record_type)), None)
        outside = None
        if access is not None and access.note == "not in this database":
            try:
                outside = outside_access_log(linked_url, published_url, access.cutoff, apply=args.apply)
            except (OSError, SQLAlchemyError) as error:
                message = plain_message(error) if isinstance(error, SQLAlchemyError) else type(error).__name__
                print(f"retention: the access log outside the linked database could not be pruned: {message}",
                      file=sys.stderr)
        _print_result(result, outside)
        if not args.apply:
            return EXIT_OK
        detail = result.detail()
        if outside is not None:
            detail["access_log_outside"] = {"rows": outside[0]}
        compact(engine)
        failure = None if args.no_publish else republish(linked_url, published_url, settings)
        detail["republished"] = "skipped (--no-publish)" if args.no_publish else ("failed" if failure else "yes")
        update_event_detail(engine, result.event_id, detail)
    finally:
        engine.dispose()
    if failure:
        print(f"retention: the deletion is committed, but the republish failed ({failure}). The dashboard still shows "
              "the previous publication (aggregates only); run `python -m metrics.publish` once this is fixed.",
              file=sys.stderr)
        return EXIT_DELETED_BUT_NOT_REPUBLISHED
    print("republished" if not args.no_publish else "not republished (--no-publish): run python -m metrics.publish")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
