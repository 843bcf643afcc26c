"""The published vocabulary, declared once: every table, statistic, kind, symbol and fact a publication may hold.

Why one declaration: the published schema's column types and lengths derive from it (data_access/published_schema.py),
so a value the publish step writes always fits the column on every database, and the publish step refuses a value
that is not declared here, naming it, before it writes anything (metrics/publish.py). PostgreSQL enforces lengths;
SQLite does not, so without this a publication that works on SQLite failed on PostgreSQL after minutes of computing.

Columns whose values come from council configuration (measures, localities, periods, breakdowns and their
categories) are open: stored as unbounded text. Everything else is closed and declared below. To publish something
new, add it here (and to docs/published-tables.md). Standard library only: the web tier imports this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# --- symbols -------------------------------------------------------------------------------------------------

CONFIDENTIAL, NOT_AVAILABLE, NOT_APPLICABLE = "[c]", "[x]", "[z]"
GSS_SYMBOLS: tuple[str, ...] = (CONFIDENTIAL, NOT_AVAILABLE, NOT_APPLICABLE)
"""Government Statistical Service symbols for a value that is not shown (the same as metrics.disclosure's)."""

COMPARISON_LABELS: tuple[str, ...] = (
    "better (99.8%)", "better (95%)", "better", "similar", "worse", "worse (95%)", "worse (99.8%)",
    "higher (99.8%)", "higher (95%)", "higher", "lower", "lower (95%)", "lower (99.8%)",
    "not compared", "not compared (maturing)", "not compared (rounding)",
)  # fmt: skip
"""Every label of a comparison with the benchmark (metrics.stats.COMPARISON_LABELS and metrics.comparisons'
maturing and rounding refusals; a test keeps them so)."""

LOW_RELIABILITY = "[u]"
"""GSS symbol for a low-reliability figure: on a percentage's max_error row (metrics.reliability)."""

MATURITY_LABELS: tuple[str, ...] = ("complete", "maturing")
"""A cohort's maturity (metrics.maturity.STATUSES; a test keeps it so)."""

TREND_LABELS: tuple[str, ...] = (
    "increasing and getting better", "increasing and getting worse", "decreasing and getting better",
    "decreasing and getting worse", "increasing", "decreasing", "no significant change", "cannot be calculated",
)  # fmt: skip
"""Every trend label (equal to metrics.stats.TREND_LABELS; a test keeps it so)."""

# --- kinds -----------------------------------------------------------------------------------------------------

KINDS: dict[str, str] = {
    "count": "a number of units (rounded)",
    "percent": "a percentage of two counts of the same cell",
    "ci_lower": "lower bound of a percentage's confidence interval",
    "ci_upper": "upper bound of a percentage's confidence interval",
    "comparison": "a percentage compared with the benchmark (a label in symbol)",
    "trend": "the trend of a percentage over the years (a label in symbol)",
    "difference": "an effect in percentage points",
    "effect_ci_lower": "lower bound of an effect's confidence interval",
    "effect_ci_upper": "upper bound of an effect's confidence interval",
    "relative": "an effect relative to the comparison group, %",
    "p_value": "the p-value of an effect",
    "smd": "a standardised mean difference",
    "cells": "a number of published cells (not of people)",
    "share": "a proportion of published cells",
    "sum_of_published": "a sum of published counts",
    "percent_of_published": "a percentage of two sums of published counts",
    "measures": "a number of measures (not of people)",
    "max_error": "the most a shown percentage can differ from the true one, in percentage points",
    "share_due": "share of a cohort's units already due a follow-up, %",
    "maturity": "whether a cohort is complete or still maturing (a label in symbol)",
    "supported_share": "the supported group's percentage an effect estimate is the difference of",
    "comparison_share": "the comparison group's percentage that reproduces the estimate",
    "share_max_error": "the largest max_error of the shares beside an estimate, in percentage points",
    "estimate": "a percentage the linkage model estimates over all scored pairs (not a count of people)",
}
"""Every kind, with what its value is."""

LABEL_KINDS: dict[str, tuple[str, ...]] = {
    "comparison": COMPARISON_LABELS, "trend": TREND_LABELS, "maturity": MATURITY_LABELS,
    "max_error": (LOW_RELIABILITY,), "share_max_error": (LOW_RELIABILITY,),
}
"""Kinds whose result is a label (in the symbol column) rather than a number; other kinds use GSS symbols only."""

PERCENT_KINDS = ("percent", "ci_lower", "ci_upper", "max_error", "comparison")
PERCENT_WITH_TREND_KINDS = (*PERCENT_KINDS, "trend")
EFFECT_KINDS = ("difference", "effect_ci_lower", "effect_ci_upper")
ESTIMATE_KINDS = (*EFFECT_KINDS, "supported_share", "comparison_share", "share_max_error")
MATURITY_KINDS = ("share_due", "maturity")


NEW_DATA, LATE_RECORDS, CHANGE_OF_METHOD = "new data", "late records", "change of method"
REVISION_REASONS: tuple[str, ...] = (NEW_DATA, LATE_RECORDS, CHANGE_OF_METHOD)
"""Why a published figure was revised between editions (the `reason` column of published_revision), in order."""


# --- tables and their statistics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statistic:
    """A published statistic and the kinds of row it is published as."""

    name: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class PublishedTable:
    """A published table (a value of the `table` column) and everything it may contain."""

    name: str
    description: str
    statistics: tuple[Statistic, ...]

    def kinds_of(self, statistic: str) -> tuple[str, ...] | None:
        return next((entry.kinds for entry in self.statistics if entry.name == statistic), None)


def _counts(*names: str) -> tuple[Statistic, ...]:
    return tuple(Statistic(name, ("count",)) for name in names)


_IMPACT_GROUPS = ("supported", "comparison", "matched_supported", "matched_comparison")
_IMPACT_METHODS = ("psm", "aipw", "naive")
_SENSITIVITY_CALIPERS = ("0.1", "0.5")  # metrics.impact.analysis.SENSITIVITY_CALIPERS

TABLES: tuple[PublishedTable, ...] = (
    PublishedTable("families", "families attached, closed and open, by locality and period",
                   _counts("families_attached", "families_closed", "families_open_at_end")),
    PublishedTable("measure_progress", "units with each need: reviewed, improved, due the sustain check, sustained", (
        *_counts("with_need", "reviewed", "improved", "due_sustain_check", "sustained"),
        Statistic("improved_percent", PERCENT_WITH_TREND_KINDS),
        Statistic("sustained_percent", PERCENT_WITH_TREND_KINDS),
    )),
    PublishedTable("family_outcomes", "families whose every identified need improved and was sustained", (
        *_counts("families_due", "successful_families"),
        Statistic("successful_percent", PERCENT_WITH_TREND_KINDS),
    )),
    PublishedTable("impact", "group sizes, outcome percentages and effect estimates of the matched comparison", (
        *_counts("supported_with_need", "supported_not_yet_due", "supported_missing_follow_up", "supported_analysed",
                 "supported_need_present", "supported_unmatched", "comparison_with_need", "comparison_not_yet_due",
                 "comparison_missing_follow_up", "comparison_analysed", "comparison_need_present", "matched_pairs",
                 "matched_supported_need_present", "matched_comparison_need_present"),
        *(Statistic(f"{group}_percent", PERCENT_KINDS) for group in _IMPACT_GROUPS),
        *(Statistic(f"{method}_difference", ESTIMATE_KINDS) for method in _IMPACT_METHODS),
        *(Statistic(f"psm_caliper_{width}_difference", EFFECT_KINDS) for width in _SENSITIVITY_CALIPERS),
        *(Statistic(f"{method}_relative_difference", ("relative",)) for method in _IMPACT_METHODS),
        *(Statistic(f"{method}_p_value", ("p_value",)) for method in _IMPACT_METHODS),
        Statistic("psm_mde", ("difference",)),
    )),
    PublishedTable("impact_balance", "standardised mean differences of each covariate before and after matching",
                   (Statistic("smd_before", ("smd",)), Statistic("smd_after", ("smd",)))),
    PublishedTable("cohort_maturity", "share of each cohort already due a follow-up, and whether it is complete", (
        *(Statistic(name, MATURITY_KINDS) for name in ("improved_percent", "sustained_percent",
                                                        "successful_percent")),
    )),
    PublishedTable("needs_overview", "the Overview's all-needs headline, made from published counts only", (
        Statistic("needs_due_sustain_check", ("sum_of_published",)),
        Statistic("needs_sustained", ("sum_of_published",)),
        Statistic("needs_sustained_percent", ("percent_of_published", "max_error")),
        Statistic("measures_included", ("measures",)),
    )),
    PublishedTable("linkage_quality", "how well partner records were linked into people: records, match and family "
                   "rates by source, sex, age band and ethnic group, the review queue, the model's estimates", (
        *_counts("person_records", "records_matched", "records_in_family", "people", "review_queue_pairs",
                 "ambiguous_records"),
        Statistic("matched_percent", ("percent", "ci_lower", "ci_upper", "max_error")),
        Statistic("in_family_percent", ("percent", "ci_lower", "ci_upper", "max_error")),
        Statistic("estimated_precision", ("estimate",)),
        Statistic("estimated_recall", ("estimate",)),
    )),
    PublishedTable("disclosure_summary", "cells suppressed per published table (numbers of cells, not people)", (
        *(Statistic(name, ("cells",)) for name in ("count_cells", "percent_cells", "suppressed_primary",
                                                    "of_which_class_zero", "suppressed_secondary",
                                                    "percent_suppressed")),
        Statistic("share_count_cells_suppressed", ("share",)),
    )),
)

TABLES_BY_NAME: dict[str, PublishedTable] = {table.name: table for table in TABLES}
STATISTICS: tuple[str, ...] = tuple(dict.fromkeys(entry.name for table in TABLES for entry in table.statistics))
SYMBOLS: tuple[str, ...] = (*GSS_SYMBOLS, LOW_RELIABILITY, *COMPARISON_LABELS, *TREND_LABELS, *MATURITY_LABELS)

PUBLICATION_FACTS: dict[str, str] = {
    "published_at": "when the publication was made (UTC)",
    "data_as_of": "the data extract date of the linked data",
    "is_synthetic": "true when the linked data are synthetic",
    "threshold": "disclosure policy: smallest count shown",
    "rounding_base": "disclosure policy: counts are rounded to this base",
    "percentage_min_each_side": "disclosure policy: smallest numerator and remainder of a percentage shown",
    "class_disclosure_min_group": "disclosure policy: smallest group checked for class disclosure",
    "protection_level": "disclosure policy: how far a hidden count must stay uncertain",
    "confidence_level": "disclosure policy: confidence level of the intervals",
    "edition": "the edition's number (each publication of changed figures is a new edition)",
    "edition_digest": "SHA-256 of the edition's published rows",
    "method_digest": "SHA-256 of the policy and configuration the edition was made with",
}
"""The keys of publication_info, with what each records."""

# --- columns ---------------------------------------------------------------------------------------------------

OPEN = None
"""An open column: its values come from configuration or data, so it is stored as unbounded text."""

COLUMN_VOCABULARY: dict[str, tuple[str, ...] | None] = {
    "table": tuple(TABLES_BY_NAME),
    "measure": OPEN,  # config/measures.toml ids, "all", "any_need"
    "locality": OPEN,  # config/localities.toml names and the benchmark area
    "period": OPEN,  # financial years and quarters, "all"
    "breakdown": OPEN,  # config/breakdowns.toml ids and the impact and summary breakdowns
    "category": OPEN,  # categories of a breakdown (ethnic groups, score bins, covariates, table names)
    "statistic": STATISTICS,
    "kind": tuple(KINDS),
    "symbol": SYMBOLS,
    "numerator": STATISTICS,
    "denominator": STATISTICS,
}
"""The closed vocabulary of each text column of published_statistic (OPEN for unbounded text)."""

FACT_VOCABULARY: dict[str, tuple[str, ...] | None] = {"key": tuple(PUBLICATION_FACTS), "value": OPEN}


def text_length(vocabulary: tuple[str, ...] | None) -> int | None:
    """The column length that holds every declared value (None: unbounded text)."""
    return None if vocabulary is None else max(len(value) for value in vocabulary)


# --- the check -----------------------------------------------------------------------------------------------------


class UndeclaredValueError(ValueError):
    """A publication holds values the catalogue does not declare; nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        listed = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"The publication holds values that data_access/published_catalogue.py does not declare "
                         f"(declare them there, or fix the step that made them); nothing was written:\n{listed}")


def vocabulary_problems(distinct: Mapping[str, Iterable[str | None]],
                        combinations: Iterable[tuple[str, str, str]] = (),
                        symbols_by_kind: Iterable[tuple[str, str]] = (),
                        vocabulary: Mapping[str, tuple[str, ...] | None] = COLUMN_VOCABULARY) -> list[str]:
    """Every undeclared value, as a sentence naming it (empty when all are declared).

    distinct: each column's distinct values (columns not in `vocabulary` are ignored; empty values are allowed);
    combinations: distinct (table, statistic, kind) triples; symbols_by_kind: distinct (kind, symbol) pairs.
    """
    problems = []
    for column, values in distinct.items():
        allowed = vocabulary.get(column)
        if allowed is None:
            continue
        undeclared = sorted({value for value in values if value is not None} - set(allowed))
        if undeclared:
            problems.append(f"column {column}: undeclared value(s) {', '.join(map(repr, undeclared))}")
    for table, statistic, kind in sorted(set(combinations)):
        declared = TABLES_BY_NAME.get(table)
        if declared is None or statistic not in STATISTICS or kind not in KINDS:
            continue  # already reported as an undeclared value of its column
        kinds = declared.kinds_of(statistic)
        if kinds is None:
            problems.append(f"table {table!r}: statistic {statistic!r} is not declared for this table")
        elif kind not in kinds:
            problems.append(f"table {table!r}: statistic {statistic!r} is declared with kinds "
                            f"{', '.join(kinds)}, not {kind!r}")
    for kind, symbol in sorted(set(symbols_by_kind), key=lambda pair: (pair[0], pair[1] or "")):
        if symbol is None or kind not in KINDS:
            continue
        allowed_symbols = (*GSS_SYMBOLS, *LABEL_KINDS.get(kind, ()))
        if symbol in SYMBOLS and symbol not in allowed_symbols:
            problems.append(f"kind {kind!r}: symbol {symbol!r} is not one this kind may carry")
    return problems
