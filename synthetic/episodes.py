"""Who is supported, and the programme episode dates, teams and practitioners.

Support depends ONLY on observed covariates (number of eligibility needs, prior agency contacts and
deprivation decile), never on the latent vulnerability, so an analysis that adjusts for those covariates
can recover the planted effect while a naive comparison is confounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from data_access.config import Locality
from data_access.schema import COHORTS, COMPARISON_STATUSES
from synthetic import model
from synthetic.calendar import date_series, day_number
from synthetic.households import Families

EPISODE_ID_OFFSET = 1_000_000  # episode ids 1000001, 1000002, ... so they are never mistaken for family ids
NO_DATE = -1

ROUTE_SHARES = {"school": 0.30, "social_worker": 0.20, "health_visitor": 0.15, "family_partnership_zone": 0.15,
                "other": 0.20}
CLOSURE_REASON_SHARES = {"outcomes_achieved": 0.66, "stepped_up_to_social_care": 0.08, "disengaged": 0.13,
                         "moved_away": 0.06, "other": 0.07}
ASSESSMENT_AFTER_ATTACHMENT_DAYS = (14, 28)
PLAN_AFTER_ASSESSMENT_DAYS = (7, 21)
CLOSURE_AFTER_ATTACHMENT_DAYS = (190, 425)  # about 6 to 14 months
FOLLOW_UP_DAYS = 365
PRACTITIONERS_PER_TEAM = 8
RECENT_ELIGIBILITY_DAYS = 183
P_AWAITING_PLACE = (0.2, 0.7)  # (eligible earlier, eligible in the last 6 months)


@dataclass(frozen=True)
class Episodes:
    supported: np.ndarray
    index_day: np.ndarray  # attachment date (supported) or eligibility date (comparison)
    closure_day: np.ndarray  # NO_DATE when open or comparison
    n_needs: np.ndarray


def support_probability(n_needs: np.ndarray, prior_contacts: np.ndarray, deprivation_decile: np.ndarray
                        ) -> np.ndarray:
    """P(supported | observed covariates): the propensity score of this world."""
    log_odds = (
        model.SUPPORT_INTERCEPT
        + model.SUPPORT_PER_NEED * (n_needs - model.TYPICAL_NEEDS)
        + model.SUPPORT_PER_PRIOR_CONTACT * (prior_contacts - model.TYPICAL_PRIOR_CONTACTS)
        + model.SUPPORT_PER_DEPRIVATION_DECILE * (model.MIDPOINT_DECILE - deprivation_decile)
    )
    return 1 / (1 + np.exp(-log_odds))


def draw_episodes(rng: np.random.Generator, families: Families, n_needs: np.ndarray, data_as_of: date
                  ) -> Episodes:
    propensity = support_probability(n_needs, families.prior_contacts, families.deprivation_decile)
    supported = rng.random(families.count) < propensity
    index_day = np.where(supported, families.potential_attachment_day, families.eligibility_day)
    offset = rng.integers(CLOSURE_AFTER_ATTACHMENT_DAYS[0], CLOSURE_AFTER_ATTACHMENT_DAYS[1] + 1, families.count)
    # Never on the day of the 12-month follow-up, so a unit has at most one observation a day.
    closure_day = index_day + np.where(offset == FOLLOW_UP_DAYS, FOLLOW_UP_DAYS + 1, offset)
    closure_day = np.where(supported & (closure_day <= day_number(data_as_of)), closure_day, NO_DATE)
    return Episodes(supported=supported, index_day=index_day, closure_day=closure_day, n_needs=n_needs)


def teams(localities: tuple[Locality, ...]) -> list[tuple[int, str]]:
    """(locality index, team code) for every team: bigger localities have more teams, e.g. CHE-T1..CHE-T3."""
    result = []
    for index, locality in enumerate(localities):
        n_teams = 1 + (locality.relative_share >= 0.15) + (locality.relative_share >= 0.22)
        result.extend((index, f"{locality.code}-T{number}") for number in range(1, n_teams + 1))
    return result


def episode_frame(rng: np.random.Generator, families: Families, episodes: Episodes, localities: tuple[Locality, ...],
                  has_child_under_five: np.ndarray, data_as_of: date) -> pl.DataFrame:
    n = families.count
    as_of = day_number(data_as_of)
    supported = episodes.supported

    route_names = list(ROUTE_SHARES)
    route = rng.choice(len(route_names), size=n, p=np.array(list(ROUTE_SHARES.values())))
    health_visitor, other = route_names.index("health_visitor"), route_names.index("other")
    route = np.where((route == health_visitor) & ~has_child_under_five, other, route)

    all_teams = teams(localities)
    team_locality = np.array([locality for locality, _ in all_teams])
    team_codes = [code for _, code in all_teams]
    first_team = np.searchsorted(team_locality, np.arange(len(localities)))
    team_count = np.bincount(team_locality, minlength=len(localities))
    team = first_team[families.locality_index] + np.floor(
        rng.random(n) * team_count[families.locality_index]).astype(np.int64)
    practitioner = team * 20 + rng.integers(1, PRACTITIONERS_PER_TEAM + 1, n)

    assessment_day = episodes.index_day + rng.integers(ASSESSMENT_AFTER_ATTACHMENT_DAYS[0],
                                                       ASSESSMENT_AFTER_ATTACHMENT_DAYS[1] + 1, n)
    plan_day = assessment_day + rng.integers(PLAN_AFTER_ASSESSMENT_DAYS[0], PLAN_AFTER_ASSESSMENT_DAYS[1] + 1, n)
    reasons = list(CLOSURE_REASON_SHARES)
    closure_reason = rng.choice(len(reasons), size=n, p=np.array(list(CLOSURE_REASON_SHARES.values())))
    closed = episodes.closure_day != NO_DATE

    recent = as_of - families.eligibility_day <= RECENT_ELIGIBILITY_DAYS
    awaiting = rng.random(n) < np.where(recent, P_AWAITING_PLACE[1], P_AWAITING_PLACE[0])

    def where_supported(values: pl.Series, mask: np.ndarray) -> pl.Series:
        return values.zip_with(pl.Series(mask), pl.repeat(None, n, dtype=values.dtype, eager=True))

    return pl.DataFrame(
        {
            "episode_id": EPISODE_ID_OFFSET + families.family_id,
            "family_id": families.family_id,
            "cohort": pl.Series(COHORTS).gather(np.where(supported, 0, 1)),
            "eligibility_date": date_series("eligibility_date", families.eligibility_day),
            "attachment_date": date_series("attachment_date", episodes.index_day, present=supported),
            "route_into_support": pl.Series(route_names).gather(route),
            "team_code": where_supported(pl.Series(team_codes).gather(team), supported),
            "lead_practitioner_key": where_supported(
                pl.DataFrame({"p": practitioner}).select(
                    pl.format("LP{}", pl.col("p").cast(pl.String).str.zfill(4))).to_series(),
                supported),
            "assessment_date": date_series("assessment_date", assessment_day,
                                           present=supported & (assessment_day <= as_of)),
            "plan_date": date_series("plan_date", plan_day, present=supported & (plan_day <= as_of)),
            "closure_date": date_series("closure_date", episodes.closure_day, present=closed),
            "closure_reason": where_supported(pl.Series(reasons).gather(closure_reason), closed),
            "comparison_status": where_supported(
                pl.Series(COMPARISON_STATUSES).gather(np.where(awaiting, 0, 1)), ~supported),
            "prior_contacts": families.prior_contacts,
        }
    )
