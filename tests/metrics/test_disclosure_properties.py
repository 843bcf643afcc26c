"""Property tests on random small populations with a planted unique person.

The planted person is the only one in locality L1 whose sex is not recorded, in a locality where at least ten
women and ten men are recorded: with the total published, subtraction finds them. With secondary suppression
switched off the attacker must find that cell exactly (it proves the attacker works); with it on, the attack must
fail on every suppressed cell, judged from the published rows alone.
"""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_access.config import DisclosurePolicy
from metrics.audit import audit_published
from metrics.disclosure import CONFIDENTIAL, protect_publication
from tests.metrics.disclosure.demo_cells import count_population
from tests.shipped_config import shipped_knowledge

LOCALITIES = ("L1", "L2", "L3")
SEXES = ("Female", "Male", "Not recorded")
GROUPS = ("A", "B", "C", "Not recorded")
YEAR = "2024/25"
QUARTERS = tuple(f"{YEAR} Q{q}" for q in range(1, 5))
KNOWLEDGE = shipped_knowledge("Dorset")
POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")
NO_ROUNDING = DisclosurePolicy(threshold=10, rounding_base=1, percentage_min_each_side=10, protection_level=5,
                               confidence_level="95")
SETTINGS = settings(max_examples=8, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

person = st.tuples(st.sampled_from(LOCALITIES), st.sampled_from(SEXES), st.sampled_from(GROUPS),
                   st.integers(min_value=1, max_value=4))


def population_cells(people: list[tuple[str, str, str, int]]) -> pl.DataFrame:
    """Cells of one statistic ("n") with the planted person and the recorded women and men around them."""
    people = [(loc, "Female" if (loc == "L1" and sex == "Not recorded") else sex, group, quarter)
              for loc, sex, group, quarter in people]
    people += [("L1", "Female", "A", 1)] * 10 + [("L1", "Male", "B", 2)] * 10
    people.append(("L1", "Not recorded", "C", 3))  # the planted unique person
    units = pl.DataFrame(
        {
            "measure": ["all"] * len(people),
            "locality": [p[0] for p in people],
            "sex": [p[1] for p in people],
            "group": [p[2] for p in people],
            "year": [YEAR] * len(people),
            "quarter": [f"{YEAR} Q{p[3]}" for p in people],
            "n": [True] * len(people),
        }
    )
    return count_population(units, table="t", measures=("all",), statistics=("n",), localities=LOCALITIES,
                            area="Dorset", years=(YEAR,), quarters=QUARTERS,
                            breakdowns={"sex": SEXES, "group": GROUPS})


def planted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("locality") == "L1", pl.col("period") == YEAR, pl.col("breakdown") == "sex",
                        pl.col("category") == "Not recorded")


@SETTINGS
@given(st.lists(person, min_size=5, max_size=60))
def test_without_secondary_suppression_the_attack_finds_the_planted_person(people) -> None:
    published = protect_publication(population_cells(people), [], NO_ROUNDING, knowledge=KNOWLEDGE,
                                     secondary=False)
    assert planted(published.filter(pl.col("kind") == "count"))["symbol"].item() == CONFIDENTIAL
    report = audit_published(published, NO_ROUNDING, knowledge=KNOWLEDGE)
    found = planted(report.cells)
    assert found.select("lower", "upper").row(0) == (1.0, 1.0)
    assert not report.ok


@SETTINGS
@given(st.lists(person, min_size=5, max_size=60))
def test_with_secondary_suppression_the_attack_fails_everywhere(people) -> None:
    cells = population_cells(people)
    for policy in (NO_ROUNDING, POLICY):
        published = protect_publication(cells, [], policy, knowledge=KNOWLEDGE)
        report = audit_published(published, policy, knowledge=KNOWLEDGE)
        assert report.ok, report.unsafe
        assert report.cells["width"].min() >= policy.protection_level
        assert planted(report.cells)["width"].item() >= policy.protection_level
        # no true value survives: every published count is a multiple of the base, or [c]
        counts = published.filter(pl.col("kind") == "count")
        assert (counts["value"].drop_nulls() % policy.rounding_base == 0).all()
        assert counts.filter(pl.col("value").is_between(1, policy.threshold - 1)).height == 0


@SETTINGS
@given(st.lists(person, min_size=5, max_size=60))
def test_the_same_people_get_the_same_published_value_in_every_view(people) -> None:
    published = protect_publication(population_cells(people), [], POLICY, knowledge=KNOWLEDGE)
    totals = published.filter(pl.col("kind") == "count", pl.col("category") == "All")
    views = totals.group_by("locality", "period").agg(
        pl.col("value").n_unique().alias("values"), pl.col("symbol").n_unique().alias("symbols"),
        pl.col("breakdown").n_unique().alias("breakdowns"))
    assert (views["breakdowns"] == 3).all()
    assert (views["values"] == 1).all() and (views["symbols"] == 1).all()
