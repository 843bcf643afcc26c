"""Inverting a published SMD: which covariate counts can a reader work out from it?

For a yes/no covariate the reader knows the published SMDs (before and after matching, at their published
precision), the rounded group sizes (supported, comparison, matched pairs) and the rules (at least 10 units with
and 10 without the covariate in each group, or the SMD is [c]; matched units are some of the group's units;
exact matching on cohort year gives equal counts in the pairs). `brute_force_ranges` lists EVERY combination of
group sizes and covariate counts consistent with that, by enumeration, and returns the range of each of the eight
unpublished counts. The old rule (the percentage rule alone, SMDs to 0.001) lets a reader pin counts of planted
small populations down; the rule now used (smd_publishable) never publishes an SMD whose counts a reader can pin
down narrower than the protection level.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_access.config import DisclosurePolicy, load_disclosure_policy
from metrics.disclosure import percent_publishable, published_count_bounds
from metrics.impact import balance_disclosure, balance_rows, impact_inputs
from metrics.impact.balance import standardised_mean_differences
from metrics.impact.balance_disclosure import (
    COUNTS,
    SMD_DIGITS,
    PublishedBalance,
    binary_smds,
    published_balance,
    reader_ranges,
    smd_publishable,
)
from metrics.impact.matching import Matches
from synthetic.world import generate_world
from tests.shipped_config import shipped_impact

POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")
OLD_DIGITS = 3


def brute_force_ranges(published: PublishedBalance, policy: DisclosurePolicy, digits: int = SMD_DIGITS,
                       ) -> dict[str, tuple[int, int]]:
    """Every (n1, n0, m, k1, k0, km1, km0) consistent with the published values and rules, by enumeration:
    the range of each unpublished count (k and n - k in each of the four groups)."""
    gate = policy.percentage_min_each_side

    def sizes(value: float) -> range:
        low, high = published_count_bounds(value, policy)
        return range(int(low), int(high) + 1)

    found: dict[str, list[int]] = {name: [] for name in COUNTS}
    for n1 in sizes(published.supported):
        for n0 in sizes(published.comparison):
            k1, k0 = np.meshgrid(np.arange(n1 + 1), np.arange(n0 + 1), indexing="ij")
            k1, k0 = k1.ravel(), k0.ravel()
            before, _ = binary_smds(k1, n1, k0, n0)
            keep = ((k1 >= gate) & (n1 - k1 >= gate) & (k0 >= gate) & (n0 - k0 >= gate)
                    & (np.round(before, digits) == published.smd_before))
            for a, b in zip(k1[keep], k0[keep], strict=True):
                for m in sizes(published.pairs):
                    km1, km0 = np.meshgrid(np.arange(m + 1), np.arange(m + 1), indexing="ij")
                    km1, km0 = km1.ravel(), km0.ravel()
                    _, after = binary_smds(a, n1, b, n0, km1, km0, m)
                    ok = ((m <= min(n1, n0)) & (km1 >= gate) & (m - km1 >= gate) & (km0 >= gate) & (m - km0 >= gate)
                          & (km1 <= a) & (m - km1 <= n1 - a) & (km0 <= b) & (m - km0 <= n0 - b)
                          & (np.round(after, digits) == published.smd_after))
                    if published.exactly_matched:
                        ok &= km1 == km0
                    if not ok.any():
                        continue
                    for name, values in (("supported_with", [a]), ("supported_without", [n1 - a]),
                                         ("comparison_with", [b]), ("comparison_without", [n0 - b]),
                                         ("matched_supported_with", km1[ok]),
                                         ("matched_supported_without", m - km1[ok]),
                                         ("matched_comparison_with", km0[ok]),
                                         ("matched_comparison_without", m - km0[ok])):
                        found[name].extend(int(v) for v in values)
    return {name: (min(values), max(values)) for name, values in found.items()}


def narrowest(ranges: dict[str, tuple[int, int]]) -> int:
    return min(high - low for low, high in ranges.values())


def old_rule_publication(k1, n1, k0, n0, km1, km0, m, policy=POLICY) -> PublishedBalance | None:
    """The rule before this change: the percentage rule in each group, SMDs to 0.001."""
    groups = [(k1, n1), (k0, n0), (km1, m), (km0, m)]
    if not all(percent_publishable(k, n, policy) for k, n in groups):
        return None
    before, after = binary_smds(k1, n1, k0, n0, km1, km0, m)
    shown = published_balance(k1, n1, k0, n0, km1, km0, m, policy)
    return PublishedBalance(shown.supported, shown.comparison, shown.pairs, float(np.round(before, OLD_DIGITS)),
                            float(np.round(after, OLD_DIGITS)))


def new_rule_publication(k1, n1, k0, n0, km1, km0, m, exactly_matched=False, policy=POLICY
                         ) -> PublishedBalance | None:
    groups = [(k1, n1), (k0, n0), (km1, m), (km0, m)]
    if not all(percent_publishable(k, n, policy) for k, n in groups):
        return None
    shown = published_balance(k1, n1, k0, n0, km1, km0, m, policy, exactly_matched)
    return shown if smd_publishable(shown, policy) else None


# Planted small populations: (k1, n1, k0, n0, km1, km0, m).
SMALL_SUPPORTED_GROUP = (11, 21, 25, 60, 10, 10, 20)  # 21 supported: "10 on each side" leaves k1 in 10..12
CORNER = (70, 80, 10, 80, 30, 10, 40)  # every comparison unit but 10 lacks it, every supported unit but 10 has it


def test_the_closed_form_is_the_smd_the_analysis_computes() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        n1, n0 = rng.integers(20, 200, 2)
        k1, k0 = rng.integers(1, n1), rng.integers(1, n0)
        values = np.r_[np.ones(k1), np.zeros(n1 - k1), np.ones(k0), np.zeros(n0 - k0)]
        treated = np.r_[np.ones(n1, bool), np.zeros(n0, bool)]
        m = int(rng.integers(1, min(n1, n0)))
        pairs = Matches(treated=rng.choice(n1, m, replace=False), control=n1 + rng.choice(n0, m, replace=False),
                        unmatched_treated=np.zeros(0, np.int64))
        before, after = standardised_mean_differences(values, treated, pairs)
        km1, km0 = values[pairs.treated].sum(), values[pairs.control].sum()
        closed_before, closed_after = binary_smds(k1, n1, k0, n0, km1, km0, m)
        assert closed_before == pytest.approx(before[0], rel=1e-12)
        assert closed_after == pytest.approx(after[0], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("population", [SMALL_SUPPORTED_GROUP, CORNER], ids=["small-group", "corner"])
def test_the_old_rule_lets_a_reader_pin_counts_down(population) -> None:
    published = old_rule_publication(*population)
    assert published is not None, "the old rule published these SMDs"
    ranges = brute_force_ranges(published, POLICY, OLD_DIGITS)
    k1, n1, k0, n0, km1, km0, m = population
    truth = {"supported_with": k1, "supported_without": n1 - k1, "comparison_with": k0,
             "comparison_without": n0 - k0, "matched_supported_with": km1, "matched_supported_without": m - km1,
             "matched_comparison_with": km0, "matched_comparison_without": m - km0}
    assert all(low <= truth[name] <= high for name, (low, high) in ranges.items())  # the truth is consistent
    assert narrowest(ranges) < POLICY.protection_level


@pytest.mark.parametrize("population", [SMALL_SUPPORTED_GROUP, CORNER], ids=["small-group", "corner"])
def test_the_rule_hides_the_planted_populations(population) -> None:
    assert new_rule_publication(*population) is None


def test_the_rule_still_publishes_where_the_counts_stay_uncertain() -> None:
    population = (20, 45, 22, 45, 18, 19, 40)
    published = new_rule_publication(*population)
    assert published is not None
    assert narrowest(brute_force_ranges(published, POLICY)) >= POLICY.protection_level


@st.composite
def populations(draw, smallest: int = 20, largest: int = 56):
    """(k1, n1, k0, n0, km1, km0, m, exactly_matched) of a real matching: the pairs' units are units of the groups
    (km1 <= k1 and m - km1 <= n1 - k1, the same for the comparison group); exactly matched means km1 = km0."""
    n1, n0 = draw(st.integers(smallest, largest)), draw(st.integers(smallest, largest))
    k1, k0 = draw(st.integers(10, n1 - 10)), draw(st.integers(10, n0 - 10))
    m = draw(st.integers(20, min(n1, n0)))
    # mostly within the percentage rule (10 on each side in the pairs too), where an SMD may be published
    low1, high1 = max(10, m - (n1 - k1)), min(m - 10, k1)
    low0, high0 = max(10, m - (n0 - k0)), min(m - 10, k0)
    if low1 > high1 or low0 > high0 or draw(st.integers(0, 9)) == 0:
        low1, high1 = max(0, m - (n1 - k1)), min(m, k1)
        low0, high0 = max(0, m - (n0 - k0)), min(m, k0)
    exactly_matched = draw(st.booleans()) and max(low1, low0) <= min(high1, high0)
    if exactly_matched:
        km1 = km0 = draw(st.integers(max(low1, low0), min(high1, high0)))
    else:
        km1, km0 = draw(st.integers(low1, high1)), draw(st.integers(low0, high0))
    return k1, n1, k0, n0, km1, km0, m, exactly_matched


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_published_smds_never_pin_a_count_down(population) -> None:
    """The rule's own reckoning equals the brute-force reader's in small groups, and passes the protection level."""
    k1, n1, k0, n0, km1, km0, m, exactly_matched = population
    if not all(percent_publishable(k, n, POLICY) for k, n in [(k1, n1), (k0, n0), (km1, m), (km0, m)]):
        return
    shown = published_balance(k1, n1, k0, n0, km1, km0, m, POLICY, exactly_matched)
    brute = brute_force_ranges(shown, POLICY)
    assert reader_ranges(shown, POLICY) == brute
    if smd_publishable(shown, POLICY):
        assert narrowest(brute) >= POLICY.protection_level


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_the_subset_used_for_large_groups_stays_inside_the_readers_ranges(population) -> None:
    """In large groups the rule examines a fixed subset of combinations: its ranges must lie inside the reader's
    (so a pass is still a proof). Forced here on small groups, where the brute force is affordable."""
    k1, n1, k0, n0, km1, km0, m, exactly_matched = population
    if not all(percent_publishable(k, n, POLICY) for k, n in [(k1, n1), (k0, n0), (km1, m), (km0, m)]):
        return
    shown = published_balance(k1, n1, k0, n0, km1, km0, m, POLICY, exactly_matched)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(balance_disclosure, "_MAX_K1", 4)
        patch.setattr(balance_disclosure, "_MAX_PAIRS", 6)
        subset = reader_ranges(shown, POLICY)
    brute = brute_force_ranges(shown, POLICY)
    if subset is not None:
        assert all(brute[name][0] <= low <= high <= brute[name][1] for name, (low, high) in subset.items())


def full_look_publishable(shown: PublishedBalance, policy: DisclosurePolicy = POLICY) -> bool:
    ranges = reader_ranges(shown, policy)
    return ranges is not None and narrowest(ranges) >= policy.protection_level


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(populations(), populations(200, 3000)))
def test_the_quick_look_stays_inside_the_full_look_and_decides_the_same(population) -> None:
    """smd_publishable looks at a fixed part of the combinations first (quick) and passes on it alone when its ranges
    are wide enough: that is a proof only if every quick range lies inside the full look's, and then the decision is
    the full look's. Small groups (the quick look takes every 4th row or so) and large ones (the fixed subsets)."""
    k1, n1, k0, n0, km1, km0, m, exactly_matched = population
    if not all(percent_publishable(k, n, POLICY) for k, n in [(k1, n1), (k0, n0), (km1, m), (km0, m)]):
        return
    shown = published_balance(k1, n1, k0, n0, km1, km0, m, POLICY, exactly_matched)
    quick, full = reader_ranges(shown, POLICY, quick=True), reader_ranges(shown, POLICY)
    if quick is not None:
        assert full is not None
        assert all(full[name][0] <= low <= high <= full[name][1] for name, (low, high) in quick.items())
    assert smd_publishable(shown, POLICY) == full_look_publishable(shown)


