"""From linked pairs to people: connected components that never join records which cannot be one person.

Why not plain connected components: a record with no date of birth and no NHS number ("Gareth Clarke, 40
Stephenson Gardens") links above the threshold to a father and to his son of the same name at that address, and
through it the two men's records become one person (on the 5,000-family synthetic extracts, 8 such merges made
three quarters of all false pairs). Two records cannot be one person when they hold different NHS numbers, NI
numbers or UPNs (each valid: normalisation nulls the invalid ones), or dates of birth none of which is equal to,
day and month swapped with, or one keying error from any of the other's. So:

1. Components whose records hold no such conflict (nearly all) are people, as before.
2. A component with a conflict, or with an analyst's "not a match" inside, is re-clustered greedily, strongest
   link first: a link is skipped when it would put conflicting records, or a "not a match" pair, into one person.
   An analyst's "match" is always taken first (it overrides identifiers, never another "not a match").
3. A record is ambiguous when a skipped link out of it is nearly as strong as its strongest link to the person it
   joined: less than the automatic-link odds (auto_link_probability, as a log-odds margin) apart. Such a record
   would be given to one of two people on a coin toss, so it is linked to neither (it stays a person of its own)
   and its pairs go to the review queue, where an analyst decides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

IDENTIFIER_COLUMNS = ("nhs_number", "ni_number", "upn")
"""Identifiers a person has one of: two different valid values mean two people."""
IDENTITY_COLUMNS = ("record_id", *IDENTIFIER_COLUMNS, "date_of_birth")
ANALYST_MATCH = 2.0
"""Priority of an analyst's "match" (above every probability, so it is taken first)."""
MAX_ROUNDS = 10


@dataclass(frozen=True)
class Clustering:
    clusters: pl.DataFrame  # record_id, person_key (the smallest record_id of the person's records)
    ambiguous: frozenset[str] = field(default_factory=frozenset)  # records held apart for review


def log_odds(probability: float) -> float:
    """Match weight in bits, log2(p / (1 - p)), finite for p = 0 or 1 (float precision)."""
    p = min(max(probability, 1e-300), 1.0)
    return math.log2(p) - math.log2(max(1.0 - p, 1e-16))


@cache
def dates_compatible(left: str, right: str) -> bool:
    """Two YYYY-MM-DD dates of birth one person could have been given: equal, day and month swapped, or one keying
    error apart (one character changed, or two neighbours exchanged)."""
    if left == right:
        return True
    if len(left) == len(right) == 10 and left[:4] == right[:4] and left[5:7] == right[8:10] \
            and left[8:10] == right[5:7]:
        return True
    if len(left) != len(right):
        return False
    differ = [index for index, (a, b) in enumerate(zip(left, right, strict=True)) if a != b]
    if len(differ) == 1:
        return True
    return len(differ) == 2 and differ[1] == differ[0] + 1 and left[differ[0]] == right[differ[1]] \
        and left[differ[1]] == right[differ[0]]


def dates_conflict(left: Iterable[str], right: Iterable[str]) -> bool:
    """Two people's dates of birth say they are two people: both known and no date of one is compatible with any
    date of the other. (Not "any pair incompatible": one person's records can hold a swapped date and a mistyped
    one, which are not compatible with each other but each with the true date.)"""
    left, right = list(left), list(right)
    return bool(left) and bool(right) and not any(dates_compatible(a, b) for a in left for b in right)


@dataclass
class _Identity:
    """What a group of records says about the one person they would be: every value of each identifier."""

    values: dict[str, set[str]]

    def conflicts_with(self, other: _Identity) -> bool:
        for column in IDENTIFIER_COLUMNS:
            mine, theirs = self.values[column], other.values[column]
            if mine and theirs and (len(mine) > 1 or mine != theirs):
                return True
        return dates_conflict(self.values["date_of_birth"], other.values["date_of_birth"])

    def absorb(self, other: _Identity) -> None:
        for column, values in other.values.items():
            self.values[column] |= values


def _empty_identity() -> _Identity:
    return _Identity({column: set() for column in (*IDENTIFIER_COLUMNS, "date_of_birth")})


