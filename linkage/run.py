"""`python -m linkage run`: ingest the inbox, link people, group families, derive observations, load the linked tables.

Steps, each safe to interrupt: (1) every inbox file loads into staging in its own transaction (linkage/ingest.py);
(2) when the set of loaded files (or the analyst's review decisions) differs from what the linked tables were
built from, every staged person
record goes to link_people (with the stored model and the analyst's decisions), and the linked tables are
rebuilt from all staged records (linkage/linked_tables.py) and replaced in ONE transaction by
data_access.loader.load_linked_data. A run killed anywhere leaves files wholly staged or not at all and the
linked tables as before or fully updated; the next run finishes the job. A rerun with nothing new changes nothing.

Exit status: 0 when every file loaded clean (or was already loaded), 3 when any row was quarantined or any file
rejected, 1 on failure. Messages name files, sources, counts and reason codes only, never a value from a file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from data_access.config import Locality, MeasureCatalogue
from data_access.linked_reads import read_dataset_fact, read_record_links
from data_access.loader import load_linked_data
from data_access.staging import (
    add_keys,
    latest_model_json,
    loaded_files,
    read_decisions,
    read_key_map,
    read_staged,
    replace_linkage_quality,
    replace_review_pairs,
    save_model_json,
)
from linkage.contract import PartnerContract
from linkage.ingest import FileReport, ingest_inbox, staged_tables
from linkage.linked_tables import build_linked_tables, fingerprint
from linkage.person_records import person_records
from linkage.quality import quality_figures, record_quality_facts

logger = logging.getLogger(__name__)

EXIT_CLEAN, EXIT_FAILURE, EXIT_SOMETHING_SET_ASIDE = 0, 1, 3

LinkPeople = Callable[..., object]


class RunFailure(RuntimeError):
    """The run could not finish; the message names what failed, never a personal value."""


@dataclass
class RunReport:
    files: list[FileReport]
    linked: dict = field(default_factory=dict)
    seconds: dict[str, dict[str, float]] = field(default_factory=dict)  # phase -> wall, cpu (this process)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time one phase (wall and this process's CPU seconds, its threads included) into `seconds`."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = {"wall": round(time.perf_counter() - wall, 2),
                                  "cpu": round(time.process_time() - cpu, 2)}

    @property
    def exit_code(self) -> int:
        set_aside = any(report.status == "rejected" or report.rows_quarantined for report in self.files)
        return EXIT_SOMETHING_SET_ASIDE if set_aside else EXIT_CLEAN

    def as_json(self) -> dict:
        return {"files": [report.as_dict() for report in self.files], "linked_tables": self.linked,
                "seconds": self.seconds}


def default_data_as_of(files: pl.DataFrame) -> date:
    """The oldest of the sources' latest extract dates: every source is complete up to it."""
    latest = files.group_by("source").agg(pl.col("extract_date").max())
    return latest.get_column("extract_date").min()


def run(engine: Engine, inbox: Path, contract: PartnerContract, link_people: LinkPeople, *,
        measures: MeasureCatalogue, localities: tuple[Locality, ...], data_as_of: date | None = None,
        is_synthetic: bool = False) -> RunReport:
    """Ingest the inbox, link, and rebuild the linked tables; measures and localities come from the caller's
    configuration (the command line loads it: linkage.run_cli)."""
    report = RunReport([])
    with report.phase("ingest"):
        report.files = ingest_inbox(engine, inbox, contract)
    files = loaded_files(engine)
    if files.height == 0:
        report.linked = {"status": "nothing_loaded"}
        return report
    decisions = _decisions_or_none(engine)
    # The linked tables depend on the files and on the analyst's decisions: new decisions mean a new linkage.
    decided = [] if decisions is None else [f"decision:{left}:{right}:{match}" for left, right, match in
                                            decisions.select("record_id_l", "record_id_r", "is_match").iter_rows()]
    built_from = fingerprint(files.get_column("content_sha256").to_list() + decided)
    if read_dataset_fact(engine, "built_from") == built_from and data_as_of is None:
        report.linked = {"status": "up_to_date"}
        return report

    with report.phase("read_staged"):
        tables = staged_tables(contract)
        staged = {source_id: read_staged(engine, table) for source_id, table in tables.items()}
        records = person_records(contract, staged)
    with report.phase("link"):
        links = link_people(records, model_json=latest_model_json(engine), decisions=decisions)
        clusters = links.clusters.select(pl.col("record_id").cast(pl.String), pl.col("person_key").cast(pl.String))
        _check_clusters(records, clusters)
        del records
        save_model_json(engine, links.model_json)
        replace_review_pairs(engine, links.review_pairs)

    as_of = data_as_of or default_data_as_of(files)
    with report.phase("build"):
        built = build_linked_tables(
            contract, staged, clusters, data_as_of=as_of,
            previous_links=read_record_links(engine), family_keys=read_key_map(engine, "family"),
            episode_keys=read_key_map(engine, "episode"), measures=measures, localities=localities,
            is_synthetic=is_synthetic, built_from=built_from)
        del staged
    with report.phase("load"):
        add_keys(engine, "family", built.new_family_ids)
        add_keys(engine, "episode", built.new_episode_ids)
        counts = load_linked_data(engine, built.frames, loaded_at=datetime.now(UTC))
    with report.phase("quality"):
        labels = {source.id: source.label for source in contract.person_sources}
        facts = record_quality_facts(built.frames["record_link"], built.frames["person_identifier"],
                                     built.frames["family_member"], as_of, labels)
        replace_linkage_quality(engine, quality_figures(facts, links, list(labels.values())), built_from)
    report.linked = {"status": "loaded", "rows": counts, "review_pairs": links.review_pairs.height,
                     "ambiguous_records": getattr(links, "ambiguous_records", 0), "not_placed": built.dropped}
    return report


def _decisions_or_none(engine: Engine) -> pl.DataFrame | None:
    decisions = read_decisions(engine)
    return decisions if decisions.height else None


def _check_clusters(records: pl.DataFrame, clusters: pl.DataFrame) -> None:
    """The linker must place every record exactly once (the interface's promise); refuse to build otherwise."""
    expected = records.get_column("record_id")
    got = clusters.get_column("record_id")
    if got.is_duplicated().any() or got.null_count() or clusters.get_column("person_key").null_count():
        raise RunFailure("The person linker returned a record more than once or without a person.")
    if not expected.is_in(got.implode()).all() or got.len() != expected.len():
        raise RunFailure(f"The person linker placed {got.len():,} records, but {expected.len():,} were given.")