def test_the_quick_look_alone_decides_most_large_groups() -> None:
    """The point of the quick look: in groups the size of the demo's (hundreds of units) it already proves the
    SMDs publishable, so the full look is not needed. Counted, not timed."""
    rng = np.random.default_rng(5)
    decided = shown_count = 0
    for _ in range(30):
        n1, n0 = (int(x) for x in rng.integers(300, 1500, size=2))
        k1, k0 = int(rng.integers(60, n1 - 60)), int(rng.integers(60, n0 - 60))
        m = min(n1, n0) // 2
        km1, km0 = min(k1, m // 2), min(k0, m // 2)
        shown = published_balance(k1, n1, k0, n0, km1, km0, m, POLICY)
        if not full_look_publishable(shown):
            continue
        shown_count += 1
        quick = reader_ranges(shown, POLICY, quick=True)
        decided += quick is not None and narrowest(quick) >= POLICY.protection_level
    assert shown_count >= 20
    assert decided >= 0.8 * shown_count  # 28 of 30 when written


def test_balance_rows_publish_only_smds_that_pass_the_check() -> None:
    policy = load_disclosure_policy()
    results = shipped_impact(impact_inputs(generate_world(1500, 11)))
    rows = balance_rows(results, policy)
    shown = rows.filter(pl.col("symbol").is_null())
    assert (shown["smd_before"].round(SMD_DIGITS) == shown["smd_before"]).all()
    assert rows.filter(pl.col("covariate").str.starts_with("locality: "))["symbol"].eq("[c]").all()
    checked = 0
    for outcome in results.outcomes:
        analysis = outcome.analysis
        if analysis is None:
            continue
        raw, treated, matches = analysis.design.raw, analysis.treated, analysis.matches
        for index, name in enumerate(analysis.design.raw_names):
            column = raw[:, index]
            if not np.all((column == 0) | (column == 1)):
                continue
            row = rows.filter(pl.col("measure") == outcome.outcome_id, pl.col("covariate") == name)
            if row["symbol"].item() is not None:
                continue
            counts = (int(column[treated].sum()), int(treated.sum()), int(column[~treated].sum()),
                      int((~treated).sum()), int(column[matches.treated].sum()), int(column[matches.control].sum()),
                      matches.n_pairs)
            published = published_balance(*counts, policy, exactly_matched=name.startswith("cohort_year: "))
            assert (row["smd_before"].item(), row["smd_after"].item()) == (published.smd_before, published.smd_after)
            assert smd_publishable(published, policy)
            checked += 1
    assert checked > 20, "the rule still shows most balance figures of a 1,500-family world"
