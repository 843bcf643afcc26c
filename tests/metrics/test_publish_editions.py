"""Real publishes of successive editions (python -m metrics.publish on a small synthetic Dorset).

Ground truth planted by construction (tests/editions_fixture.py): the same data published again, into a fresh store
under other thread and worker counts, and a refresh whose earlier extract held back observations that arrive late.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import polars as pl
import psutil
import pytest

from data_access.editions import read_edition_rows, read_editions
from data_access.engine import make_engine, published_db_url
from data_access.published_reads import read_publication_info, read_revisions
from data_access.published_schema import PUBLISHED_COLUMNS
from metrics import publish as publish_module
from metrics.audit import audit_editions, read_published_csv, read_published_db
from metrics.disclosure.primary import CONFIDENTIAL, round_count
from metrics.disclosure.refresh import frozen_candidates
from metrics.disclosure.relations import KEY_COLUMNS
from metrics.disclosure.revisions import LATE_RECORDS, NEW_DATA, NOT_REVISED_TABLES
from metrics.editions import KeptEdition, published_digest
from tests.browser.harness import PROJECT_ROOT
from tests.editions_fixture import FIRST_AS_OF, SECOND_AS_OF, copy_snapshot
from tests.shipped_config import KNOWLEDGE

pytestmark = pytest.mark.slow
FIGURE = ["table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind"]


def published_rows(linked_url: str) -> pl.DataFrame:
    return read_published_db(published_db_url(linked_url))


def info(linked_url: str) -> dict[str, str]:
    return read_publication_info(make_engine(published_db_url(linked_url), published=True))


def test_the_same_world_published_again_is_the_same_edition_byte_for_byte(refreshed_editions) -> None:
    exports = refreshed_editions.exports
    first = (exports["first"] / "published.csv").read_bytes()
    # computed and protected anew, jointly with edition 1 (--recompute): the same bytes
    assert (exports["again"] / "published.csv").read_bytes() == first
    assert "edition 1 again" in refreshed_editions.outputs["again"]
    assert "true cells" in refreshed_editions.outputs["again"]
    # as an analyst reruns it: the inputs are edition 1's, so its stored rows are written again, nothing computed
    assert (exports["reused"] / "published.csv").read_bytes() == first
    assert "edition 1 again" in refreshed_editions.outputs["reused"]
    assert "nothing computed" in refreshed_editions.outputs["reused"]
    # a first publication made with one polars thread and one worker process: the same bytes
    assert (exports["fresh"] / "published.csv").read_bytes() == first
    kept = read_editions(make_engine(refreshed_editions.linked_url))
    assert [edition.edition_id for edition in kept] == [1, 2]  # the republication added no edition
    assert kept[0].digest == published_digest(read_published_csv(exports["first"] / "published.csv"))


def test_a_refresh_with_late_records_passes_the_joint_audit(refreshed_editions) -> None:
    store = make_engine(refreshed_editions.linked_url)
    one, two = read_editions(store)
    assert (one.data_as_of, two.data_as_of) == (FIRST_AS_OF, SECOND_AS_OF) and two.state == "published"
    rows_one, rows_two = read_edition_rows(store, 1), read_edition_rows(store, 2)
    assert rows_two.select(PUBLISHED_COLUMNS).equals(published_rows(refreshed_editions.linked_url))

    # The planted late records really changed counts of periods that had ended (so the test exercises them).
    assert refreshed_editions.late_observations.height > 0
    both = rows_two.filter(pl.col("kind") == "count").join(rows_one.filter(pl.col("kind") == "count"),
                                                            on=list(KEY_COLUMNS), suffix="_one")
    frozen = both.filter(pl.Series(frozen_candidates(both, FIRST_AS_OF)))
    changed = frozen.filter(pl.col("true_value") != pl.col("true_value_one"))
    assert changed.height > 0
    # A frozen count hidden in edition 1 is hidden in edition 2, changed or not; an unchanged one shown in edition 1
    # is shown with the same figure.
    hidden_before = frozen.filter(pl.col("symbol_one") == CONFIDENTIAL)
    assert hidden_before.height > 0 and (hidden_before["symbol"] == CONFIDENTIAL).all()
    shown_unchanged = frozen.filter(pl.col("symbol_one").is_null(), pl.col("true_value") == pl.col("true_value_one"))
    assert (shown_unchanged["value"] == shown_unchanged["value_one"]).all()

    # The pooled periods follow a fixed calendar: edition 2 keeps every pooled period of edition 1 (none moved) and
    # adds the one its new complete year finished.
    def pooled(rows: pl.DataFrame) -> set[str]:
        return set(rows.filter(pl.col("period").str.contains(r"^\d{4}/\d{2}-\d{4}/\d{2}$"))["period"])

    assert pooled(rows_one) == {"2020/21-2022/23"}
    assert pooled(rows_two) == {"2020/21-2022/23", "2023/24-2025/26"}

    # The publish step's gate, run again here: the two editions together narrow no hidden cell.
    earlier = KeptEdition(one, rows_one).as_earlier()
    report = audit_editions(rows_two, [earlier], two.policy, SECOND_AS_OF, knowledge=KNOWLEDGE)
    assert report.ok, report.unsafe
    assert report.cells.filter(pl.col("table").str.starts_with("edition 1:")).height > 0
    assert "joint audit" in refreshed_editions.outputs["second"] and "edition 2" in refreshed_editions.outputs["second"]


def test_the_revisions_table_lists_exactly_the_figures_that_changed(refreshed_editions) -> None:
    before = read_published_csv(refreshed_editions.exports["first"] / "published.csv")
    after = published_rows(refreshed_editions.linked_url)
    revisions = read_revisions(make_engine(published_db_url(refreshed_editions.linked_url), published=True))

    def figures(rows: pl.DataFrame) -> dict[tuple, tuple]:
        kept = rows.filter(~pl.col("table").is_in(list(NOT_REVISED_TABLES)))
        return {tuple(row[:8]): (row[8], row[9]) for row in kept.select(*FIGURE, "value", "symbol").iter_rows()}

    old, new = figures(before), figures(after)
    expected = {key for key in new.keys() & old.keys() if new[key] != old[key]}
    listed = {tuple(row) for row in revisions.select(FIGURE).iter_rows()}
    assert listed == expected and len(expected) > 0
    for revision in revisions.iter_rows(named=True):
        key = tuple(revision[name] for name in FIGURE)
        assert (revision["previous_value"], revision["previous_symbol"]) == old[key]
        assert (revision["value"], revision["symbol"]) == new[key]
    assert set(revisions["reason"]) == {NEW_DATA, LATE_RECORDS}  # same method in both editions
    assert revisions.filter(pl.col("reason") == LATE_RECORDS).height > 0
    assert set(revisions["edition"]) == {2} and set(revisions["previous_edition"]) == {1}
    facts = info(refreshed_editions.linked_url)
    assert facts["edition"] == "2" and facts["edition_digest"] == published_digest(after)


def test_publish_refuses_an_edition_built_to_fail_the_joint_audit(refreshed_editions, tmp_path, monkeypatch,
                                                                  capsys) -> None:
    """Edition 3 on the same data as edition 2, except that one frozen count edition 2 hid is shown: a reader holding
    edition 2 reads it off. The publish is refused with exit status 3 and nothing changes."""
    url = copy_snapshot(refreshed_editions.folder, tmp_path)
    store = make_engine(url)
    before_published = published_rows(url)
    before_editions = read_editions(store)
    rows_two = read_edition_rows(store, 2)
    hidden = rows_two.filter(pl.Series(frozen_candidates(rows_two, FIRST_AS_OF)), pl.col("kind") == "count",
                             pl.col("symbol") == CONFIDENTIAL, pl.col("true_value") >= 3)
    target = hidden.row(0, named=True)
    policy = before_editions[-1].policy
    is_target = pl.all_horizontal(*(pl.col(name) == target[name] for name in KEY_COLUMNS)) & (pl.col("kind") == "count")
    leaky = rows_two.with_columns(
        value=pl.when(is_target).then(pl.lit(float(round_count(target["true_value"], policy)))).otherwise("value"),
        symbol=pl.when(is_target).then(pl.lit(None, dtype=pl.String)).otherwise("symbol"),
    )
    cells = rows_two.filter(pl.col("kind") == "count").select(*KEY_COLUMNS, "kind", "true_value")
    leaky_edition = publish_module.ProtectedEdition(leaky.select(PUBLISHED_COLUMNS), cells)
    monkeypatch.setattr(publish_module, "protected_edition",
                        lambda linked, settings, history=None, linkage_quality=None, timings=None: leaky_edition)
    status = publish_module.main(["--db", url, "--recompute"])  # the inputs are edition 2's: compute anyway
    error = capsys.readouterr().err
    assert status == publish_module.REFUSED == 3
    assert "refused" in error and "previous publication is left in place" in error
    assert published_rows(url).equals(before_published)
    assert read_editions(store) == before_editions


def test_killing_a_publish_mid_protection_leaves_no_process_and_the_previous_publication(refreshed_editions,
                                                                                        tmp_path) -> None:
    url = copy_snapshot(refreshed_editions.first_snapshot, tmp_path)
    before = published_rows(url)
    before_editions = read_editions(make_engine(url))
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("FAMILIES_DB_URL", "FAMILIES_PUBLISHED_DB_URL")}
    process = subprocess.Popen([sys.executable, "-m", "metrics.publish", "--db", url, "--recompute"], cwd=PROJECT_ROOT,
                               env=environment | {"FAMILIES_DISCLOSURE_WORKERS": "2"}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        parent = psutil.Process(process.pid)
        deadline = time.monotonic() + 600
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline and process.poll() is None:
            workers = parent.children(recursive=True)
            if len(workers) >= 2:
                break
            time.sleep(0.05)
        assert len(workers) >= 2, "the publish finished or failed before its worker processes started"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        alive = workers
        while alive and time.monotonic() < deadline:
            alive = [worker for worker in alive if _alive(worker)]
            time.sleep(0.1)
        assert alive == [], f"worker processes outlived the killed publish: {[w.pid for w in alive]}"
    finally:
        if process.poll() is None:
            process.kill()
    assert published_rows(url).equals(before)
    assert read_editions(make_engine(url)) == before_editions


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
