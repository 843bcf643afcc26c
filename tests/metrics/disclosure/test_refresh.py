"""Two refreshes of one publication, attacked together by a reader who kept the first (metrics.audit.audit_refresh).

Planted: families attached in 2023/24 (a year that ended before both data dates, so the same families in both
publications) with a small count in L1, and 2024/25 (still open at the first data date) growing in between. Each
publication on its own is safe, but their complements differ: the first hides L3 2023/24, the second publishes it
(13), so joining the two pins down what the first hid. Protecting the second jointly with the first (the first as
an earlier edition: metrics.disclosure.history) makes the joint attack fail everywhere. No rounding in the planted
case keeps the arithmetic visible.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import polars as pl
import pytest

from data_access.config import DisclosurePolicy
from metrics.audit import PREVIOUS, audit_editions, audit_published, audit_refresh, frozen_pairs, main
from metrics.disclosure import CONFIDENTIAL, protect_publication
from metrics.disclosure.history import History
from metrics.disclosure.refresh import (
    EarlierEdition,
    frozen_candidates,
    frozen_links,
    infer_data_as_of,
    period_end,
)
from metrics.disclosure.relations import KEY_COLUMNS
from tests.shipped_config import SETTINGS, shipped_knowledge

KNOWLEDGE = shipped_knowledge("Dorset")
NO_ROUNDING = DisclosurePolicy(threshold=10, rounding_base=1, percentage_min_each_side=10, protection_level=5,
                               confidence_level="95")
POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")
FIRST_AS_OF = date(2024, 7, 1)  # 2023/24 has ended; 2024/25 has not
SECOND_AS_OF = date(2025, 7, 1)
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


def edition(cells: pl.DataFrame, published: pl.DataFrame, policy: DisclosurePolicy, as_of: date = FIRST_AS_OF,
            label: str = PREVIOUS) -> EarlierEdition:
    """An earlier edition as the edition store keeps it: published rows with the true counts beside them."""
    truth = cells.select(*KEY_COLUMNS, "true_value")
    return EarlierEdition(label, published.join(truth, on=list(KEY_COLUMNS), how="left", maintain_order="left"),
                          as_of, policy)


def publish(cells: pl.DataFrame, policy: DisclosurePolicy,
            previous: tuple[pl.DataFrame, pl.DataFrame] | None = None) -> pl.DataFrame:
    """Protect the cells; previous: (the earlier edition's cells, its published rows) to protect jointly with."""
    history = None
    if previous is not None:
        history = History((edition(*previous, policy),), SECOND_AS_OF)
    return protect_publication(cells, (), policy, knowledge=KNOWLEDGE, history=history)


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


def test_joint_protection_makes_the_joint_attack_fail() -> None:
    first_cells = attached_cells(FIRST)
    first = publish(first_cells, NO_ROUNDING)
    second = publish(attached_cells(SECOND), NO_ROUNDING, previous=(first_cells, first))
    frozen_hidden = {cell for cell in hidden(first) if cell[1] == "2023/24"}
    assert frozen_hidden <= hidden(second)  # the new pattern contains the old one on the frozen year
    for locality, value in FROZEN_YEAR.items():  # a frozen cell published before is published again, unchanged
        if (locality, "2023/24") not in hidden(first):
            assert (locality, "2023/24") not in hidden(second) and value >= 10
    assert audit_published(second, NO_ROUNDING, knowledge=KNOWLEDGE).ok
    report = audit_refresh(second, first, NO_ROUNDING, previous_as_of=FIRST_AS_OF, knowledge=KNOWLEDGE, exact=True)
    assert report.ok, report.unsafe
    assert frozen_pairs(second, first, FIRST_AS_OF).height == 4  # three localities and Dorset in 2023/24


def test_a_first_publication_is_unchanged_by_an_empty_history() -> None:
    cells = attached_cells(SECOND)
    plain = protect_publication(cells, (), POLICY, knowledge=KNOWLEDGE)
    empty = History((), SECOND_AS_OF)
    assert protect_publication(cells, (), POLICY, knowledge=KNOWLEDGE, history=empty).equals(plain)


def test_the_readers_rule_links_hidden_before_and_same_figures_only() -> None:
    """frozen_links on hand-made states: [c] before links whatever is shown now; a figure shown before links only
    to the same figure now; [c] now after a figure before does not (the publish step never does that to a frozen
    cell, so it says the count changed); a period still open at the earlier data date never links."""
    keys = [("families", "all", loc, "2023/24", "none", "All", "families_attached") for loc in "ABCDEF"]
    keys.append(("families", "all", "A", "2024/25", "none", "All", "families_attached"))
    earlier = pl.DataFrame([(*k, v, c) for k, v, c in zip(keys, [None, None, 15.0, 15.0, 15.0, 20.0, None],
                                                           [True, True, False, False, False, False, True],
                                                           strict=True)],
                           schema=[*KEY_COLUMNS, "value", "suppressed"], orient="row")
    later = pl.DataFrame([(*k, v, c) for k, v, c in zip(keys, [None, 20.0, 15.0, 20.0, None, 20.0, None],
                                                         [True, False, False, False, True, False, True],
                                                         strict=True)],
                         schema=[*KEY_COLUMNS, "value", "suppressed"], orient="row")
    linked = frozen_links(later, earlier, FIRST_AS_OF)
    assert sorted(zip(linked["locality"], linked["period"], strict=True)) == [
        ("A", "2023/24"), ("B", "2023/24"), ("C", "2023/24"), ("F", "2023/24")]


def test_a_changed_frozen_cell_is_not_linked_and_an_unchanged_one_is_published_again() -> None:
    """L3 2023/24 published as 13, then corrected to 4 (a late record): not the same people, so it is protected as
    a new count (hidden: it is small); unchanged (13), it is linked and published again with the same figure."""
    before_cells = attached_cells(SECOND)
    before = publish(before_cells, NO_ROUNDING)
    assert ("L3", "2023/24") not in hidden(before)
    for value, linked in ((13, True), (4, False)):
        cells = attached_cells({"2023/24": {**FROZEN_YEAR, "L3": value}, "2024/25": SECOND["2024/25"]})
        after = publish(cells, NO_ROUNDING, previous=(before_cells, before))
        keys = frozen_pairs(after, before, FIRST_AS_OF)
        assert (("L3", "2023/24") in set(zip(keys["locality"], keys["period"], strict=True))) == linked
        assert (("L3", "2023/24") in hidden(after)) == (not linked)
        report = audit_refresh(after, before, NO_ROUNDING, previous_as_of=FIRST_AS_OF, knowledge=KNOWLEDGE)
        assert report.ok, report.unsafe


def random_year(rng: np.random.Generator) -> dict[str, int]:
    """One year's counts for four localities: small (under the threshold) or large, half and half."""
    return {name: int(rng.integers(0, 10) if rng.random() < 0.5 else rng.integers(10, 40))
            for name in ("L1", "L2", "L3", "L4")}


@pytest.mark.parametrize("seed", range(4, 10))
def test_jointly_protected_refreshes_pass_the_joint_attack(seed: int) -> None:
    """Seeded random populations under the real policy (rounding to 5), small and large counts mixed: protected
    jointly with the first, the second edition leaves every hidden cell of both at least 5 wide together."""
    rng = np.random.default_rng(seed)
    frozen_year = random_year(rng)
    first_cells = attached_cells({"2023/24": frozen_year, "2024/25": random_year(rng)})
    first = publish(first_cells, POLICY)
    second = publish(attached_cells({"2023/24": frozen_year, "2024/25": random_year(rng)}), POLICY,
                     previous=(first_cells, first))
    report = audit_refresh(second, first, POLICY, previous_as_of=FIRST_AS_OF, knowledge=KNOWLEDGE, exact=True)
    assert report.ok, report.unsafe


def test_the_planted_narrow_intersection_is_kept_open() -> None:
    """Each publication alone leaves L4 2023/24 (6) at least 5 wide (1..7 before, 6..12 after), but together
    6..7. Protected jointly with the first, the new publication keeps the joint range open."""
    frozen_year = {"L1": 0, "L2": 0, "L3": 0, "L4": 6}
    first_cells = attached_cells({"2023/24": frozen_year, "2024/25": {**frozen_year, "L4": 10}})
    first = publish(first_cells, POLICY)
    again = {"2023/24": frozen_year, "2024/25": {**frozen_year, "L4": 12}}
    alone = publish(attached_cells(again), POLICY)
    assert not audit_refresh(alone, first, POLICY, previous_as_of=FIRST_AS_OF, knowledge=KNOWLEDGE).ok
    joint = publish(attached_cells(again), POLICY, previous=(first_cells, first))
    assert audit_refresh(joint, first, POLICY, previous_as_of=FIRST_AS_OF, knowledge=KNOWLEDGE, exact=True).ok


def test_the_same_data_again_gives_the_same_edition() -> None:
    """A fixed point: protected jointly with an edition of the same data and date, the result is that edition."""
    for years in (FIRST, SECOND, {"2023/24": {"L1": 0, "L2": 4, "L3": 30}, "2024/25": {"L1": 9, "L2": 1, "L3": 2}}):
        cells = attached_cells(years)
        first = publish(cells, POLICY)
        history = History((edition(cells, first, POLICY, as_of=SECOND_AS_OF),), SECOND_AS_OF)
        again = protect_publication(cells, (), POLICY, knowledge=KNOWLEDGE, history=history)
        assert again.equals(first)


def test_three_editions_are_protected_and_audited_together() -> None:
    """A reader holding two earlier editions: the third is protected against both at once, and the publish step's
    gate (audit_editions) attacks all three together."""
    rng = np.random.default_rng(3)
    frozen = {name: int(value) for name, value in zip(("L1", "L2", "L3", "L4"), rng.integers(0, 25, 4),
                                                        strict=True)}
    cells_1 = attached_cells({"2023/24": frozen, "2024/25": {k: int(v) for k, v in zip(frozen, rng.integers(0, 25, 4),
                                                                                          strict=True)}})
    first = publish(cells_1, POLICY)
    one = edition(cells_1, first, POLICY, FIRST_AS_OF, "edition 1:")
    second_year = {k: int(v) for k, v in zip(frozen, rng.integers(0, 25, 4), strict=True)}
    cells_2 = attached_cells({"2023/24": frozen, "2024/25": second_year})
    second = protect_publication(cells_2, (), POLICY, knowledge=KNOWLEDGE, history=History((one,), SECOND_AS_OF))
    two = edition(cells_2, second, POLICY, SECOND_AS_OF, "edition 2:")
    third_as_of = date(2026, 7, 1)
    cells_3 = attached_cells({"2023/24": frozen, "2024/25": second_year,
                              "2025/26": {k: int(v) for k, v in zip(frozen, rng.integers(0, 25, 4), strict=True)}})
    third = protect_publication(cells_3, (), POLICY, knowledge=KNOWLEDGE, history=History((one, two), third_as_of))
    report = audit_editions(edition(cells_3, third, POLICY).rows, [one, two], POLICY, third_as_of, knowledge=KNOWLEDGE)
    assert report.ok, report.unsafe
    assert report.cells.filter(pl.col("table").str.starts_with("edition 1:")).height > 0  # the first is attacked


@pytest.fixture
def cli_defaults(monkeypatch):
    import metrics.audit as audit_module

    monkeypatch.setattr(audit_module, "load_publish_settings", lambda: replace(SETTINGS, policy=NO_ROUNDING))


def test_cli_audits_two_publications_together(tmp_path, capsys, cli_defaults) -> None:
    first_cells = attached_cells(FIRST)
    first = publish(first_cells, NO_ROUNDING)
    paths = {}
    for name, frame in {"first": first, "second": publish(attached_cells(SECOND), NO_ROUNDING),
                        "carried": publish(attached_cells(SECOND), NO_ROUNDING, previous=(first_cells, first))}.items():
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


def test_the_publish_step_reads_the_publication_it_replaces(tmp_path) -> None:
    from data_access.engine import make_engine
    from data_access.published_reads import read_previous_publication
    from data_access.published_writes import write_publication

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


def ended_block(measure: str, counts: dict[str, int]) -> pl.DataFrame:
    """A block of its own (another measure label) holding only 2023/24, a year that ended before both data dates."""
    return attached_cells({"2023/24": counts}).filter(pl.col("period") == "2023/24").with_columns(
        measure=pl.lit(measure))


def test_a_block_with_nothing_to_decide_is_left_to_the_gate() -> None:
    """A refresh where one block is all earlier cells and new cells linked to them (a year that ended before the
    last edition, untouched by late records): protection has nothing it could hide there and spends no round on it;
    the new edition repeats the earlier pattern and figures, and the gate (audit_editions) still attacks the block,
    so an earlier edition that leaked there (published without secondary suppression) is refused, not hidden.
    No rounding, so the leak is exact."""
    from metrics.disclosure.secondary import protect_counts

    ended = ended_block("ended", {"L1": 3, "L2": 12, "L3": 13})
    first_cells = pl.concat([attached_cells(FIRST), ended])
    second_cells = pl.concat([attached_cells(SECOND), ended])
    for secondary in (True, False):  # False: the earlier edition leaked in the ended block (L1 = Dorset - 12 - 13)
        first = pl.concat([protect_publication(attached_cells(FIRST), (), NO_ROUNDING, knowledge=KNOWLEDGE),
                           protect_publication(ended, (), NO_ROUNDING, knowledge=KNOWLEDGE, secondary=secondary)])
        history = History((edition(first_cells, first, NO_ROUNDING),), SECOND_AS_OF)
        protection = protect_counts(second_cells, (), NO_ROUNDING, knowledge=KNOWLEDGE, history=history)
        units = protection.structure.units
        ended_blocks = set(units.filter(pl.col("measure") == "ended")["block"].to_list())
        assert len(ended_blocks) == 1 and protection.rounds[ended_blocks.pop()] == 0
        assert sum(protection.rounds.values()) > 0  # the changing block was protected (rounds counted)
        second = protect_publication(second_cells, (), NO_ROUNDING, knowledge=KNOWLEDGE, history=history)
        in_ended = [pl.col("measure") == "ended", pl.col("kind") == "count"]
        assert second.filter(*in_ended).select("locality", "value", "symbol").equals(
            first.filter(*in_ended).select("locality", "value", "symbol"))
        report = audit_editions(second, [history.earlier[0]], NO_ROUNDING, SECOND_AS_OF, knowledge=KNOWLEDGE)
        leaked = report.unsafe.filter(pl.col("measure") == "ended")
        assert report.ok == secondary and (leaked.height > 0) == (not secondary), report.unsafe


def test_the_gates_refusal_names_the_cells_published_differently() -> None:
    """A new edition showing one set of families twice, differently: a 2023/24 count as a figure under no breakdown
    and hidden as the "All" of a breakdown by sex (the same families). The gate that stops early refuses on that alone,
    before attacking any block, and the refusal names the cell."""
    from metrics.publish import EditionRefused

    first_cells = attached_cells(FIRST)
    first = publish(first_cells, NO_ROUNDING)
    second = publish(attached_cells(SECOND), NO_ROUNDING, previous=(first_cells, first))
    shown = second.filter(pl.col("period") == "2023/24", pl.col("kind") == "count", pl.col("symbol").is_null()).head(1)
    assert shown.height == 1
    twice = pl.concat([second, shown.with_columns(breakdown=pl.lit("sex"), value=pl.lit(None, dtype=pl.Float64),
                                                  symbol=pl.lit(CONFIDENTIAL))])
    report = audit_editions(twice, [edition(first_cells, first, NO_ROUNDING)], NO_ROUNDING, SECOND_AS_OF,
                            knowledge=KNOWLEDGE, stop_at_first_unsafe=True)
    assert not report.ok and not report.complete
    message = str(EditionRefused(report))
    assert "published differently" in message and f"{shown.item(0, 'locality')} 2023/24" in message, message
    assert "0 hidden cell" not in message and "previous publication is left in place" in message
