"""The disclosure-control module: every number a page, chart or download shows passes through here.

See docs/disclosure.md for the policy in plain English and the attacker's assumptions (metrics.audit).
"""

from metrics.disclosure.primary import (
    CONFIDENTIAL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SYMBOLS,
    percent_publishable,
    protect_count,
    protect_counts_frame,
    protected_count_exprs,
    published_count_bounds,
    round_count,
    smallest_published_count,
)

__all__ = [
    "CONFIDENTIAL",
    "NOT_APPLICABLE",
    "NOT_AVAILABLE",
    "SYMBOLS",
    "percent_publishable",
    "protect_count",
    "protect_counts_frame",
    "protected_count_exprs",
    "published_count_bounds",
    "round_count",
    "smallest_published_count",
]
