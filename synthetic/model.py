"""The synthetic Dorset's model constants in one place: needs, persistence and the planted programme effects.

These are config-like tables kept in code on purpose: they describe the simulation, not the council,
and the tests and docs/synthetic-data.md refer to them. Measures present in config/measures.toml but
missing here get the DEFAULT_* values, so a council can edit the measure list without breaking the generator.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NeedModel:
    """How common a need is at baseline, how strongly it rises with vulnerability, and how persistent it is."""

    baseline_prevalence: float  # share of applicable units with the need at baseline (at average vulnerability)
    vulnerability_slope: float  # log-odds per standard deviation of latent vulnerability
    persistence_untreated: float  # P(still present at 12 months | untreated, average covariates)


NEED_MODELS: dict[str, NeedModel] = {
    "M01": NeedModel(0.30, 0.8, 0.50),  # domestic abuse incident
    "M02": NeedModel(0.14, 0.8, 0.55),  # anti-social behaviour
    "M03": NeedModel(0.25, 0.7, 0.50),  # police call-outs
    "M04": NeedModel(0.06, 0.9, 0.40),  # missing from home
    "M05": NeedModel(0.10, 1.0, 0.55),  # exploitation risk
    "M06": NeedModel(0.35, 0.6, 0.65),  # adult mental health need not met
    "M07": NeedModel(0.30, 0.6, 0.60),  # child emotional wellbeing
    "M08": NeedModel(0.14, 0.9, 0.70),  # harmful drug or alcohol use
    "M09": NeedModel(0.22, 0.7, 0.50),  # risk of eviction or homelessness
    "M10": NeedModel(0.40, 0.6, 0.65),  # rent or council tax arrears
    "M11": NeedModel(0.22, 0.4, 0.55),  # early years development
    "M12": NeedModel(0.45, 0.6, 0.60),  # parental conflict
}
DEFAULT_NEED_MODEL = NeedModel(0.20, 0.7, 0.60)

PLANTED_REDUCTION_PP: dict[str, float] = {
    "M01": 12.0,
    "M02": 10.0,
    "M03": 8.0,
    "M04": 10.0,
    "M05": 8.0,
    "M06": 15.0,
    "M07": 12.0,
    "M08": 6.0,
    "M09": 18.0,
    "M10": 20.0,
    "M11": 0.0,  # honest null: support does not change early years development in this world
    "M12": 15.0,
}
"""Planted programme effect at effect_scale 1: percentage points taken off P(need still present at 12 months)
for a supported unit with the need at baseline (before clipping probabilities to [0.01, 0.99])."""
DEFAULT_REDUCTION_PP = 10.0

# Persistence of a need (the outcome) on the log-odds scale: rises with latent vulnerability and with the
# observed prior agency contacts and number of eligibility needs (centred at typical values).
PERSISTENCE_PER_VULNERABILITY = 0.6
PERSISTENCE_PER_PRIOR_CONTACT = 0.08
PERSISTENCE_PER_NEED = 0.15
TYPICAL_PRIOR_CONTACTS = 3.0
TYPICAL_NEEDS = 4.0

# Being supported (rather than in the comparison group) depends ONLY on observed covariates, so adjusting for
# them recovers the effect: more needs, more prior contacts and more deprivation make support more likely.
SUPPORT_INTERCEPT = 0.38
SUPPORT_PER_NEED = 0.30
SUPPORT_PER_PRIOR_CONTACT = 0.10
SUPPORT_PER_DEPRIVATION_DECILE = 0.10  # per decile more deprived than 5.5
MIDPOINT_DECILE = 5.5

# Later observations are drawn given the 12-month status (present / not present), which carries the effect.
P_PRESENT_AT_REVIEW = (0.35, 0.85)  # (if gone at 12 months, if present at 12 months)
P_PRESENT_AT_CLOSURE = (0.12, 0.88)
P_PRESENT_AT_SUSTAINED_CHECK = (0.12, 0.85)  # recurrence after closure is possible

# Latent vulnerability: N(0, 1) plus this multiple of the locality's deprivation_shift.
VULNERABILITY_PER_LOCALITY_SHIFT = 0.25
# Deprivation decile: 4.5 - 1.2 * vulnerability - 0.8 * locality shift + N(0, 1.5), rounded into 1..10.
DECILE_CENTRE = 4.5
DECILE_PER_VULNERABILITY = 1.2
DECILE_PER_LOCALITY_SHIFT = 0.8
DECILE_NOISE_SD = 1.5
# Agency contacts in the 12 months before eligibility: Poisson with log-mean 1.0 + 0.5 * vulnerability.
PRIOR_CONTACTS_LOG_MEAN = 1.0
PRIOR_CONTACTS_PER_VULNERABILITY = 0.5


def need_model(measure_id: str) -> NeedModel:
    return NEED_MODELS.get(measure_id, DEFAULT_NEED_MODEL)


def planted_reduction_pp(measure_id: str) -> float:
    return PLANTED_REDUCTION_PP.get(measure_id, DEFAULT_REDUCTION_PP)
