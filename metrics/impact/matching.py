"""1:1 optimal matching without replacement on the logit of the propensity score, within strata, inside a caliper.

Rules (Austin 2011): a caliper of 0.2 x SD(logit) (a supported unit with no comparison unit that close stays
unmatched, and the share dropped is reported, because dropping them changes who the estimate is about), and exact
matching on strata (cohort year and locality) so a supported family is only compared with a family that became
eligible in the same financial year and lives in the same locality.

Optimal, not greedy: within each stratum the matching (1) has as many pairs inside the caliper as possible and
(2) among those, the smallest total squared distance between the logits of each pair. Its result does not depend
on the order of the rows (a greedy nearest-neighbour match does: whoever is matched first takes the closest
partner). With squared distances the optimum is unique unless two units have exactly the same logit; those ties are
broken by a stable key of each unit (e.g. episode and person ids), never by row position.

Algorithm: on a line, with a convex cost, some optimal matching never crosses (if a < b are matched to d < c,
swapping gives a-c, b-d no further apart, in total or at worst), so it is found by dynamic programming over the two
groups sorted by logit: score(i, j) = best over the first i units of the smaller group and the first j of the
larger, each step skipping a unit of either group or pairing the two (inside the caliper), with score = pairs x BIG
- total squared distance and BIG larger than any total distance, so a pair more always wins. O(n x m) per stratum,
one numpy pass per unit of the smaller group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

CALIPER_SD_MULTIPLE = 0.2


@dataclass(frozen=True)
class Matches:
    """Row positions of matched pairs (same length) and of supported units left unmatched."""

    treated: IntArray
    control: IntArray
    unmatched_treated: IntArray

    @property
    def n_pairs(self) -> int:
        return int(self.treated.size)

    @property
    def unmatched_share(self) -> float:
        total = self.treated.size + self.unmatched_treated.size
        return float(self.unmatched_treated.size / total) if total else float("nan")


def caliper_width(logit: npt.ArrayLike, multiple: float = CALIPER_SD_MULTIPLE) -> float:
    """0.2 x the standard deviation of the logit of the score over everyone in the analysis."""
    values = np.asarray(logit, dtype=np.float64)
    return float(multiple * values.std(ddof=1)) if values.size > 1 else 0.0


def optimal_match(
    logit: npt.ArrayLike,
    treated: npt.ArrayLike,
    strata: npt.ArrayLike | None = None,
    caliper: float | None = None,
    key: npt.ArrayLike | None = None,
) -> Matches:
    """Optimal 1:1 matching without replacement, within strata, inside the caliper (None = no caliper).

    key: a stable order of the units (any sortable values, one per row; e.g. a rank of episode and person ids)
    used only to break exact ties of logit; without it, ties fall back to row position.
    """
    logit = np.asarray(logit, dtype=np.float64)
    treated = np.asarray(treated, dtype=bool)
    codes = _stratum_codes(strata, logit.size)
    tie = np.arange(logit.size) if key is None else _ranks(key)
    order = np.lexsort((tie, logit))  # sorted by logit, ties by the stable key
    limit = np.inf if caliper is None else float(caliper)
    pairs_t: list[IntArray] = []
    pairs_c: list[IntArray] = []
    unmatched: list[IntArray] = []
    by_stratum = codes[order]
    for code in np.unique(codes):
        rows = order[by_stratum == code]
        t_rows, c_rows = rows[treated[rows]], rows[~treated[rows]]
        matched_t, matched_c = _match_sorted(logit, t_rows, c_rows, limit)
        pairs_t.append(matched_t)
        pairs_c.append(matched_c)
        unmatched.append(np.setdiff1d(t_rows, matched_t))
    treated_rows, control_rows = _join(pairs_t), _join(pairs_c)
    by_row = np.argsort(treated_rows, kind="stable")
    return Matches(treated=treated_rows[by_row], control=control_rows[by_row], unmatched_treated=np.sort(
        _join(unmatched)))


def _match_sorted(logit: np.ndarray, t_rows: IntArray, c_rows: IntArray, limit: float) -> tuple[IntArray, IntArray]:
    """The optimal pairs of one stratum, both groups already sorted by (logit, key)."""
    if not t_rows.size or not c_rows.size:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    swap = t_rows.size > c_rows.size  # the dynamic programme runs over the smaller group
    small, large = (c_rows, t_rows) if swap else (t_rows, c_rows)
    a, b = logit[small], logit[large]
    n, m = a.size, b.size
    reach = limit if np.isfinite(limit) else float(max(a.max(), b.max()) - min(a.min(), b.min()))
    big = n * reach * reach + 1.0  # more than any total squared distance of inside-caliper pairs
    # The band of partners inside the caliper, one wider each side: the caliper test is |b - a| <= limit itself
    # (a - limit can round differently from it).
    lows = np.maximum(np.searchsorted(b, a - limit, "left") - 1, 0)
    highs = np.minimum(np.searchsorted(b, a + limit, "right") + 1, m)
    score = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        # Row i = row i-1 (skip unit i of the smaller group), improved inside the band by a pair, then the running
        # maximum along the larger group (skip its units). Rows never decrease along j, so outside the band the
        # running maximum is simple: unchanged before it, max(previous row, band's last value) after it.
        prev, row = score[i - 1], score[i]
        low, high = int(lows[i - 1]), int(highs[i - 1])
        if high <= low:
            row[:] = prev
            continue
        row[:low + 1] = prev[:low + 1]
        gap = b[low:high] - a[i - 1]
        band = np.maximum(prev[low + 1:high + 1], prev[low:high] + np.where(np.abs(gap) <= limit, big - gap * gap,
                                                                             -np.inf))
        band[0] = max(band[0], prev[low])
        np.maximum.accumulate(band, out=band)
        row[low + 1:high + 1] = band
        np.maximum(prev[high + 1:], band[-1], out=row[high + 1:])
    picked_small, picked_large = [], []
    i, j = n, m
    while i > 0 and j > 0:
        if score[i, j] == score[i, j - 1]:
            j -= 1
        elif score[i, j] == score[i - 1, j]:
            i -= 1
        else:
            picked_small.append(small[i - 1])
            picked_large.append(large[j - 1])
            i, j = i - 1, j - 1
    s, lg = np.array(picked_small[::-1], dtype=np.int64), np.array(picked_large[::-1], dtype=np.int64)
    return (lg, s) if swap else (s, lg)


def _ranks(key: npt.ArrayLike) -> np.ndarray:
    """Each row's position in the order of `key` (1-d values, or 2-d: one column per key part, first part first)."""
    values = np.asarray(key)
    order = np.argsort(values, kind="stable") if values.ndim == 1 else np.lexsort(values.T[::-1])
    ranks = np.empty(order.size, dtype=np.int64)
    ranks[order] = np.arange(order.size)
    return ranks


def _stratum_codes(strata: npt.ArrayLike | None, size: int) -> np.ndarray:
    if strata is None:
        return np.zeros(size, dtype=np.int64)
    return np.unique(np.asarray(strata), return_inverse=True)[1].astype(np.int64).reshape(-1)


def _join(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)
