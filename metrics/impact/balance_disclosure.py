"""What a reader can work out from the published SMDs of a yes/no covariate, and the check that stops it.

For a yes/no covariate the standardised mean difference (metrics.impact.balance) is a function of counts:
    smd_before = (k1/n1 - k0/n0) / s,  s = sqrt((v1 + v0) / 2),  v = k (n - k) / (n (n - 1))   (variances ddof=1)
    smd_after  = (km1 - km0) / (m s)                          (s from before matching, as balance.py does)
n1, n0, m: supported units, comparison units and matched pairs (published, rounded); k1, k0: units with the
covariate in each group, km1, km0: in the matched supported and comparison units. Those four counts are NOT
published. A reader knows the published SMDs (to SMD_DIGITS decimals), the rounded group sizes (each within its
rounding interval) and the rules: in each of the four groups at least percentage_min_each_side units have, and at
least that many do not have, the covariate (the SMD is [c] otherwise); the matched units are some of the supported
and comparison units; and with exact matching on a covariate km1 = km0.

`reader_ranges` lists what that reader can conclude: the smallest and largest value of each of the eight counts
(k and n - k in each group) over every combination consistent with what is published. `smd_publishable` allows the
SMDs only when every range is at least protection_level wide, the test a hidden count must pass (docs/disclosure.md).
Both use the published values alone, so whether an SMD is shown says nothing more about the true counts.

Exact for small groups (every combination is examined). For large groups a fixed subset of combinations (chosen
from the published values only) is examined: each one is checked against everything published, so the ranges
found are inside the reader's and a pass is still a proof; a fail only hides an SMD that may have been safe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_access.config import DisclosurePolicy
from metrics.disclosure import published_count_bounds, round_count

SMD_DIGITS = 2  # SMDs are published to 0.01: a love plot needs no more, and coarser values reveal less
_MAX_K1 = 400  # supported counts examined per pair of group sizes (all of them in groups up to this size)
_MAX_PAIRS = 20_000  # (k1, k0) combinations examined per pair of group sizes before taking a fixed subset
_QUICK_ROWS = 256  # (n1, n0, k1) rows examined by smd_publishable's first, quick look
COUNTS = ("supported_with", "supported_without", "comparison_with", "comparison_without",
          "matched_supported_with", "matched_supported_without", "matched_comparison_with",
          "matched_comparison_without")


@dataclass(frozen=True)
class PublishedBalance:
    """What a reader sees about one yes/no covariate: the rounded group sizes and the rounded SMDs."""

    supported: float
    comparison: float
    pairs: float
    smd_before: float
    smd_after: float
    exactly_matched: bool = False


def binary_smds(k1, n1, k0, n0, km1=None, km0=None, m=None) -> tuple[np.ndarray, np.ndarray | None]:
    """(smd_before, smd_after) of a yes/no covariate from its counts (broadcasting numpy arrays).

    The same arithmetic as metrics.impact.balance.standardised_mean_differences on 0/1 values (tested)."""
    k1, n1, k0, n0 = (np.asarray(x, dtype=np.float64) for x in (k1, n1, k0, n0))
    spread = _spread(k1, n1, k0, n0)
    with np.errstate(divide="ignore", invalid="ignore"):
        before = (k1 / n1 - k0 / n0) / spread
        after = None if m is None else (np.asarray(km1, dtype=np.float64) - np.asarray(km0, dtype=np.float64)) / (
            np.asarray(m, dtype=np.float64) * spread)
    return before, after


def _spread(k1: np.ndarray, n1, k0: np.ndarray, n0) -> np.ndarray:
    """sqrt((v1 + v0) / 2), each v the ddof=1 variance of a 0/1 covariate with k ones among n."""
    k1, n1, k0, n0 = (np.asarray(x, dtype=np.float64) for x in (k1, n1, k0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt((k1 * (n1 - k1) / (n1 * (n1 - 1.0)) + k0 * (n0 - k0) / (n0 * (n0 - 1.0))) / 2.0)


def rounded_smd(value) -> np.ndarray:
    return np.round(np.asarray(value, dtype=np.float64), SMD_DIGITS)


def _interval(published: float, policy: DisclosurePolicy) -> np.ndarray:
    low, high = published_count_bounds(published, policy)
    return np.arange(int(low), int(high) + 1)


def _first(predicate, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Per element, the first integer in [low, high] where a monotone (False..True) predicate holds; high + 1 if
    none (vectorised bisection)."""
    a, b = low.copy(), high + 1
    while np.any(a < b):
        active = a < b
        middle = (a + b) // 2
        holds = predicate(middle)
        b = np.where(active & holds, middle, b)
        a = np.where(active & ~holds, middle + 1, a)
    return a


