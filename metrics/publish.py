"""The publish step: linked data -> true cells -> disclosure control -> published tables (+ CSV export).

    python -m metrics.publish --db URL [--published-db URL] [--export DIR]

Pages read only what this writes. The published tables are replaced in one transaction, so a failed
run leaves the previous publication in place.

Each publication is an edition (docs/disclosure.md, "Refreshes"): it is protected jointly with every edition kept
in the private edition store (data_access.editions), attacked jointly with them (metrics.audit.audit_editions) and
refused when that attack narrows any hidden cell (exit status 3, nothing written); then it is kept in the store and
published with its "What changed" table (metrics.disclosure.revisions).
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from data_access.access import publisher_problems
from data_access.config import DisclosurePolicy, PublishSettings, load_publish_settings
from data_access.db_errors import plain_message
from data_access.editions import (
    EditionFacts,
    delete_edition,
    mark_published,
    next_edition_id,
    read_edition_rows,
    read_input_digest,
    record_edition,
    record_input_digest,
)
from data_access.engine import linked_db_url, make_engine, publishing_db_url
from data_access.linked_reads import LinkedData, read_linked_data
from data_access.published_reads import read_revisions
from data_access.published_schema import (
    PUBLISHED_COLUMNS,
    REVISION_COLUMNS,
    check_publication,
)
from data_access.published_writes import write_publication
from data_access.staging import read_linkage_quality
from metrics import disclosure
from metrics.audit import AuditReport, audit_editions
from metrics.disclosure import TableKnowledge
from metrics.disclosure.certificate import WitnessCertificate, empty_certificate
from metrics.disclosure.history import History
from metrics.editions import (
    adopt_unknown_publication,
    checked_revisions,
    edition_facts,
    input_digest,
    load_kept_editions,
    method_digest,
    published_digest,
    revisions_of,
    rows_with_truth,
    same_edition,
    stored_value,
)
from metrics.headline import needs_overview_rows
from metrics.impact.analysis_frame import impact_inputs
from metrics.impact.run import run_impact
from metrics.impact.tables import (
    IMPACT_PERCENT_SPECS,
    balance_rows,
    impact_count_cells,
    impact_estimate_rows,
)
from metrics.linkage_quality import PERCENT_SPECS as LINKAGE_PERCENT_SPECS
from metrics.linkage_quality import linkage_estimate_rows, linkage_quality_cells
from metrics.maturity import maturity_rows
from metrics.true_cells import PERCENT_SPECS, true_cells


@dataclass
class PublishTimings:
    """Wall-clock seconds per step, and CPU seconds (this process and its finished worker processes)."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    # The parts of compute+protect (true cells, impact, protection, published rows), to see which one grows.
    part_seconds: dict[str, float] = field(default_factory=dict)
    edition: int = 0
    unchanged: bool = False
    reused: bool = False  # the inputs were the latest edition's: its stored rows were written again
    _cpu: float = field(default_factory=lambda: _cpu_now())

    def lap(self, name: str, started: float) -> float:
        now, cpu = time.perf_counter(), _cpu_now()
        self.seconds[name] = now - started
        self.cpu_seconds[name] = cpu - self._cpu
        self._cpu = cpu
        return now

    def part(self, name: str, started: float) -> float:
        """Time one part of the current step (it still counts in the step's own lap)."""
        now = time.perf_counter()
        self.part_seconds[name] = now - started
        return now


def _cpu_now() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


REFUSED = 3  # exit status when the joint audit refuses an edition