def _components(record_ids: pl.Series, edges: pl.DataFrame) -> np.ndarray:
    """Component label of each record (in `record_ids` order) under the undirected edges."""
    index = pl.DataFrame({"record_id": record_ids}).with_row_index("position")
    numbered = (edges.join(index.rename({"record_id": "record_id_l", "position": "left"}), on="record_id_l")
                .join(index.rename({"record_id": "record_id_r", "position": "right"}), on="record_id_r"))
    n = record_ids.len()
    left, right = numbered.get_column("left").to_numpy(), numbered.get_column("right").to_numpy()
    graph = coo_matrix((np.ones(left.size, dtype=np.int8), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _conflicted_components(labels: pl.DataFrame, identities: pl.DataFrame | None) -> set[int]:
    """Components holding two records that cannot be one person (vectorised; dates checked per distinct pair)."""
    if identities is None or identities.is_empty():
        return set()
    known = identities.join(labels, on="record_id", how="inner")
    multi = known.filter(pl.len().over("component") > 1)
    flagged: set[int] = set()
    for column in IDENTIFIER_COLUMNS:
        counts = multi.group_by("component").agg(pl.col(column).drop_nulls().n_unique().alias("n"))
        flagged |= set(counts.filter(pl.col("n") > 1).get_column("component").to_list())
    dates = (multi.select("component", "date_of_birth").drop_nulls().unique()
             .filter(pl.len().over("component") > 1).group_by("component").agg(pl.col("date_of_birth")))
    for component, values in dates.iter_rows():
        if component not in flagged and any(not dates_compatible(a, b) for i, a in enumerate(values)
                                            for b in values[i + 1:]):
            flagged.add(component)
    return flagged


class _Groups:
    """Union-find over one component's records, each group carrying its identity and members."""

    def __init__(self, identity: dict[str, _Identity]):
        self.parent: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        self.identity = identity

    def find(self, item: str) -> str:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def group(self, root: str) -> set[str]:
        return self.members.setdefault(root, {root})

    def identity_of(self, root: str) -> _Identity:
        return self.identity.setdefault(root, _empty_identity())

    def union(self, left: str, right: str) -> None:
        if len(self.group(left)) < len(self.group(right)):
            left, right = right, left
        self.parent[right] = left
        self.group(left).update(self.members.pop(right))
        self.identity_of(left).absorb(self.identity.pop(right, _empty_identity()))


def _greedy(edges: list[tuple[str, str, float]], identities: dict[str, _Identity],
            forbidden: dict[str, set[str]], detached: set[str]) -> tuple[_Groups, list[tuple[str, str, float]]]:
    """Strongest edge first; returns the groups and the edges skipped because they would join a conflict."""
    records = {record for left, right, _ in edges for record in (left, right)}
    groups = _Groups({record: _Identity({k: set(v) for k, v in identities[record].values.items()})
                      for record in records if record in identities})
    skipped = []
    for left, right, priority in edges:
        analyst_match = priority >= ANALYST_MATCH
        if not analyst_match and (left in detached or right in detached):
            continue
        root_left, root_right = groups.find(left), groups.find(right)
        if root_left == root_right:
            continue
        members_left, members_right = groups.group(root_left), groups.group(root_right)
        smaller, larger = sorted((members_left, members_right), key=len)
        if any(forbidden.get(member, set()) & larger for member in smaller):
            if not analyst_match:
                skipped.append((left, right, priority))
            continue
        if not analyst_match and groups.identity_of(root_left).conflicts_with(groups.identity_of(root_right)):
            skipped.append((left, right, priority))
            continue
        groups.union(root_left, root_right)
    return groups, skipped


def _ambiguous(groups: _Groups, skipped: list[tuple[str, str, float]], adjacency: dict[str, list[tuple[str, float]]],
               margin: float) -> set[str]:
    """Records whose skipped link is within `margin` bits of their strongest link into their own group."""
    found = set()
    for left, right, probability in skipped:
        weight = log_odds(probability)
        for record in (left, right):
            root = groups.find(record)
            if len(groups.group(root)) == 1:
                continue
            tie = max((log_odds(p) for other, p in adjacency.get(record, []) if groups.find(other) == root),
                      default=-math.inf)
            if tie - weight < margin:
                found.add(record)
    return found


def _recluster(ordered: list[tuple[str, str, float]], identities: dict[str, _Identity],
               forbidden: dict[str, set[str]], margin: float | None) -> tuple[dict[str, str], set[str]]:
    """record -> representative for one component's edges (record_id_l, record_id_r, priority), strongest first;
    and the records held apart as ambiguous."""
    adjacency: dict[str, list[tuple[str, float]]] = {}
    for left, right, priority in ordered:
        if priority < ANALYST_MATCH:
            adjacency.setdefault(left, []).append((right, priority))
            adjacency.setdefault(right, []).append((left, priority))
    detached: set[str] = set()
    for _ in range(MAX_ROUNDS):
        groups, skipped = _greedy(ordered, identities, forbidden, detached)
        newly = set() if margin is None else _ambiguous(groups, skipped, adjacency, margin) - detached
        if not newly:
            break
        detached |= newly
    records = {record for left, right, _ in ordered for record in (left, right)}
    return {record: groups.find(record) for record in records}, detached


def _identity_map(identities: pl.DataFrame, records: set[str]) -> dict[str, _Identity]:
    chosen = identities.filter(pl.col("record_id").is_in(list(records)))
    result: dict[str, _Identity] = {}
    for row in chosen.iter_rows(named=True):
        identity = result.setdefault(row["record_id"], _empty_identity())
        for column in (*IDENTIFIER_COLUMNS, "date_of_birth"):
            if row[column] is not None:
                identity.values[column].add(row[column])
    return result


def cluster_people(record_ids: pl.Series, links: pl.DataFrame, decisions: pl.DataFrame,
                   identities: pl.DataFrame | None = None, auto_link_probability: float | None = None) -> Clustering:
    """People from automatic links (record_id_l, record_id_r, match_probability, l < r), analysts' decisions
    (record_id_l, record_id_r, is_match, l < r) and the records' identities (IDENTITY_COLUMNS, several rows per
    record allowed; None: no identity constraints). auto_link_probability sets the ambiguity margin (None: no
    record is held apart as ambiguous)."""
    forced = decisions.filter(pl.col("is_match")).select("record_id_l", "record_id_r")
    forbidden_pairs = decisions.filter(~pl.col("is_match")).select("record_id_l", "record_id_r")
    edges = pl.concat([
        links.join(forbidden_pairs, on=["record_id_l", "record_id_r"], how="anti")
        .select("record_id_l", "record_id_r", pl.col("match_probability").cast(pl.Float64).alias("priority")),
        forced.with_columns(pl.lit(ANALYST_MATCH).alias("priority")),
    ]).sort("priority", descending=True).unique(["record_id_l", "record_id_r"], keep="first")
    labels = pl.DataFrame({"record_id": record_ids, "component": _components(record_ids, edges)})

    to_split = _conflicted_components(labels, identities)
    if not forbidden_pairs.is_empty():
        with_component = (forbidden_pairs.join(labels.rename({"record_id": "record_id_l"}), on="record_id_l")
                          .join(labels.rename({"record_id": "record_id_r", "component": "component_r"}),
                                on="record_id_r"))
        to_split |= set(with_component.filter(pl.col("component") == pl.col("component_r"))
                        .get_column("component").to_list())
    ambiguous: set[str] = set()
    if to_split:
        forbidden: dict[str, set[str]] = {}
        for left, right in forbidden_pairs.iter_rows():
            forbidden.setdefault(left, set()).add(right)
            forbidden.setdefault(right, set()).add(left)
        margin = None if auto_link_probability is None else log_odds(auto_link_probability)
        in_split = labels.filter(pl.col("component").is_in(list(to_split)))
        identity = {} if identities is None else _identity_map(identities, set(in_split.get_column("record_id")))
        component_edges = (edges.join(in_split.rename({"record_id": "record_id_l"}), on="record_id_l")
                           .sort(["component", "priority", "record_id_l", "record_id_r"],
                                 descending=[False, True, False, False]))
        by_component: dict[int, list[tuple[str, str, float]]] = {}
        for left, right, priority, label in component_edges.select(
                "record_id_l", "record_id_r", "priority", "component").iter_rows():
            by_component.setdefault(label, []).append((left, right, priority))
        split_labels: dict[str, str] = {}
        for label, ordered in by_component.items():
            representatives, held = _recluster(ordered, identity, forbidden, margin)
            ambiguous |= held
            split_labels.update({record: f"{label}:{root}" for record, root in representatives.items()})
        relabelled = pl.DataFrame({"record_id": list(split_labels), "split": list(split_labels.values())},
                                  schema={"record_id": record_ids.dtype, "split": pl.String})
        labels = (labels.join(relabelled, on="record_id", how="left")
                  .with_columns(pl.coalesce("split", pl.col("component").cast(pl.String)).alias("component"))
                  .drop("split"))
    clusters = labels.with_columns(pl.col("record_id").min().over("component").alias("person_key")).select(
        "record_id", "person_key")
    return Clustering(clusters, frozenset(ambiguous))
