"""The published figures of a seeded synthetic world, recomputed from its linked tables by independent code.

Progress is recomputed here in plain Python from the rules as written in docs/architecture.md ("Key dates"), not
with metrics.progress; intervals and trends use statsmodels. Every published count must be the rounded true count
(or [c]), every percentage the ratio of the published counts, every interval statsmodels' Wilson interval of them,
every Dorset trend what statsmodels' Cochran-Armitage statistic and a weighted least-squares slope give over the
last five complete, non-maturing years, and every pooled count the sum of its years.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.proportion import proportion_confint

from data_access.config import benchmark_name, load_disclosure_policy, load_measures
from data_access.linked_reads import linked_data_from_frames
from metrics import stats
from metrics.disclosure import protect_publication_report, round_count
from metrics.maturity import maturity_rows
from metrics.true_cells import PERCENT_SPECS
from synthetic.world import generate_world
from tests.shipped_config import KNOWLEDGE, shipped_true_cells

POLICY = load_disclosure_policy()
AREA = benchmark_name()


def _financial_year(day: date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _latest(observations: list[tuple[date, bool]], after: date, until: date, *, inclusive_start: bool = False):
    """Need present at the latest observation in (after, until] (or [after, until]); same day: present wins."""
    inside = [(day, present) for day, present in observations
              if (after <= day if inclusive_start else after < day) and day <= until]
    if not inside:
        return None
    last = max(day for day, _ in inside)
    return any(present for day, present in inside if day == last)


def independent_counts(tables: dict[str, pl.DataFrame]) -> tuple[dict, dict]:
    """True counts {(measure, locality, year, statistic): n} and family outcomes {(locality, year, statistic): n}."""
    as_of = date.fromisoformat(tables["dataset_info"].filter(pl.col("key") == "data_as_of")["value"].item())
    names = dict(tables["locality"].select("locality_code", "locality_name").iter_rows())
    locality = {family: names[code]
                for family, code in tables["family"].select("family_id", "locality_code").iter_rows()}
    born = dict(tables["person_identifier"].select("person_id", "date_of_birth").iter_rows())
    measures = {m.id: m for m in load_measures().measures}
    observed: dict[tuple, list] = defaultdict(list)
    for measure, family, person, day, present in tables["need_observation"].select(
            "measure_id", "family_id", "person_id", "observed_on", "need_present").iter_rows():
        observed[(family, person, measure)].append((day, present))
    by_family: dict[int, list] = defaultdict(list)
    for key in observed:
        by_family[key[0]].append(key)
    counts: dict[tuple, int] = defaultdict(int)
    families: dict[tuple, int] = defaultdict(int)
    for episode in tables["programme_episode"].filter(pl.col("cohort") == "supported").iter_rows(named=True):
        index, closure, family = episode["attachment_date"], episode["closure_date"], episode["family_id"]
        year, place = _financial_year(index), locality[family]
        due = closure is not None and closure + timedelta(days=183) <= as_of
        unit_sustained = []
        for key in by_family[family]:
            _, person, measure_id = key
            history = observed[key]
            if not _latest(history, index - timedelta(days=183), index, inclusive_start=True):
                continue
            measure = measures[measure_id]
            if person is not None and born.get(person) is not None and not (
                    measure.min_age <= _age(born[person], index) <= measure.max_age):
                continue
            review = index + timedelta(days=182)
            follow_up = closure if closure is not None and closure < review else review
            status = _latest(history, index, follow_up)
            reviewed = follow_up <= as_of and status is not None
            improved = reviewed and status is False
            sustained = False
            if due:
                after = [present for day, present in history if closure < day <= closure + timedelta(days=183)]
                sustained = improved and _latest(history, index, closure) is False and bool(after) and not any(after)
                unit_sustained.append(sustained)
            flags = {"with_need": True, "reviewed": reviewed, "improved": improved, "due_sustain_check": due,
                     "sustained": sustained}
            for statistic, flag in flags.items():
                if flag:
                    for where in (place, AREA):
                        counts[(measure_id, where, year, statistic)] += 1
        if unit_sustained:
            for where in (place, AREA):
                families[(where, year, "families_due")] += 1
                families[(where, year, "successful_families")] += all(unit_sustained)
    return counts, families


# Both fixtures protect a whole publication (about two minutes on a busy 2-core machine): CI runs these.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world_and_publication():
    world = generate_world(700, 31)
    linked = linked_data_from_frames(world.tables)
    report = protect_publication_report(
        shipped_true_cells(linked), PERCENT_SPECS, POLICY,
        knowledge=KNOWLEDGE, cohort_maturity=lambda counts: maturity_rows(counts, AREA, linked.data_as_of))
    return world, report.published


@pytest.fixture(scope="module")
def larger_publication():
    """A larger world, without breakdowns (so that protecting it stays quick): enough units for Dorset trends."""
    world = generate_world(4000, 32)
    linked = linked_data_from_frames(world.tables)
    cells = shipped_true_cells(linked).filter(pl.col("breakdown") == "none", pl.col("table") != "families")
    return protect_publication_report(
        cells, PERCENT_SPECS, POLICY, knowledge=KNOWLEDGE,
        cohort_maturity=lambda counts: maturity_rows(counts, AREA, linked.data_as_of)).published


def _pooled_members(period: str) -> list[str]:
    first, last = int(period[:4]), int(period[8:12])
    return [f"{year}/{(year + 1) % 100:02d}" for year in range(first, last + 1)]


def test_every_published_count_is_the_rounded_independent_count(world_and_publication):
    world, published = world_and_publication
    counts, families = independent_counts(world.tables)
    rows = published.filter(pl.col("kind") == "count", pl.col("breakdown") == "none",
                            pl.col("table").is_in(["measure_progress", "family_outcomes"]),
                            ~pl.col("period").str.contains(" Q"))
    checked = 0
    for row in rows.iter_rows(named=True):
        years = _pooled_members(row["period"]) if "-" in row["period"] else [row["period"]]
        if row["table"] == "measure_progress":
            truth = sum(counts.get((row["measure"], row["locality"], year, row["statistic"]), 0) for year in years)
        else:
            truth = sum(families.get((row["locality"], year, row["statistic"]), 0) for year in years)
        if row["symbol"] == "[c]":
            continue
        assert row["value"] == float(round_count(truth, POLICY)), row
        checked += 1
    assert checked > 500


def test_percentages_and_intervals_come_from_the_published_counts(world_and_publication):
    _, published = world_and_publication
    counts = published.filter(pl.col("kind") == "count")
    keys = ["table", "measure", "locality", "period", "breakdown", "category"]
    wide = published.filter(pl.col("kind").is_in(["percent", "ci_lower", "ci_upper"]), pl.col("value").is_not_null())
    wide = wide.pivot(on="kind", index=[*keys, "statistic", "numerator", "denominator"], values="value",
                      aggregate_function="first")
    wide = wide.join(counts.select(*keys, numerator="statistic", x="value"), on=[*keys, "numerator"]).join(
        counts.select(*keys, denominator="statistic", n="value"), on=[*keys, "denominator"])
    assert wide.height > 200
    x, n = wide["x"].to_numpy(), wide["n"].to_numpy()
    assert np.allclose(wide["percent"].to_numpy(), np.round(100 * x / n, 1))
    alpha = {"95": 0.05, "99.8": 0.002}[POLICY.confidence_level]
    lower, upper = proportion_confint(x, n, alpha=alpha, method="wilson")
    assert np.abs(wide["ci_lower"].to_numpy() - np.round(100 * lower, 1)).max() <= 0.1 + 1e-9
    assert np.abs(wide["ci_upper"].to_numpy() - np.round(100 * upper, 1)).max() <= 0.1 + 1e-9


def _independent_trend(numerators: list[float], denominators: list[float], polarity: str) -> str:
    x = np.arange(1.0, 6.0)
    o, n = np.array(numerators), np.array(denominators)
    table = np.column_stack([n - o, o])
    z = Table(table, shift_zeros=False).test_ordinal_association(row_scores=x, col_scores=np.array([0.0, 1.0])).zscore
    chi_square = float(z) ** 2 * n.sum() / (n.sum() - 1)

    def slope(keep: np.ndarray) -> float:
        return float(np.polyfit(x[keep], o[keep] / n[keep], 1, w=np.sqrt(n[keep]))[0])

    sign = np.sign(slope(np.ones(5, dtype=bool)))
    steady = all(np.sign(slope(np.arange(5) != i)) == sign for i in range(5))
    if not (chi_square > 9.5495 and steady and sign != 0):
        return stats.TREND_NO_CHANGE
    rising = sign > 0
    better = rising == (polarity == stats.HIGHER_IS_BETTER)
    return f"{'increasing' if rising else 'decreasing'} and getting {'better' if better else 'worse'}"


@pytest.mark.parametrize("source", ["world_and_publication", "larger_publication"])
def test_dorset_trends_over_the_last_five_complete_years(source, request):
    published = request.getfixturevalue(source)
    published = published[1] if isinstance(published, tuple) else published
    maturity = published.filter(pl.col("table") == "cohort_maturity", pl.col("kind") == "maturity")
    complete = {(r["category"], r["statistic"], r["period"]) for r in maturity.iter_rows(named=True)
                if r["symbol"] == "complete"}
    percents = published.filter(pl.col("kind") == "percent", pl.col("locality") == AREA, pl.col("breakdown") == "none",
                                pl.col("period").str.contains(r"^\d{4}/\d{2}$"))
    counts = published.filter(pl.col("kind") == "count", pl.col("locality") == AREA, pl.col("breakdown") == "none")
    value = {(r["table"], r["measure"], r["period"], r["statistic"]): r["value"] for r in counts.iter_rows(named=True)}
    trends = published.filter(pl.col("kind") == "trend", pl.col("locality") == AREA)
    calculated = 0
    for trend in trends.iter_rows(named=True):
        table, statistic, measure = trend["table"], trend["statistic"], trend["measure"]
        years = sorted(r["period"] for r in percents.filter(pl.col("table") == table, pl.col("measure") == measure,
                                                            pl.col("statistic") == statistic).iter_rows(named=True)
                       if (table, statistic, r["period"]) in complete)[-5:]
        shown = {r["period"]: r["value"] for r in percents.filter(
            pl.col("table") == table, pl.col("measure") == measure, pl.col("statistic") == statistic).iter_rows(
            named=True)}
        if len(years) < 5 or any(shown[year] is None for year in years):
            assert trend["symbol"] == stats.TREND_CANNOT, trend
            continue
        numerators = [value[(table, measure, year, trend["numerator"])] for year in years]
        denominators = [value[(table, measure, year, trend["denominator"])] for year in years]
        assert trend["symbol"] == _independent_trend(numerators, denominators, stats.HIGHER_IS_BETTER), trend
        calculated += 1
    if source == "larger_publication":
        assert calculated >= 3, "six complete years of history: some trends must be calculated"
