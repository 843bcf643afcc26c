"""Ingest an inbox of partner files into the staging tables: recognise, validate, quarantine, load atomically.

Every regular file directly in the inbox is considered (sub-folders, such as the synthetic generator's truth/,
and hidden files are not). A file's source comes from its name (the contract's file patterns); a file that
matches no source, cannot be read, or whose columns are not the declared ones is rejected whole with a reason,
and the other files still load. Each file loads in one transaction; a file whose content hash was loaded
before is skipped ("already_loaded"), so a rerun adds nothing. The report never quotes a value from a file.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, Table

from data_access.partner_schema import StagingColumn, staging_table
from data_access.staging import AlreadyLoaded, ensure_staging_tables, is_loaded, stage_file
from linkage.contract import PartnerContract, Source
from linkage.erasure_register import set_aside_erased
from linkage.readers import FileRejected, file_format, read_rows
from linkage.validation import validate_rows

logger = logging.getLogger(__name__)

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


@dataclass(frozen=True)
class FileReport:
    """One line of the ingest report (rows_read = rows_accepted + rows_quarantined, always)."""

    file: str
    source: str | None
    status: str  # "loaded" | "rejected" | "already_loaded"
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    reason: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def staged_table_for(source: Source) -> Table:
    """The staging table the contract declares for a source."""
    sql_type = {"text": "text", "name": "text", "code": "text", "date": "date", "integer": "integer",
                "decimal": "decimal"}
    return staging_table(source.id, [StagingColumn(column.name, sql_type[column.type], column.length)
                                     for column in source.columns])


def staged_tables(contract: PartnerContract) -> dict[str, Table]:
    return {source.id: staged_table_for(source) for source in contract.sources}


def extract_date_from_name(file_name: str) -> date | None:
    """The first YYYY-MM-DD or YYYYMMDD date in a file name, if it is a real date."""
    for match in _DATE_IN_NAME.finditer(Path(file_name).name):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return None


def inbox_files(inbox: Path) -> list[Path]:
    """The files a run considers: regular, not hidden, directly in the inbox, in name order."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"The inbox {inbox} is not a folder.")
    return sorted(path for path in inbox.iterdir() if path.is_file() and not path.name.startswith("."))


def ingest_inbox(engine: Engine, inbox: Path, contract: PartnerContract) -> list[FileReport]:
    tables = staged_tables(contract)
    ensure_staging_tables(engine, list(tables.values()))
    return [ingest_file(engine, path, contract, tables) for path in inbox_files(inbox)]


def ingest_file(engine: Engine, path: Path, contract: PartnerContract, tables: dict[str, Table]) -> FileReport:
    name = path.name
    source = contract.source_for(name)
    if source is None:
        return FileReport(name, None, "rejected", reason="unknown_source: the file name matches no source in "
                                                         "config/partners.toml")
    kind = file_format(path)
    if kind is None or kind not in source.formats:
        return FileReport(name, source.id, "rejected",
                          reason=f"unsupported_format: {source.id} accepts {', '.join(source.formats)} files")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if is_loaded(engine, digest):
        return FileReport(name, source.id, "already_loaded")
    try:
        rows = read_rows(path, data)
        validated = validate_rows(source, rows)
        validated = set_aside_erased(engine, contract, source, validated)  # people erased on request stay erased
    except FileRejected as rejection:
        logger.info("rejected %s: %s", name, rejection.reason)
        return FileReport(name, source.id, "rejected", reason=f"{rejection.reason}: {rejection.message}")
    try:
        stage_file(engine, table=tables[source.id], file_name=name, source=source.id, content_sha256=digest,
                   extract_date=extract_date_from_name(name) or date.today(), accepted=validated.accepted,
                   quarantined=validated.quarantined, record_id_prefix=f"{source.id}:{digest[:12]}:")
    except AlreadyLoaded:
        return FileReport(name, source.id, "already_loaded")
    logger.info("loaded %s as %s: %d accepted, %d quarantined", name, source.id, validated.accepted.height,
                validated.quarantined.height)
    return FileReport(name, source.id, "loaded", rows_read=validated.rows_read,
                      rows_accepted=validated.accepted.height, rows_quarantined=validated.quarantined.height)