class EditionRefused(RuntimeError):
    """The joint audit found hidden cells a reader holding earlier editions could narrow: nothing was published."""

    def __init__(self, report: AuditReport) -> None:
        unsafe = report.unsafe
        tables = ", ".join(sorted(set(unsafe["table"].to_list()))) or "-"
        reasons = []
        if unsafe.height:
            how_many = f"{unsafe.height}" if report.complete else f"at least {unsafe.height}"
            reasons.append(f"{how_many} hidden cell(s) could be narrowed below the protection level ({tables})")
        if report.derived.height:
            reasons.append(f"{report.derived.height} derived problem(s)")
        reasons.extend(f"{row['reason']} ({row['units']} cell(s))" if row["block"] < 0 else
                       f"block {row['block']} is inconsistent: {row['reason']}"
                       for row in report.inconsistent.iter_rows(named=True))
        checked = "" if report.complete else (" The gate stopped at the first parts of the tables it proved unsafe "
                                              "from the published figures alone, so there may be more.")
        super().__init__(
            f"refused: together with the earlier editions a reader may hold, {'; '.join(reasons) or 'unsafe'}. "
            f"The previous publication is left in place.{checked}")
        self.report = report


@dataclass
class ProtectedEdition:
    """An edition's published rows and, beside them, the true counts (for the private edition store only)."""

    published: pl.DataFrame
    cells: pl.DataFrame
    certificate: WitnessCertificate = field(default_factory=empty_certificate)  # the protection's witness points


def publication_knowledge(settings: PublishSettings) -> TableKnowledge:
    """What any reader knows of the published tables under these settings (area, polarities)."""
    return TableKnowledge(settings.area_name, settings.polarities)


def protected_edition(linked: LinkedData, settings: PublishSettings, history: History | None = None,
                      linkage_quality: pl.DataFrame | None = None,
                      timings: PublishTimings | None = None) -> ProtectedEdition:
    """Every published row, protected, in the tidy long format, and the true count cells behind them.

    The impact table's counts, including its propensity-score histograms (bins that add up to the group sizes),
    are protected together with every other count (one suppression pattern across all views); its estimates and
    balance rows follow the impact module's own rules. The all-needs headline (metrics.headline) is made
    afterwards from the protected counts alone.
    The maturity of each cohort (table cohort_maturity) is made from the protected counts alone.
    history: the earlier editions a reader may hold: the counts are protected jointly with theirs
    (metrics.disclosure.history; docs/disclosure.md, "Refreshes").
    linkage_quality: the figures linkage run stored (data_access.staging.read_linkage_quality), or None.
    settings: the policy, area, localities, measures and breakdowns, loaded at the edge (data_access.config).
    timings: given, each part's time is recorded in it (PublishTimings.part).
    """
    timings = timings or PublishTimings()
    policy, area = settings.policy, settings.area_name
    started = time.perf_counter()
    counted = true_cells(linked, settings.measures, settings.breakdowns, area, settings.pooled_calendar_start,
                         quarter_breakdowns=settings.quarter_breakdowns)
    started = timings.part("true_cells", started)
    impact = run_impact(impact_inputs(linked.as_tables()), settings.measures, settings.locality_names, area)
    started = timings.part("impact", started)
    cells = pl.concat([counted, impact_count_cells(impact)])
    percent_specs = (*PERCENT_SPECS, *IMPACT_PERCENT_SPECS)
    if linkage_quality is not None:  # metrics/linkage_quality.py: protected with every other count
        cells = pl.concat([cells, linkage_quality_cells(linkage_quality, settings.breakdowns, area)],
                          how="vertical_relaxed")
        percent_specs = (*percent_specs, *LINKAGE_PERCENT_SPECS)
    # Before the long protection step: every cell and percentage must be declared in the published catalogue.
    check_publication(pl.concat([cells.select("table", "statistic", "kind"), pl.DataFrame(
        [(spec.table, spec.statistic, "percent") for spec in percent_specs], schema=["table", "statistic", "kind"],
        orient="row")]))
    def maturity(counts: pl.DataFrame) -> pl.DataFrame:  # from the published counts only (metrics.maturity)
        return maturity_rows(counts, area, linked.data_as_of)

    report = disclosure.protect_publication_report(cells, percent_specs, policy,
                                                   knowledge=publication_knowledge(settings), history=history,
                                                   cohort_maturity=maturity)
    started = timings.part("protect", started)
    measure_ids = [measure.id for measure in settings.measures.measures]
    published = pl.concat([
        report.published,
        needs_overview_rows(report.published, measure_ids, policy),  # made from the protected values only
        impact_estimate_rows(impact, report.published, policy),
        balance_published_rows(balance_rows(impact, policy), area),
        suppression_summary_rows(report.summary, area),
        *([] if linkage_quality is None else [linkage_estimate_rows(linkage_quality, area)]),
    ]).with_columns(value=stored_value(pl.col("value")))
    timings.part("published_rows", started)
    return ProtectedEdition(published, cells, report.protection.certificate)