def _before_candidates(sizes: list[tuple[int, int]], target: float, gate: int, *, quick: bool = False
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(n1, n0, k1, k0) whose smd_before rounds to the published value, every count within the gate: every one
    when the groups are small, else a fixed subset chosen from the published values (each one returned is checked).

    quick: at most _QUICK_ROWS evenly spaced (n1, n0, k1) rows, and of each row's run of k0 only its two ends and
    middle. Every candidate returned then is also one the full look returns (the rows are some of its rows, each
    row's run is found the same way, and the full look keeps either the whole run or those same three).
    """
    parts = []
    for n1, n0 in sizes:
        if n1 - 2 * gate < 0 or n0 - 2 * gate < 0:
            continue
        k1 = np.arange(gate, n1 - gate + 1)
        if k1.size > _MAX_K1:
            k1 = np.unique(np.round(np.linspace(gate, n1 - gate, _MAX_K1)).astype(np.int64))
        parts.append(np.column_stack([np.full(k1.size, n1), np.full(k1.size, n0), k1]))
    if not parts:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, empty
    n1, n0, k1 = np.concatenate(parts).T
    if quick:
        stride = -(-k1.size // _QUICK_ROWS)
        n1, n0, k1 = n1[::stride], n0[::stride], k1[::stride]

    def rounded(k0: np.ndarray) -> np.ndarray:
        return rounded_smd(binary_smds(k1, n1, k0, n0)[0])

    # smd_before falls as k0 rises, so the k0 that round to the target form one run per (n1, n0, k1).
    low, high = np.full(k1.shape, gate), n0 - gate
    first = _first(lambda k0: rounded(k0) <= target, low, high)
    last = _first(lambda k0: rounded(k0) < target, low, high) - 1
    found = first <= last
    n1, n0, k1, first, last = n1[found], n0[found], k1[found], first[found], last[found]
    lengths = last - first + 1
    if lengths.sum() <= _MAX_PAIRS and not quick:
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        n1, n0, k1, k0 = (np.repeat(x, lengths) for x in (n1, n0, k1, first))
        k0 = k0 + offsets
    else:
        n1, n0, k1 = (np.concatenate([x, x, x]) for x in (n1, n0, k1))
        k0 = np.concatenate([first, last, (first + last) // 2])
    keep = rounded_smd(binary_smds(k1, n1, k0, n0)[0]) == target
    return n1[keep], n0[keep], k1[keep], k0[keep]


def _after_steps(scale: np.ndarray, target: float) -> tuple[np.ndarray, np.ndarray]:
    """The run of differences D = km1 - km0 whose smd_after D / (m s) rounds to the published value: (first, last);
    first > last when there is none. scale = m s."""
    half = 0.5 * 10.0 ** -SMD_DIGITS

    def rounded(d: np.ndarray) -> np.ndarray:
        return rounded_smd(d / scale)

    first = np.ceil((target - half) * scale).astype(np.int64) - 2
    last = np.floor((target + half) * scale).astype(np.int64) + 2
    for _ in range(4):  # D / (m s) rounded is monotone in D: walk the ends onto the run
        first = np.where(rounded(first) < target, first + 1, first)
        last = np.where(rounded(last) > target, last - 1, last)
    empty = (rounded(first) != target) | (rounded(last) != target)
    return np.where(empty, 1, first), np.where(empty, 0, last)


def reader_ranges(published: PublishedBalance, policy: DisclosurePolicy, *, quick: bool = False
                  ) -> dict[str, tuple[int, int]] | None:
    """The reader's smallest and largest value of each count in COUNTS, from the published values alone.

    None when nothing examined is consistent with what is published (then nothing is proven). quick: from a fixed
    part of the combinations the full look examines (_before_candidates), so each range lies inside the full one."""
    gate = int(policy.percentage_min_each_side)
    sizes = [(int(n1), int(n0)) for n1 in _interval(published.supported, policy)
             for n0 in _interval(published.comparison, policy)]
    n1, n0, k1, k0 = _before_candidates(sizes, float(published.smd_before), gate, quick=quick)
    pair_sizes = _interval(published.pairs, policy)
    # every (n1, n0, k1, k0) with every possible number of pairs m
    n1, n0, k1, k0 = (np.repeat(x, pair_sizes.size) for x in (n1, n0, k1, k0))
    m = np.tile(pair_sizes, n1.size // max(pair_sizes.size, 1))
    # the matched units are some of the supported / comparison units, with the gate in each matched group
    a1, b1 = np.maximum(gate, m - (n1 - k1)), np.minimum(m - gate, k1)
    a0, b0 = np.maximum(gate, m - (n0 - k0)), np.minimum(m - gate, k0)
    first, last = _after_steps(m * _spread(k1, n1, k0, n0), float(published.smd_after))
    first, last = np.maximum(first, a1 - b0), np.minimum(last, b1 - a0)
    if published.exactly_matched:
        first, last = np.maximum(first, 0), np.minimum(last, 0)
    ok = (m <= np.minimum(n1, n0)) & (a1 <= b1) & (a0 <= b0) & (first <= last)
    if not ok.any():
        return None
    n1, n0, k1, k0, m, a1, b1, a0, b0, first, last = (
        x[ok] for x in (n1, n0, k1, k0, m, a1, b1, a0, b0, first, last))
    km1_low, km1_high = np.maximum(a1, a0 + first), np.minimum(b1, b0 + last)
    km0_low, km0_high = np.maximum(a0, a1 - last), np.minimum(b0, b1 - first)
    spans = {
        "supported_with": (k1, k1), "supported_without": (n1 - k1, n1 - k1),
        "comparison_with": (k0, k0), "comparison_without": (n0 - k0, n0 - k0),
        "matched_supported_with": (km1_low, km1_high), "matched_supported_without": (m - km1_high, m - km1_low),
        "matched_comparison_with": (km0_low, km0_high), "matched_comparison_without": (m - km0_high, m - km0_low),
    }
    return {name: (int(spans[name][0].min()), int(spans[name][1].max())) for name in COUNTS}


def smd_publishable(published: PublishedBalance, policy: DisclosurePolicy) -> bool:
    """True when no count of the covariate can be pinned down narrower than the protection level.

    A quick look at a fixed part of the combinations comes first: its ranges lie inside the full look's, so when
    they are already wide enough the full look would pass too, and the decision is the full look's either way (the
    full look costs about 20 ms per covariate, most of the publish step's balance check; the quick one about 3)."""
    for quick in (True, False):
        ranges = reader_ranges(published, policy, quick=quick)
        if ranges is not None and all(high - low >= policy.protection_level for low, high in ranges.values()):
            return True
    return False


def published_balance(k1: int, n1: int, k0: int, n0: int, km1: int, km0: int, m: int, policy: DisclosurePolicy,
                      exactly_matched: bool = False) -> PublishedBalance:
    """What would be published for these TRUE counts if the SMDs were shown (rounded sizes and SMDs)."""
    before, after = binary_smds(k1, n1, k0, n0, km1, km0, m)
    sizes = round_count(np.array([n1, n0, m]), policy)
    return PublishedBalance(float(sizes[0]), float(sizes[1]), float(sizes[2]), float(rounded_smd(before)),
                            float(rounded_smd(after)), exactly_matched)
