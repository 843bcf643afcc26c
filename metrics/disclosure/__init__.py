"""The disclosure-control module: every number a page, chart or download shows passes through here.

primary       the primary rule (suppress 1..threshold-1, round the rest) and the percentage rule
relations     the linear relations a reader knows about the published tables
attack        the reader's LP: the interval each suppressed cell is known to lie in
secondary     primary + secondary suppression of count cells, looped until the attack fails everywhere
publication   protect_publication: true count cells in, the full published frame out
refresh       which counts are the same people in two editions (frozen, and the links between editions)
history       protecting a new edition jointly with every earlier edition a reader may hold
revisions     "What changed": the figures revised since the previous edition, from published figures only
parallel      independent blocks in worker processes that die with their parent
See docs/disclosure.md for the policy in plain English and the attacker's assumptions; metrics.audit attacks a
published CSV from the outside.
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
from metrics.disclosure.publication import (
    PUBLISHED_COLUMNS,
    PercentSpecLike,
    ProtectedPublication,
    protect_publication,
    protect_publication_report,
)
from metrics.disclosure.relations import TableKnowledge
from metrics.disclosure.secondary import ProtectionError

__all__ = [
    "CONFIDENTIAL",
    "NOT_APPLICABLE",
    "NOT_AVAILABLE",
    "PUBLISHED_COLUMNS",
    "SYMBOLS",
    "PercentSpecLike",
    "ProtectedPublication",
    "ProtectionError",
    "TableKnowledge",
    "percent_publishable",
    "protect_count",
    "protect_counts_frame",
    "protect_publication",
    "protect_publication_report",
    "protected_count_exprs",
    "published_count_bounds",
    "round_count",
    "smallest_published_count",
]
