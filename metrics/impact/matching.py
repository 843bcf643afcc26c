"""1:1 nearest-neighbour matching without replacement on the logit of the propensity score.

Rules (Austin 2011): a caliper of 0.2 x SD(logit) (a supported unit with no comparison unit that
close stays unmatched, and the share dropped is reported, because dropping them changes who the
estimate is about), and exact matching on strata (the cohort year) so a supported family is only
compared with a family that became eligible in the same financial year.

Algorithm (vectorised greedy, numpy only): strata are laid side by side on one line, far enough apart
that no caliper can bridge them. Each round, every unmatched supported unit finds its nearest still
available comparison unit by binary search in the sorted comparison scores; when several want the
same comparison unit the closest wins, the others try again next round. A supported unit whose
nearest available unit is beyond the caliper can never do better (the pool only shrinks), so it is
dropped at once. Every round matches at least one pair, so the loop ends.
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


def nearest_neighbour_match(
    logit: npt.ArrayLike,
    treated: npt.ArrayLike,
    strata: npt.ArrayLike | None = None,
    caliper: float | None = None,
) -> Matches:
    """Greedy 1:1 matching without replacement, within strata, inside the caliper (None = no caliper)."""
    logit = np.asarray(logit, dtype=np.float64)
    treated = np.asarray(treated, dtype=bool)
    limit = np.inf if caliper is None else float(caliper)
    codes = _stratum_codes(strata, logit.size)
    position = _positions_on_one_line(logit, codes, limit)
    treated_rows = np.flatnonzero(treated)
    control_rows = np.flatnonzero(~treated)
    order = np.argsort(position[control_rows], kind="stable")
    pool_rows = control_rows[order]
    pool = position[pool_rows]

    waiting = treated_rows
    matched_treated: list[IntArray] = []
    matched_control: list[IntArray] = []
    unmatched: list[IntArray] = []
    while waiting.size and pool.size:
        wanted = position[waiting]
        right = np.searchsorted(pool, wanted)
        left = right - 1
        gap_left = np.where(left >= 0, wanted - pool[np.maximum(left, 0)], np.inf)
        gap_right = np.where(right < pool.size, pool[np.minimum(right, pool.size - 1)] - wanted, np.inf)
        choice = np.where(gap_left <= gap_right, left, right)
        candidate = pool_rows[choice]
        # The caliper is checked on the unshifted logits (shifting strata apart must not change a distance).
        gap = np.abs(logit[waiting] - logit[candidate])
        usable = (gap <= limit) & (codes[waiting] == codes[candidate])
        unmatched.append(waiting[~usable])
        waiting, choice, gap = waiting[usable], choice[usable], gap[usable]
        if not waiting.size:
            break
        # Closest claimant first for each wanted comparison unit; ties go to the earlier row (deterministic).
        by_claim = np.lexsort((waiting, gap, choice))
        first = np.ones(by_claim.size, dtype=bool)
        first[1:] = choice[by_claim][1:] != choice[by_claim][:-1]
        winners = by_claim[first]
        matched_treated.append(waiting[winners])
        matched_control.append(pool_rows[choice[winners]])
        keep = np.ones(pool.size, dtype=bool)
        keep[choice[winners]] = False
        pool, pool_rows = pool[keep], pool_rows[keep]
        losers = np.ones(waiting.size, dtype=bool)
        losers[winners] = False
        waiting = waiting[losers]
    unmatched.append(waiting)
    return Matches(
        treated=_join(matched_treated),
        control=_join(matched_control),
        unmatched_treated=np.sort(_join(unmatched)),
    )


def _stratum_codes(strata: npt.ArrayLike | None, size: int) -> np.ndarray:
    if strata is None:
        return np.zeros(size, dtype=np.int64)
    return np.unique(np.asarray(strata), return_inverse=True)[1].astype(np.int64)


def _positions_on_one_line(logit: np.ndarray, codes: np.ndarray, caliper: float) -> np.ndarray:
    """Shift each stratum along the line so that a unit's nearest neighbours are always in its own stratum."""
    span = float(logit.max() - logit.min()) if logit.size else 0.0
    reach = caliper if np.isfinite(caliper) else span
    gap = 2.0 * (span + reach) + 1.0
    return logit + codes.astype(np.float64) * gap


def _join(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)
