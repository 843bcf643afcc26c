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
- total squared distance and BIG larger than any total distance, so a pair more always wins. Only each unit's
caliper window of the table is kept and the programme is compiled (numba): O(n x window) time and memory per
stratum, strata side by side in threads. A window holds a fixed share of its stratum, so this is still quadratic in
a stratum's size (docs/benchmarks.md, "How it grows").
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

CALIPER_SD_MULTIPLE = 0.2
_MAX_THREADS = 4
_THREADS_FROM_UNITS = 20_000  # below this, matching takes milliseconds: threads would cost more than they save


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
    groups = []
    for code in np.unique(codes):
        rows = order[by_stratum == code]
        groups.append((rows[treated[rows]], rows[~treated[rows]]))
    # Strata are independent and the compiled programme releases the GIL: large ones run in threads side by side.
    workers = min(len(groups), os.cpu_count() or 1, _MAX_THREADS) if logit.size >= _THREADS_FROM_UNITS else 1
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        results = list(pool.map(lambda group: _match_sorted(logit, group[0], group[1], limit), groups))
    for (t_rows, _), (matched_t, matched_c) in zip(groups, results, strict=True):
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
    lows = np.maximum(np.searchsorted(b, a - limit, "left") - 1, 0).astype(np.int64)
    highs = np.minimum(np.searchsorted(b, a + limit, "right") + 1, m).astype(np.int64)
    picked_small, picked_large = _banded_optimum(a, b, lows, highs, float(limit), float(big))
    s, lg = small[picked_small], large[picked_large]
    return (lg, s) if swap else (s, lg)


@numba.njit(cache=True, nogil=True)
def _banded_optimum(a, b, lows, highs, limit, big):  # pragma: no cover - compiled; tested through optimal_match
    """score(i, j): the best of the first i units of the smaller group (a) and the first j of the larger (b).

    Row i = row i-1 (skip unit i), improved inside its band by a pair, then the running maximum along j (skip units
    of b). Rows never decrease along j, so row i equals row i-1 before its band and is one constant after it: only
    the band and that constant are kept, O(sum of band widths) instead of O(n x m) (the band is the caliper's window,
    a small share of the larger group). Returns the positions in a and in b of the optimal pairs.
    """
    n, m = a.size, b.size
    width = np.maximum(highs - lows, 0)
    start = np.zeros(n + 2, dtype=np.int64)
    for i in range(n):
        start[i + 2] = start[i + 1] + width[i]
    values = np.empty(start[n + 1])  # row i's band values (columns low+1 .. high) at start[i] ..
    tails = np.zeros(n + 1)  # row i's value from column high+1 on
    banded = np.zeros(n + 1, dtype=np.bool_)  # False: row i is row i-1 (no band)
    current = np.zeros(m + 1)  # the latest row, exact below tail_from; from there on it is tail_value
    tail_from, tail_value = 0, 0.0
    for i in range(1, n + 1):
        low, high = lows[i - 1], highs[i - 1]
        if high <= low:
            tails[i] = tail_value
            continue
        banded[i] = True
        for column in range(tail_from, high + 1):
            current[column] = tail_value
        tail_from = max(tail_from, high + 1)
        left = current[low]  # the previous row's value one column to the left
        running = left
        position = start[i]
        for column in range(low + 1, high + 1):
            above = current[column]
            value = above
            gap = b[column - 1] - a[i - 1]
            if abs(gap) <= limit:
                paired = left + (big - gap * gap)
                if paired > value:
                    value = paired
            if value > running:
                running = value
            current[column] = running
            values[position] = running
            position += 1
            left = above
        tail_value = max(tail_value, running)
        tails[i] = tail_value
    # The rows that have a band, in order, and their lows (never decreasing: a is sorted).
    band_rows = np.nonzero(banded)[0]
    band_lows = lows[band_rows - 1]
    bands_up_to = np.cumsum(banded.astype(np.int64))  # number of banded rows among 1..i

    def score(i, j):
        # The latest banded row r <= i whose band starts left of j holds score(i, j); before any, it is 0.
        count = np.searchsorted(band_lows[:bands_up_to[i]], j)
        if count == 0:
            return 0.0
        r = band_rows[count - 1]
        if j > highs[r - 1]:
            return tails[r]
        return values[start[r] + j - lows[r - 1] - 1]

    picked_a = np.empty(min(n, m), dtype=np.int64)
    picked_b = np.empty(min(n, m), dtype=np.int64)
    pairs = 0
    i, j = n, m
    while i > 0 and j > 0:
        here = score(i, j)
        if here == score(i, j - 1):
            j -= 1
        elif here == score(i - 1, j):
            i -= 1
        else:
            picked_a[pairs] = i - 1
            picked_b[pairs] = j - 1
            pairs += 1
            i, j = i - 1, j - 1
    return picked_a[:pairs][::-1].copy(), picked_b[:pairs][::-1].copy()


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