def protected_publication(linked: LinkedData, settings: PublishSettings, history: History | None = None,
                          linkage_quality: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every published row, protected (protected_edition without the true counts)."""
    return protected_edition(linked, settings, history, linkage_quality).published


def _published_frame(frame: pl.DataFrame, **columns: pl.Expr) -> pl.DataFrame:
    defaults = {name: pl.lit(None, dtype=pl.String) for name in PUBLISHED_COLUMNS}
    return frame.select(**(defaults | columns)).select(PUBLISHED_COLUMNS)


def balance_published_rows(balance: pl.DataFrame, area_name: str) -> pl.DataFrame:
    """Standardised mean differences (love plot) as published rows: table impact_balance, kind smd."""
    if balance.is_empty():
        # Empty, typed like the other parts (selecting literals from an empty frame would give one null row).
        return pl.DataFrame(schema={name: pl.Float64 if name == "value" else pl.String for name in PUBLISHED_COLUMNS})
    long = balance.unpivot(index=["measure", "covariate", "symbol"], on=["smd_before", "smd_after"],
                           variable_name="statistic", value_name="value")
    return _published_frame(
        long, table=pl.lit("impact_balance"), measure=pl.col("measure"), locality=pl.lit(area_name),
        period=pl.lit("all"), breakdown=pl.lit("covariate"), category=pl.col("covariate"),
        statistic=pl.col("statistic"), kind=pl.lit("smd"), value=pl.col("value").cast(pl.Float64),
        symbol=pl.col("symbol"),
    )


SUMMARY_TABLE = "disclosure_summary"


def suppression_summary_rows(summary: pl.DataFrame, area_name: str) -> pl.DataFrame:
    """The per-table suppression report (numbers of CELLS, not of people) as published rows for analysts.

    kind is "cells" for a number of cells and "share" for a proportion of cells (docs/published-tables.md).
    """
    statistics = [name for name in summary.columns if name != "table"]
    long = summary.unpivot(index="table", on=statistics, variable_name="statistic", value_name="value")
    return long.select(
        table=pl.lit(SUMMARY_TABLE),
        measure=pl.lit("all"),
        locality=pl.lit(area_name),
        period=pl.lit("all"),
        breakdown=pl.lit("published_table"),
        category=pl.col("table"),
        statistic=pl.col("statistic"),
        kind=pl.when(pl.col("statistic").str.starts_with("share")).then(pl.lit("share")).otherwise(pl.lit("cells")),
        value=pl.col("value").cast(pl.Float64),
        symbol=pl.lit(None, dtype=pl.String),
        numerator=pl.lit(None, dtype=pl.String),
        denominator=pl.lit(None, dtype=pl.String),
    )


def publication_facts(linked: LinkedData, policy: DisclosurePolicy) -> dict[str, str]:
    """The publication_info facts of this run (when, data date, the policy it was protected under)."""
    return {
        "published_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "data_as_of": linked.data_as_of.isoformat(),
        "is_synthetic": "true" if linked.is_synthetic else "false",
        "threshold": str(policy.threshold),
        "rounding_base": str(policy.rounding_base),
        "percentage_min_each_side": str(policy.percentage_min_each_side),
        "class_disclosure_min_group": str(policy.class_disclosure_min_group),
        "protection_level": str(policy.protection_level),
        "confidence_level": policy.confidence_level,
    }


def export_csv(published: pl.DataFrame, directory: Path, revisions: pl.DataFrame | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "published.csv"
    published.select(PUBLISHED_COLUMNS).write_csv(path)
    if revisions is not None:
        revisions.select(REVISION_COLUMNS).write_csv(directory / "revisions.csv")
    return path


LIBRARIES = ("polars", "numpy", "scipy", "highspy", "scikit-learn", "numba")
"""Libraries whose version can change a figure: part of the input digest."""


def code_digest() -> str:
    """SHA-256 of the code that computes a publication (metrics/, data_access/) and of the libraries' versions."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("metrics", "data_access"):
        for path in sorted((root / folder).rglob("*.py")):
            digest.update(f"{path.relative_to(root)}\0".encode() + path.read_bytes() + b"\0")
    for library in LIBRARIES:
        digest.update(f"{library}=={version(library)}\0".encode())
    return digest.hexdigest()


def unchanged_edition_rows(store: Engine, latest: EditionFacts, inputs: str) -> pl.DataFrame | None:
    """The latest edition's published rows if it was computed from exactly these inputs and its stored rows still
    have its digest; otherwise None (then everything is computed)."""
    if read_input_digest(store, latest.edition_id) != inputs:
        return None
    rows = read_edition_rows(store, latest.edition_id).select(PUBLISHED_COLUMNS)
    return rows if published_digest(rows) == latest.digest else None


def publish(linked_url: str, published_url: str, export_dir: Path | None = None, *, settings: PublishSettings,
            joint_with_earlier: bool = True, recompute: bool = False) -> PublishTimings:
    """Read, protect jointly with every kept edition, audit jointly, then keep and publish the new edition.

    The new edition is refused (EditionRefused, nothing written) when the joint audit fails. It is recorded in the
    private edition store (data_access.editions) before its published tables are written, so a reader can never
    hold an edition the store does not know. On unchanged data (same published rows, data date and method as the
    latest edition) the latest edition is written again, byte for byte, and no new edition is recorded; when even
    the inputs are those the latest edition was computed from (the same linked data, method, code and library
    versions: input_digest), its stored rows are written again without computing anything (recompute=True computes
    and protects them anyway, to check that the result is the same).
    joint_with_earlier=False protects and audits the edition on its own: only for a republish after records were
    deleted (data_access.retention, linkage.erasure), when the reader's rule that an ended period's count stays
    fixed no longer holds and the joint system can have no solution (docs/data-lifecycle.md says what that loses).
    settings: loaded once by the caller (load_publish_settings), the edge that reads configuration.
    """
    timings = PublishTimings()
    started = time.perf_counter()
    published_engine = make_engine(published_url, published=True)
    problems = publisher_problems(published_engine)  # before minutes of computing, not after
    if problems:
        raise PermissionError(f"cannot write the published tables: {'; '.join(problems)}")
    linked_engine = make_engine(linked_url)
    linked = read_linked_data(linked_engine)
    policy = settings.policy
    adopt_unknown_publication(linked_engine, published_engine, policy)
    all_facts, kept = load_kept_editions(linked_engine)
    if not joint_with_earlier:
        kept = []
    history = History(tuple(edition.as_earlier() for edition in kept), linked.data_as_of) if kept else None
    linkage_quality = read_linkage_quality(linked_engine, linked.info.get("built_from"))  # None: not partner data
    method = method_digest(policy, settings.method_files)
    latest = all_facts[-1] if all_facts else None
    inputs = input_digest({**linked.as_tables(), "linkage_quality": linkage_quality if linkage_quality is not None
                           else pl.DataFrame()}, method, code_digest(), str(joint_with_earlier))
    stored = None if recompute or latest is None else unchanged_edition_rows(linked_engine, latest, inputs)
    started = timings.lap("read", started)
    if stored is not None:  # the inputs of the latest edition: write it again as it is, computing nothing
        timings.reused = timings.unchanged = True
        published = stored
        started = timings.lap("compute_and_protect", started)
        _write_again(published_engine, linked_engine, published, publication_facts(linked, policy), all_facts, latest)
    else:
        edition = protected_edition(linked, settings, history, linkage_quality, timings)
        published = edition.published
        started = timings.lap("compute_and_protect", started)
        digest = published_digest(published)
        facts = publication_facts(linked, policy)
        if same_edition(latest, digest, linked.data_as_of, method):
            timings.unchanged = True
            _write_again(published_engine, linked_engine, published, facts, all_facts, latest)
            record_input_digest(linked_engine, latest.edition_id, inputs)
        else:
            if kept:
                report = audit_editions(rows_with_truth(published, edition.cells), [held.as_earlier() for held in kept],
                                        policy, linked.data_as_of, knowledge=publication_knowledge(settings),
                                        stop_at_first_unsafe=True, certificate=edition.certificate)
                started = timings.lap("joint_audit", started)
                if not report.ok:
                    raise EditionRefused(report)
            new = EditionFacts(next_edition_id(linked_engine), facts["published_at"], linked.data_as_of, digest, method,
                               policy)
            facts = {**facts, **edition_facts(new)}
            revisions = None
            if latest is not None:
                revisions = checked_revisions(read_edition_rows(linked_engine, latest.edition_id), latest, published,
                                              new)
            record_edition(linked_engine, new, rows_with_truth(published, edition.cells))
            record_input_digest(linked_engine, new.edition_id, inputs)
            try:
                write_publication(published_engine, published, facts, revisions)
            except BaseException:
                delete_edition(linked_engine, new.edition_id)  # never published: no reader can hold it
                raise
            mark_published(linked_engine, new.edition_id)
            latest = new
    if export_dir is not None:
        export_csv(published, export_dir, read_revisions(published_engine))
    timings.lap("write", started)
    timings.seconds["rows"] = float(published.height)
    timings.edition = latest.edition_id
    return timings


def _write_again(published_engine: Engine, linked_engine: Engine, published: pl.DataFrame, facts: dict[str, str],
                 all_facts: list[EditionFacts], latest: EditionFacts) -> None:
    """Write the latest edition again, byte for byte: its first publication date and facts, its revisions."""
    write_publication(published_engine, published, {**facts, **edition_facts(latest)},
                      revisions_of(linked_engine, all_facts, latest))
    mark_published(linked_engine, latest.edition_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metrics.publish", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="linked data URL (default: FAMILIES_DB_URL or data/families.db)")
    parser.add_argument("--published-db", default=None,
                        help="published tables URL, as a role that may write them (default: the database "
                             "FAMILIES_PUBLISHED_DB_URL names, as the role in --db; unset, beside --db)")
    parser.add_argument("--export", type=Path, default=None, help="also write DIR/published.csv and revisions.csv")
    parser.add_argument("--recompute", action="store_true",
                        help="compute and protect even when the inputs are those of the latest edition")
    args = parser.parse_args(argv)
    linked_url = args.db or linked_db_url()
    published_url = args.published_db or publishing_db_url(linked_url)
    try:
        timings = publish(linked_url, published_url, args.export, settings=load_publish_settings(),
                          recompute=args.recompute)
    except EditionRefused as refusal:
        print(f"publish {refusal}", file=sys.stderr)
        return REFUSED
    except Exception as error:  # a clear one-line message for analysts; the traceback adds nothing for them
        message = plain_message(error) if isinstance(error, DBAPIError) else error  # a driver's could quote data
        print(f"publish failed: {message}", file=sys.stderr)
        return 1
    print(summary_line(timings))
    return 0


def summary_line(timings: PublishTimings) -> str:
    """The one line the command prints (benchmarks/bench_scale.py reads it)."""
    seconds = timings.seconds
    what = (f"edition {timings.edition} again (unchanged data: the same rows byte for byte)" if timings.unchanged
            else f"edition {timings.edition}")
    audit = f", joint audit {seconds['joint_audit']:.2f}s" if "joint_audit" in seconds else ""
    parts = ", ".join(f"{name.replace('_', ' ')} {part:.2f}s" for name, part in timings.part_seconds.items())
    if timings.reused:
        parts = "nothing computed: the inputs are those of the latest edition"
    return (f"published {what}, {int(seconds['rows'])} rows: read {seconds['read']:.2f}s, "
            f"compute+protect {seconds['compute_and_protect']:.2f}s ({parts}){audit}, write {seconds['write']:.2f}s")


if __name__ == "__main__":
    raise SystemExit(main())
