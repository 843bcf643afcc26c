"""Two refreshes of one publication, attacked together by a reader who kept the first (metrics.audit.audit_refresh).

Planted: families attached in 2023/24 (a year that ended before both data dates, so the same families in both
publications) with a small count in L1, and 2024/25 (still open at the first data date) growing in between. Each
publication on its own is safe, but their complements differ: the first hides L3 2023/24, the second publishes it
(13), so joining the two pins down what the first hid. Carrying the first publication's decisions over for the
frozen year makes the joint attack fail everywhere. No rounding in the planted case keeps the arithmetic visible.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from data_access.config import DisclosurePolicy
from metrics.audit import PREVIOUS, audit_published, audit_refresh, frozen_pairs, main, previous_ranges
from metrics.disclosure import CONFIDENTIAL, TableKnowledge, protect_publication
from metrics.disclosure.refresh import (
    CarriedDecisions,
    carried_decisions,
    frozen_candidates,
    infer_data_as_of,
    period_end,
)

KNOWLEDGE = TableKnowledge(area_name="Dorset")
NO_ROUNDING = DisclosurePolicy(threshold=10, rounding_base=1, percentage_min_each_side=10, protection_level=5,
                               confidence_level="95")
POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")
FIRST_AS_OF = date(2024, 7, 1)  # 2023/24 has ended; 2024/25 has not
FROZEN_YEAR = {"L1": 3, "L2": 12, "L3": 13}
FIRST = {"2023/24": FROZEN_YEAR, "2024/25": {"L1": 11, "L2": 50, "L3": 14}}
SECOND = {"2023/24": FROZEN_YEAR, "2024/25": {"L1": 40, "L2": 12, "L3": 60}}
COLUMNS = ["table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind", "true_value"]


def attached_cells(years: dict[str, dict[str, int]]) -> pl.DataFrame:
    """families_attached by locality and year, Dorset totals and period "all" (years add up to it)."""
    rows = []
    localities = list(next(iter(years.values())))
    totals = {loc: sum(by_locality[loc] for by_locality in years.values()) for loc in localities}
    for period, by_locality in {**years, "all": totals}.items():
        for locality, value in {**by_locality, "Dorset": sum(by_locality.values())}.items():
            rows.append(("families", "all", locality, period, "none", "All", "families_attached", "count", value))
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")


def publish(cells: pl.DataFrame, policy: DisclosurePolicy, previous: pl.DataFrame | None = None) -> pl.DataFrame:
    carried = None
    if previous is not None:
        ranges = previous_ranges(previous, policy, knowledge=KNOWLEDGE)
        carried = carried_decisions(cells, previous, FIRST_AS_OF, policy, ranges)
    return protect_publication(cells, (), policy, knowledge=KNOWLEDGE, carried=carried)


def hidden(published: pl.DataFrame) -> set[tuple[str, str]]:
    rows = published.filter(pl.col("symbol") == CONFIDENTIAL)
    return set(zip(rows["locality"], rows["period"], strict=True))


def test_period_ends_and_frozen_candidates() -> None:
    assert period_end("2023/24") == date(2024, 3, 31)
    assert period_end("2023/24 Q1") == date(2023, 6, 30)
    assert period_end("2023/24 Q3") == date(2023, 12, 31)
    assert period_end("2023/24 Q4") == date(2024, 3, 31)
    assert period_end("all") is None
    keys = pl.DataFrame({
        "table": ["families", "families", "families", "measure_progress", "measure_progress"],
        "statistic": ["families_attached", "families_attached", "families_attached", "with_need", "improved"],
        "period": ["2023/24", "2024/25 Q1", "all", "2023/24 Q4", "2023/24"],
    })
    assert frozen_candidates(keys, date(2024, 7, 1)).tolist() == [True, True, False, True, False]
    assert frozen_candidates(keys, date(2024, 6, 30)).tolist() == [True, False, False, True, False]
    quarters = pl.DataFrame({"period": ["2023/24 Q4", "2024/25 Q2", "2024/25", "all"]})
    assert infer_data_as_of(quarters) == date(2024, 7, 1)


def test_independent_refreshes_are_each_safe_but_pinned_down_together() -> None:
    first = publish(attached_cells(FIRST), NO_ROUNDING)
    second = publish(attached_cells(SECOND), NO_ROUNDING)
    assert audit_published(first, NO_ROUNDING, knowledge=KNOWLEDGE).ok
    assert audit_published(second, NO_ROUNDING, knowledge=KNOWLEDGE).ok
    assert ("L3", "2023/24") in hidden(first) and ("L3", "2023/24") not in hidden(second)

    report = audit_refresh(second, first, NO_ROUNDING, previous_as_of=FIRST_AS_OF, knowledge=KNOWLEDGE, exact=True)
    assert not report.ok
    pinned = report.unsafe.filter(pl.col("table") == PREVIOUS + "families", pl.col("period") == "2023/24")
    assert pinned.select("locality", "lower", "upper").rows() == [("L3", 13.0, 13.0)]  # the true value exactly


def test_without_the_frozen_link_the_two_publications_say_nothing_together() -> None:
    """Proof that the failure above comes from equating the frozen year, not from the joint frame itself."""
    first = publish(attached_cells(FIRST), NO_ROUNDING)
    second = publish(attached_cells(SECOND), NO_ROUNDING)
    nothing_frozen = pl.DataFrame(schema=dict.fromkeys(("table", "measure", "locality", "period", "breakdown",
                                                        "category", "statistic"), pl.String))
    assert audit_refresh(second, first, NO_ROUNDING, frozen=nothing_frozen, knowledge=KNOWLEDGE).ok


def test_carried_over_decisions_make_the_joint_attack_fail() -> None:
    first = publish(attached_cells(FIRST), NO_ROUNDING)
    second = publish(attached_cells(SECOND), NO_ROUNDING, previous=first)
    frozen_hidden = {cell for cell in hidden(first) if cell[1] == "2023/24"}
    assert frozen_hidden <= hidden(second)  # the new pattern contains the old one on the frozen year
    for locality, value in FROZEN_YEAR.items():  # a frozen cell published before is published again, unchanged
        if (locality, "2023/24") not in hidden(first):
            assert (locality, "2023/24") not in hidden(second) and value >= 10
    assert audit_published(second, NO_ROUNDING, knowledge=KNOWLEDGE).ok
    report = audit_refresh(second, first, NO_ROUNDING, previous_as_of=FIRST_AS_OF, knowledge=KNOWLEDGE, exact=True)
    assert report.ok, report.unsafe
    assert frozen_pairs(second, first, FIRST_AS_OF).height == 4  # three localities and Dorset in 2023/24


def test_a_first_publication_is_unchanged_by_the_carry_over_hook() -> None:
    cells = attached_cells(SECOND)
    plain = protect_publication(cells, (), POLICY, knowledge=KNOWLEDGE)
    no_previous = pl.DataFrame(schema={**dict.fromkeys(("table", "measure", "locality", "period", "breakdown",
                                                        "category", "statistic", "kind", "symbol"), pl.String),
                                       "value": pl.Float64})
    carried = carried_decisions(cells, no_previous, FIRST_AS_OF, POLICY)
    assert not carried.forced_suppressed.any() and not carried.known_published.any()
    assert carried_decisions(cells, no_previous, FIRST_AS_OF, POLICY).high.tolist() == [np.inf] * cells.height
    assert protect_publication(cells, (), POLICY, knowledge=KNOWLEDGE, carried=carried).equals(plain)


def test_a_changed_frozen_cell_is_not_carried_over() -> None:
    """L3 2023/24 published as 13, then corrected to 4: not the same people, so neither forced nor known."""
    before = publish(attached_cells(SECOND), NO_ROUNDING)
    assert ("L3", "2023/24") not in hidden(before)
    for value, expected_known in ((13, True), (4, False)):
        cells = attached_cells({"2023/24": {**FROZEN_YEAR, "L3": value}, "2024/25": SECOND["2024/25"]})
        carried = carried_decisions(cells, before, FIRST_AS_OF, NO_ROUNDING)
        row = cells.with_row_index().filter(pl.col("locality") == "L3", pl.col("period") == "2023/24")["index"][0]
        assert not carried.forced_suppressed[row] and carried.known_published[row] == expected_known
        assert (carried.low[row], carried.high[row]) == (0.0, np.inf)  # only a known zero gets a range (0..0)
    zero_before = attached_cells({"2023/24": {**FROZEN_YEAR, "L3": 0}, "2024/25": SECOND["2024/25"]})
    carried = carried_decisions(zero_before, publish(zero_before, NO_ROUNDING), FIRST_AS_OF, NO_ROUNDING)
    row = zero_before.with_row_index().filter(pl.col("locality") == "L3", pl.col("period") == "2023/24")["index"][0]
    assert carried.known_published[row] and (carried.low[row], carried.high[row]) == (0.0, 0.0)


@pytest.mark.parametrize("seed", range(4, 10))
def test_carried_over_refreshes_pass_the_joint_attack(seed: int) -> None:
    """Seeded random populations under the real policy (rounding to 5), small and large counts mixed: with the
    decisions and the previous ranges carried over, the joint attack fails on every hidden cell."""
    rng = np.random.default_rng(seed)

    def year() -> dict[str, int]:
        return {name: int(rng.integers(0, 10) if rng.random() < 0.5 else rng.integers(10, 40))
                for name in ("L1", "L2", "L3", "L4")}

    frozen_year = year()
    first = publish(attached_cells({"2023/24": frozen_year, "2024/25": year()}), POLICY)
    second = publish(attached_cells({"2023/24": frozen_year, "2024/25": year()}), POLICY, previous=first)
    report = audit_refresh(second, first, POLICY, previous_as_of=FIRST_AS_OF, knowledge=KNOWLEDGE, exact=True)
    assert report.ok, report.unsafe


def test_the_planted_narrow_intersection_is_kept_open() -> None:
    """Each publication alone leaves L4 2023/24 (6) at least 5 wide (1..7 before, 6..12 after), but together
    6..7. With the previous range carried over, the new publication keeps the joint range open."""
    frozen_year = {"L1": 0, "L2": 0, "L3": 0, "L4": 6}
    first = publish(attached_cells({"2023/24": frozen_year, "2024/25": {**frozen_year, "L4": 10}}), POLICY)
    again = {"2023/24": frozen_year, "2024/25": {**frozen_year, "L4": 12}}
    alone = publish(attached_cells(again), POLICY)
    assert not audit_refresh(alone, first, POLICY, previous_as_of=FIRST_AS_OF, knowledge=KNOWLEDGE).ok
    carried = publish(attached_cells(again), POLICY, previous=first)
    assert audit_refresh(carried, first, POLICY, previous_as_of=FIRST_AS_OF, knowledge=KNOWLEDGE, exact=True).ok


@pytest.fixture
def cli_defaults(monkeypatch):
    import metrics.audit as audit_module

    monkeypatch.setattr(audit_module, "benchmark_name", lambda: "Dorset")
    monkeypatch.setattr(audit_module, "load_disclosure_policy", lambda: NO_ROUNDING)


def test_cli_audits_two_publications_together(tmp_path, capsys, cli_defaults) -> None:
    first = publish(attached_cells(FIRST), NO_ROUNDING)
    paths = {}
    for name, frame in {"first": first, "second": publish(attached_cells(SECOND), NO_ROUNDING),
                        "carried": publish(attached_cells(SECOND), NO_ROUNDING, previous=first)}.items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.write_csv(paths[name])
    assert main(["--published", str(paths["second"])]) == 0
    capsys.readouterr()
    assert main(["--published", str(paths["second"]), "--previous", str(paths["first"]),
                 "--previous-as-of", "2024-07-01", "--exact"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "previous:families" in out
    assert main(["--published", str(paths["carried"]), "--previous", str(paths["first"]),
                 "--previous-as-of", "2024-07-01"]) == 0
    assert "PASS" in capsys.readouterr().out
    assert main(["--published", str(paths["second"]), "--previous", str(tmp_path / "missing.csv")]) == 2


def test_carried_decisions_need_one_entry_per_cell() -> None:
    few = CarriedDecisions(np.zeros(3, dtype=bool), np.zeros(3, dtype=bool), np.zeros(3), np.full(3, np.inf))
    with pytest.raises(ValueError, match="one entry per count cell"):
        protect_publication(attached_cells(FIRST), (), POLICY, knowledge=KNOWLEDGE, carried=few)


def test_the_publish_step_reads_the_publication_it_replaces(tmp_path) -> None:
    from data_access.engine import make_engine
    from data_access.published_reads import read_previous_publication
    from metrics.publish import write_publication

    engine = make_engine(f"sqlite:///{tmp_path / 'published.db'}", published=True)
    assert read_previous_publication(engine) is None  # the first run
    first = publish(attached_cells(FIRST), NO_ROUNDING)
    write_publication(engine, first, {"data_as_of": FIRST_AS_OF.isoformat()})
    previous = read_previous_publication(engine)
    assert previous is not None
    counts, as_of = previous
    assert as_of == FIRST_AS_OF
    assert counts.height == first.filter(pl.col("kind") == "count").height
    assert counts.filter(pl.col("symbol") == CONFIDENTIAL).height == len(hidden(first))
