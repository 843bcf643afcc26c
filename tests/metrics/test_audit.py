"""The outside attacker (metrics.audit): CLI, database reads, derived-value leaks, summaries, a stress population."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest
from sqlalchemy import create_engine

from data_access.bulk import write_frame
from data_access.config import DisclosurePolicy
from data_access.published_schema import PUBLISHED_COLUMNS, published_metadata, published_statistic
from metrics import stats
from metrics.audit import AuditFailure, assert_safe, audit_published, main, read_published_csv, suppression_summary
from metrics.disclosure import CONFIDENTIAL, protect_publication, protect_publication_report
from metrics.disclosure.publication import PercentSpec
from tests.metrics.disclosure.demo_cells import PROGRESS_PERCENTS, progress_cells
from tests.shipped_config import SETTINGS, shipped_knowledge

POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")
KNOWLEDGE = shipped_knowledge("Dorset", {"M01": stats.HIGHER_IS_BETTER})
SPECS = (PercentSpec("measure_progress", "improved_percent", "improved", "reviewed"),)


@pytest.fixture(scope="module")
def stress() -> tuple[pl.DataFrame, pl.DataFrame]:
    """About 300 units over two years: many small cells, zeros and ones (true cells, and their publication)."""
    cells = progress_cells(300, seed=7, n_years=2)
    result = protect_publication_report(cells, PROGRESS_PERCENTS, POLICY, knowledge=KNOWLEDGE)
    return cells, result.published


def test_stress_population_is_protected_everywhere(stress) -> None:
    cells, published = stress
    assert cells.filter(pl.col("true_value").is_between(1, 9)).height > 500  # many small cells to protect
    report = assert_safe(published, POLICY, knowledge=KNOWLEDGE)
    assert report.cells.height == published.filter(pl.col("symbol") == CONFIDENTIAL,
                                                   pl.col("kind") == "count").height
    assert report.derived.height == 0 and report.inconsistent.height == 0


def test_stress_population_without_secondary_is_attacked(stress) -> None:
    cells, _ = stress
    unprotected = protect_publication(cells, PROGRESS_PERCENTS, POLICY, knowledge=KNOWLEDGE, secondary=False)
    with pytest.raises(AuditFailure) as failure:
        assert_safe(unprotected, POLICY, knowledge=KNOWLEDGE)
    assert failure.value.cells.height > 0
    assert (failure.value.cells["width"] < 5).all()


def progress_cells_small(values: dict[str, tuple[int, int]]) -> pl.DataFrame:
    totals = tuple(sum(v[i] for v in values.values()) for i in range(2))
    rows = []
    for locality, (improved, reviewed) in {**values, "Dorset": totals}.items():
        for statistic, value in (("improved", improved), ("reviewed", reviewed)):
            rows.append(("measure_progress", "M01", locality, "2024/25", "none", "All", statistic, "count", value))
    return pl.DataFrame(rows, schema=["table", "measure", "locality", "period", "breakdown", "category", "statistic",
                                      "kind", "true_value"], orient="row")


CLI_VALUES = {"L1": (10, 31), "L2": (1, 45)}  # Dorset improved 11 -> 10 and L1 10 -> 10: L2 within 0..2


@pytest.fixture
def cli_defaults(monkeypatch):
    import metrics.audit as audit_module

    monkeypatch.setattr(audit_module, "load_publish_settings", lambda: replace(SETTINGS, policy=POLICY))


def test_cli_passes_on_a_protected_csv_and_fails_on_an_unprotected_one(tmp_path, capsys, cli_defaults) -> None:
    cells = progress_cells_small(CLI_VALUES)
    published = protect_publication(cells, SPECS, POLICY, knowledge=KNOWLEDGE)
    good = tmp_path / "good" / "published.csv"
    good.parent.mkdir()
    published.write_csv(good)
    assert read_published_csv(good).equals(published.select(PUBLISHED_COLUMNS))
    assert main(["--published", str(good)]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "measure_progress" in out
    bad = tmp_path / "bad.csv"
    protect_publication(cells, SPECS, POLICY, knowledge=KNOWLEDGE, secondary=False).write_csv(bad)
    assert main(["--published", str(bad), "--exact"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "L2" in out
    assert main(["--published", str(tmp_path / "missing.csv")]) == 2


def test_cli_reads_the_published_database(tmp_path, cli_defaults) -> None:
    published = protect_publication(progress_cells_small(CLI_VALUES), SPECS, POLICY, knowledge=KNOWLEDGE)
    url = f"sqlite:///{tmp_path / 'published.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        published_metadata.create_all(connection)
        write_frame(connection, published_statistic,
                    published.select(PUBLISHED_COLUMNS).with_row_index("row_id").with_columns(
                        pl.col("row_id").cast(pl.Int64)))
    engine.dispose()
    assert main(["--db", url]) == 0


def tamper(published: pl.DataFrame, kind: str, value: float) -> pl.DataFrame:
    target = (pl.col("locality") == "L1") & (pl.col("kind") == kind)
    return published.with_columns(value=pl.when(target).then(pl.lit(value)).otherwise(pl.col("value")))


def test_a_percentage_from_true_counts_is_reported_and_used_against_the_counts() -> None:
    cells = progress_cells_small({"L1": (12, 31), "L2": (3, 45)})  # L2 improved 3 is [c]
    published = protect_publication(cells, SPECS, POLICY, knowledge=KNOWLEDGE)
    assert audit_published(published, POLICY, knowledge=KNOWLEDGE).derived.height == 0
    leaked = tamper(published, "percent", round(100 * 12 / 31, 1))  # 38.7, as if computed from true counts
    report = audit_published(leaked, POLICY, knowledge=KNOWLEDGE)
    assert report.derived.filter(pl.col("kind") == "percent").height == 1
    assert not report.ok


def test_an_interval_from_true_counts_is_reported() -> None:
    cells = progress_cells_small({"L1": (12, 31), "L2": (20, 45)})
    published = protect_publication(cells, SPECS, POLICY, knowledge=KNOWLEDGE)
    lower, _ = stats.wilson_interval(12, 31, "95")
    report = audit_published(tamper(published, "ci_lower", round(100 * lower, 1)), POLICY, knowledge=KNOWLEDGE)
    assert report.derived.filter(pl.col("kind") == "ci_lower").height == 1


def test_a_published_percentage_tells_the_attacker_both_sides_are_at_least_ten() -> None:
    """L1: 10 of 20 improved, both published (10..12 and 18..22) with their percentage, which says reviewed -
    improved >= 10, so L1 reviewed is 20..22. Dorset reviewed 24 -> 25 (23..27) then puts L2 reviewed ([c], 4)
    within 1..7 instead of 1..9: the attacker must use what the percentage says."""
    cells = progress_cells_small({"L1": (10, 20), "L2": (1, 4)})
    published = protect_publication(cells, SPECS, POLICY, knowledge=KNOWLEDGE, secondary=False)
    assert published.filter(pl.col("locality") == "L1", pl.col("kind") == "percent")["value"].item() == 50.0

    def l2_reviewed(frame: pl.DataFrame) -> tuple[float, float]:
        report = audit_published(frame, POLICY, knowledge=KNOWLEDGE, exact=True)
        cell = report.cells.filter(pl.col("locality") == "L2", pl.col("statistic") == "reviewed")
        return cell.select("lower", "upper").row(0)

    assert l2_reviewed(published) == (1.0, 7.0)
    assert l2_reviewed(published.filter(pl.col("kind") == "count")) == (1.0, 9.0)  # without the percentage rows


def test_suppression_summary_per_table(stress) -> None:
    _, published = stress
    summary = suppression_summary(published)
    assert summary.columns == ["table", "count_cells", "count_cells_suppressed", "percent_cells",
                               "percent_cells_suppressed", "share_counts_lost", "share_percents_lost"]
    row = summary.row(0, named=True)
    assert 0 < row["count_cells_suppressed"] < row["count_cells"]
    assert row["share_counts_lost"] == pytest.approx(row["count_cells_suppressed"] / row["count_cells"], abs=1e-4)


def test_worker_processes_give_the_same_publication_and_audit() -> None:
    cells = progress_cells(60, seed=3, n_years=2)  # two blocks, so two workers both get one
    options = {"knowledge": KNOWLEDGE}
    alone = protect_publication(cells, PROGRESS_PERCENTS, POLICY, workers=1, **options)
    together = protect_publication(cells, PROGRESS_PERCENTS, POLICY, workers=2, **options)
    assert alone.equals(together)
    one = audit_published(alone, POLICY, knowledge=KNOWLEDGE, workers=1)
    two = audit_published(alone, POLICY, knowledge=KNOWLEDGE, workers=2)
    assert one.ok and two.ok
    assert one.cells.equals(two.cells)


@pytest.mark.parametrize("shift", [0, 3])
def test_kept_true_counts_never_hide_a_leak_from_the_gate(stress, shift: int) -> None:
    """The gate (audit_editions) starts its witness search from the kept true counts, but only where they are a
    point of the reader's system: with the real ones, or with false ones (every count shifted by 3, which breaks
    every sum), an unprotected publication still fails on exactly the cells the plain attack finds."""
    from datetime import date

    from metrics.audit import audit_editions
    from metrics.editions import rows_with_truth

    cells, _ = stress
    unprotected = protect_publication(cells, PROGRESS_PERCENTS, POLICY, knowledge=KNOWLEDGE, secondary=False)
    kept = rows_with_truth(unprotected, cells.with_columns(pl.col("true_value") + shift))
    gate = audit_editions(kept, [], POLICY, date(2025, 3, 31), knowledge=KNOWLEDGE)
    plain = audit_published(unprotected, POLICY, knowledge=KNOWLEDGE)
    assert gate.unsafe.height > 0
    keys = ["table", "measure", "locality", "period", "breakdown", "category", "statistic"]
    assert sorted(gate.unsafe.select(keys).rows()) == sorted(plain.unsafe.select(keys).rows())


def test_an_anchor_is_used_only_when_it_satisfies_every_relation() -> None:
    import numpy as np
    from scipy.sparse import csr_matrix

    from metrics.audit import _anchor
    from metrics.disclosure.attack import BlockProblem

    # x0 = x1 + x2 (a total and its two parts), x1 published as 8..12, x0 and x2 hidden
    problem = BlockProblem(np.arange(3), csr_matrix(np.array([[1.0, -1.0, -1.0]])), np.zeros(1),
                           csr_matrix((0, 3)), np.zeros(0), np.array([0.0, 8.0, 0.0]),
                           np.array([np.inf, 12.0, np.inf]), np.array([0, 2]))
    assert _anchor(problem, np.array([13.0, 10.0, 3.0])) is not None
    assert _anchor(problem, np.array([14.0, 10.0, 3.0])) is None   # breaks the sum
    assert _anchor(problem, np.array([7.0, 7.0, 0.0])) is None     # breaks the rounding interval
    assert _anchor(problem, np.array([13.0, np.nan, 3.0])) is None  # a count without a kept truth


def test_propagation_alone_can_prove_a_block_unsafe() -> None:
    import numpy as np
    from scipy.sparse import csr_matrix

    from metrics.disclosure.attack import AttackInfeasible, BlockProblem, narrow_by_propagation

    # x0 = x1 + x2 (a total and its two parts), x1 published as 8..12
    total = csr_matrix(np.array([[1.0, -1.0, -1.0]]))

    def problem(x2_low: float, x2_high: float, targets: list[int]) -> BlockProblem:
        return BlockProblem(np.arange(3), total, np.zeros(1), csr_matrix((0, 3)), np.zeros(0),
                            np.array([0.0, 8.0, x2_low]), np.array([np.inf, 12.0, x2_high]), np.array(targets))

    positions, intervals = narrow_by_propagation(problem(3.0, 3.0, [0]), 5.0)  # x0 in 11..15: 4 wide
    assert positions.tolist() == [0] and (intervals.lower.tolist(), intervals.upper.tolist()) == ([11.0], [15.0])
    assert narrow_by_propagation(problem(3.0, 3.0, [0]), 4.0)[0].size == 0  # 4 wide is enough for a level of 4
    assert narrow_by_propagation(problem(0.0, np.inf, [0, 2]), 5.0)[0].size == 0  # both hidden: unbounded
    assert narrow_by_propagation(problem(0.0, np.inf, []), 5.0) is None  # nothing hidden
    contradiction = BlockProblem(np.arange(3), total, np.zeros(1), csr_matrix((0, 3)), np.zeros(0),
                                 np.array([3.0, 8.0, 0.0]), np.array([7.0, 12.0, np.inf]), np.array([2]))
    with pytest.raises(AttackInfeasible):
        narrow_by_propagation(contradiction, 5.0)  # a total shown as 3..7 with a part of 8..12: no solution


def test_a_gate_that_stops_early_refuses_on_cells_the_full_gate_also_finds(stress) -> None:
    """stop_at_first_unsafe: an unprotected publication is refused from the blocks propagation proves unsafe (a
    non-empty subset of what the full gate finds, and said to be incomplete); a protected one gets the full gate."""
    from datetime import date

    from metrics.audit import audit_editions
    from metrics.editions import rows_with_truth

    cells, protected = stress
    keys = ["table", "measure", "locality", "period", "breakdown", "category", "statistic"]
    unprotected = protect_publication(cells, PROGRESS_PERCENTS, POLICY, knowledge=KNOWLEDGE, secondary=False)
    kept = rows_with_truth(unprotected, cells)
    full = audit_editions(kept, [], POLICY, date(2025, 3, 31), knowledge=KNOWLEDGE)
    early = audit_editions(kept, [], POLICY, date(2025, 3, 31), knowledge=KNOWLEDGE, stop_at_first_unsafe=True)
    assert full.complete and not early.complete and not early.ok
    assert 0 < early.unsafe.height <= full.unsafe.height
    assert set(early.unsafe.select(keys).rows()) <= set(full.unsafe.select(keys).rows())

    # The next edition shows a count the first one hid and that cannot have changed (a frozen count): a reader
    # holding both reads it off, which bound propagation alone proves, so the early gate attacks only that block.
    from metrics.disclosure.refresh import EarlierEdition, frozen_candidates

    first_as_of, second_as_of = date(2025, 3, 31), date(2025, 6, 30)
    hidden = protected.filter(pl.col("symbol") == CONFIDENTIAL, pl.col("kind") == "count")
    hidden = hidden.filter(pl.Series(frozen_candidates(hidden, first_as_of), dtype=pl.Boolean))
    leak = hidden.join(cells.select(*keys, "true_value"), on=keys).filter(pl.col("true_value") >= POLICY.threshold).row(
        0, named=True)  # shown as a count at or above the threshold, so the figure itself contradicts nothing
    is_leak = pl.all_horizontal(*(pl.col(k) == leak[k] for k in keys)) & (pl.col("kind") == "count")
    from metrics.disclosure.primary import round_count

    shown = float(round_count(leak["true_value"], POLICY))
    leaky = protected.with_columns(value=pl.when(is_leak).then(pl.lit(shown)).otherwise("value"),
                                   symbol=pl.when(is_leak).then(pl.lit(None, dtype=pl.String)).otherwise("symbol"))
    first = EarlierEdition("edition 1:", rows_with_truth(protected, cells), first_as_of, POLICY)
    leaky_kept = rows_with_truth(leaky, cells)
    full = audit_editions(leaky_kept, [first], POLICY, second_as_of, knowledge=KNOWLEDGE)
    early = audit_editions(leaky_kept, [first], POLICY, second_as_of, knowledge=KNOWLEDGE, stop_at_first_unsafe=True)
    assert not full.ok and full.complete
    assert not early.ok and not early.complete
    assert set(early.unsafe.select(keys).rows()) <= set(full.unsafe.select(keys).rows())
    assert early.cells.height < full.cells.height
    # refused on propagation's proofs alone (no LP): every cell it reports is one it proved narrow, the leak among them
    assert early.lp_solves == 0 and early.cells.height == early.unsafe.height
    assert set(early.cells["proof"]) == {"at most this wide"}
    leaked = ("edition 1:" + leak["table"], *(leak[k] for k in keys[1:]))  # hidden in edition 1, read off now
    assert leaked in set(early.unsafe.select(keys).rows())

    safe = audit_editions(rows_with_truth(protected, cells), [], POLICY, date(2025, 3, 31), knowledge=KNOWLEDGE,
                          stop_at_first_unsafe=True)
    assert safe.complete and safe.ok
