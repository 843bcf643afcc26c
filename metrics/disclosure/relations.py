"""The linear relations a reader of the published tables knows, built from the table keys alone.

A reader of docs/published-tables.md knows, for every count statistic:
  * locality:  Dorset = the sum of the six localities (financial years and "all"; quarters are Dorset only);
  * category:  the categories of a breakdown (including "Not recorded") sum to All;
  * identity:  (breakdown X, category All) is the same set of units as (breakdown none, category All);
  * period:    for additive statistics, the quarters of a year sum to the year (and years to "all");
  * pooled:    for additive statistics, a pooled period ("2021/22-2023/24", metrics.periods) is the sum of its years;
  * stock:     for a stock (families open at the end of a period) the same families as the last quarter of the year,
               and open(p) = open(p-1) + attached(p) - closed(p) from the first published period (no-one open before);
  * ordering:  improved <= reviewed <= with_need, sustained <= due_sustain_check <= with_need, sustained <= improved,
               successful_families <= families_due, impact matched_pairs <= supported_analysed and
               <= comparison_analysed, and every percentage's numerator <= its denominator.
Cells that are the same set of units become one *unit* (one LP variable), so they always get one decision.
Units linked by any relation form a *block*; blocks are independent and are protected and attacked one at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

KEY_COLUMNS = ("table", "measure", "locality", "period", "breakdown", "category", "statistic")
ALL = "All"
NO_BREAKDOWN = "none"
ALL_PERIODS = "all"
POOLED_PERIOD = r"^\d{4}/\d{2}-\d{4}/\d{2}$"  # a pooled period: its first and last financial year


@dataclass(frozen=True)
class TableKnowledge:
    """Structure of the published tables that any reader knows (docs/published-tables.md).

    area_name: the whole area, the sum of the localities (localities.toml benchmark_name). polarities: measure id
    -> polarity (measures.toml; methodology page), which decides comparison and trend labels; a measure missing
    from it is taken as higher_is_better. Both come from configuration, passed in (data_access.config).
    """

    area_name: str
    polarities: Mapping[str, str]
    non_additive_over_periods: frozenset[tuple[str, str]] = frozenset({("families", "families_open_at_end")})
    orderings: tuple[tuple[str, str, str], ...] = (
        ("measure_progress", "improved", "reviewed"),
        ("measure_progress", "reviewed", "with_need"),
        ("measure_progress", "sustained", "due_sustain_check"),
        ("measure_progress", "due_sustain_check", "with_need"),
        ("measure_progress", "sustained", "improved"),
        ("family_outcomes", "successful_families", "families_due"),
        # impact: pairs are 1:1, so there are no more pairs than supported or comparison units, overall, in each
        # locality and in each propensity-score bin (pairs binned by the supported or by the comparison unit's score)
        ("impact", "matched_pairs", "supported_analysed"),
        ("impact", "matched_pairs", "comparison_analysed"),
    )
    # (table, stock statistic, inflow statistic, outflow statistic)
    stock_flows: tuple[tuple[str, str, str, str], ...] = (
        ("families", "families_open_at_end", "families_attached", "families_closed"),
    )
    extra_orderings: tuple[tuple[str, str, str], ...] = field(default=())

    def with_percent_orderings(self, specs: Iterable) -> TableKnowledge:
        """Add numerator <= denominator for each percentage (readers see both names on percent rows)."""
        extra = tuple((s.table, s.numerator, s.denominator) for s in specs)
        return replace(self, extra_orderings=tuple(dict.fromkeys(self.extra_orderings + extra)))

    def all_orderings(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(dict.fromkeys(self.orderings + self.extra_orderings))


@dataclass
class Structure:
    """Units (distinct sets of people/families), the relations between them and the independent blocks.

    cell_unit: for each input row (in order), its unit id.
    units: one row per unit id (0..n-1): key columns (canonical), `block`.
    terms: relation_id, unit_id, coef.   relations: relation_id, kind ("eq" | "le"), rhs, origin.
    A relation reads  sum(coef * x) == rhs  (eq)  or  sum(coef * x) <= rhs  (le).
    """

    cell_unit: np.ndarray
    units: pl.DataFrame
    terms: pl.DataFrame
    relations: pl.DataFrame

    @property
    def n_units(self) -> int:
        return self.units.height

    def block_of_units(self) -> np.ndarray:
        return self.units["block"].to_numpy()


def _is_pair(table: pl.Expr, statistic: pl.Expr, pairs: Iterable[tuple[str, str]]) -> pl.Expr:
    keys = [f"{t}\x1f{s}" for t, s in pairs]
    return pl.concat_str([table, statistic], separator="\x1f").is_in(keys)


def _canonical_cells(counts: pl.DataFrame, knowledge: TableKnowledge) -> pl.DataFrame:
    cells = counts.select(KEY_COLUMNS).with_row_index("row").with_columns(
        is_quarter=pl.col("period").str.contains(" Q", literal=True),
        is_pooled=pl.col("period").str.contains(POOLED_PERIOD),
        year=pl.col("period").str.split(" ").list.first(),
        ubreak=pl.when(pl.col("category") == ALL).then(pl.lit(NO_BREAKDOWN)).otherwise(pl.col("breakdown")),
        is_stock=_is_pair(pl.col("table"), pl.col("statistic"), [(t, s) for t, s, _, _ in knowledge.stock_flows]),
    )
    group = ["table", "measure", "statistic", "locality", "ubreak", "category", "year"]
    last_quarter = (
        cells.filter(pl.col("is_stock") & pl.col("is_quarter")).group_by(group).agg(last_quarter=pl.col("period").max())
    )
    cells = cells.join(last_quarter, on=group, how="left").with_columns(
        uperiod=pl.when(pl.col("is_stock") & ~pl.col("is_quarter") & pl.col("last_quarter").is_not_null())
        .then(pl.col("last_quarter"))
        .otherwise(pl.col("period"))
    )
    unit_key = ["table", "measure", "statistic", "locality", "uperiod", "ubreak", "category"]
    return cells.with_columns(unit_id=(pl.struct(unit_key).rank("dense") - 1).cast(pl.Int64)).sort("row")


def _sum_relation(cells: pl.DataFrame, mask: pl.Expr, group: list[str], is_total: pl.Expr, origin: str) -> pl.DataFrame:
    """total - sum(parts) == 0 for each group holding exactly one total and at least one part."""
    rows = cells.filter(mask).with_columns(
        rel_key=pl.concat_str([pl.lit(origin), *[pl.col(c) for c in group]], separator="|"),
        coef=pl.when(is_total).then(pl.lit(1.0)).otherwise(pl.lit(-1.0)),
    )
    rows = rows.filter((pl.col("coef") > 0).sum().over("rel_key") == 1, pl.len().over("rel_key") > 1)
    return rows.select("rel_key", "unit_id", "coef", origin=pl.lit(origin), kind=pl.lit("eq"), rhs=pl.lit(0.0))


def _pooled_relations(cells: pl.DataFrame, additive: pl.Expr) -> pl.DataFrame:
    """pooled - (sum of its years) == 0 for each pooled cell of an additive statistic whose years are all cells."""
    pooled = cells.filter(pl.col("is_pooled") & additive)
    if pooled.height == 0:
        return _empty_terms()
    first, last = pl.col("period").str.slice(0, 4).cast(pl.Int32), pl.col("period").str.slice(8, 4).cast(pl.Int32)
    place = ["table", "measure", "statistic", "locality", "breakdown", "category"]
    keyed = pooled.with_columns(rel_key=pl.concat_str([pl.lit("pooled"), *[pl.col(c) for c in place],
                                                       pl.col("period")], separator="|"))
    members = keyed.select(*place, "rel_key", start=pl.int_ranges(first, last + 1)).explode("start").with_columns(
        period=pl.format("{}/{}", pl.col("start"), ((pl.col("start") + 1) % 100).cast(pl.String).str.zfill(2)))
    years = members.join(cells.select(*place, "period", "unit_id"), on=[*place, "period"], how="inner")
    complete = years.group_by("rel_key").len().join(
        members.group_by("rel_key").len(), on="rel_key", suffix="_needed").filter(pl.col("len") == pl.col("len_needed"))
    terms = pl.concat([
        keyed.select("rel_key", "unit_id", coef=pl.lit(1.0)),
        years.select("rel_key", "unit_id", coef=pl.lit(-1.0)),
    ]).join(complete.select("rel_key"), on="rel_key", how="semi")
    return terms.with_columns(origin=pl.lit("pooled"), kind=pl.lit("eq"), rhs=pl.lit(0.0))


def _stock_relations(cells: pl.DataFrame, knowledge: TableKnowledge) -> pl.DataFrame:
    frames = []
    place = ["table", "measure", "locality", "breakdown", "category"]
    for table, stock, inflow, outflow in knowledge.stock_flows:
        these = cells.filter(pl.col("table") == table, pl.col("period") != ALL_PERIODS)
        stock_rows = (
            these.filter(pl.col("statistic") == stock)
            .sort("period")
            .with_columns(prev_unit=pl.col("unit_id").shift(1).over([*place, "is_quarter"]))
        )
        flows = {
            name: these.filter(pl.col("statistic") == name).select(*place, "period", pl.col("unit_id").alias(name))
            for name in (inflow, outflow)
        }
        joined = stock_rows.join(flows[inflow], on=[*place, "period"], how="inner").join(
            flows[outflow], on=[*place, "period"], how="inner"
        )
        joined = joined.with_columns(
            rel_key=pl.concat_str([pl.lit("stock"), *[pl.col(c) for c in place], pl.col("period")], separator="|")
        )
        parts = [
            joined.select("rel_key", "unit_id", coef=pl.lit(1.0)),
            joined.filter(pl.col("prev_unit").is_not_null()).select("rel_key", unit_id=pl.col("prev_unit"),
                                                                     coef=pl.lit(-1.0)),
            joined.select("rel_key", unit_id=pl.col(inflow), coef=pl.lit(-1.0)),
            joined.select("rel_key", unit_id=pl.col(outflow), coef=pl.lit(1.0)),
        ]
        frames.append(pl.concat(parts).with_columns(origin=pl.lit("stock"), kind=pl.lit("eq"), rhs=pl.lit(0.0)))
    return pl.concat(frames) if frames else _empty_terms()


def _ordering_relations(cells: pl.DataFrame, knowledge: TableKnowledge) -> pl.DataFrame:
    frames = []
    place = ["table", "measure", "locality", "period", "breakdown", "category"]
    for table, smaller, larger in knowledge.all_orderings():
        small = cells.filter(pl.col("table") == table, pl.col("statistic") == smaller).select(*place, "unit_id")
        large = cells.filter(pl.col("table") == table, pl.col("statistic") == larger).select(
            *place, pl.col("unit_id").alias("large_unit")
        )
        pairs = small.join(large, on=place, how="inner").unique(["unit_id", "large_unit"]).with_columns(
            rel_key=pl.concat_str([pl.lit("order"), pl.col("unit_id").cast(pl.String), pl.col("large_unit")
                                   .cast(pl.String)], separator="|")
        )
        frames.append(
            pl.concat([
                pairs.select("rel_key", "unit_id", coef=pl.lit(1.0)),
                pairs.select("rel_key", unit_id=pl.col("large_unit"), coef=pl.lit(-1.0)),
            ]).with_columns(origin=pl.lit("ordering"), kind=pl.lit("le"), rhs=pl.lit(0.0))
        )
    return pl.concat(frames) if frames else _empty_terms()


def _empty_terms() -> pl.DataFrame:
    return pl.DataFrame(schema={"rel_key": pl.String, "unit_id": pl.Int64, "coef": pl.Float64, "origin": pl.String,
                                "kind": pl.String, "rhs": pl.Float64})


def build_structure(counts: pl.DataFrame, knowledge: TableKnowledge) -> Structure:
    """Units, relations and blocks for the count rows of a publication (true or published: keys only are used)."""
    cells = _canonical_cells(counts, knowledge)
    area = knowledge.area_name
    additive = ~_is_pair(pl.col("table"), pl.col("statistic"), knowledge.non_additive_over_periods)
    not_all_period = pl.col("period") != ALL_PERIODS
    relations = [
        _sum_relation(cells, ~pl.col("is_quarter"),
                      ["table", "measure", "statistic", "period", "breakdown", "category"],
                      pl.col("locality") == area, "locality"),
        _sum_relation(cells, pl.col("breakdown") != NO_BREAKDOWN,
                      ["table", "measure", "statistic", "locality", "period", "breakdown"],
                      pl.col("category") == ALL, "category"),
        _sum_relation(cells, additive & not_all_period,
                      ["table", "measure", "statistic", "locality", "breakdown", "category", "year"],
                      ~pl.col("is_quarter"), "period"),
        _sum_relation(cells, additive & ~pl.col("is_quarter") & ~pl.col("is_pooled"),
                      ["table", "measure", "statistic", "locality", "breakdown", "category"],
                      pl.col("period") == ALL_PERIODS, "all_periods"),
        _pooled_relations(cells, additive),
        _stock_relations(cells, knowledge),
        _ordering_relations(cells, knowledge),
    ]
    terms = (
        pl.concat(relations)
        .group_by("rel_key", "unit_id", "origin", "kind", "rhs")
        .agg(pl.col("coef").sum())
        .filter(pl.col("coef") != 0)
    )
    signatures = (
        terms.sort("unit_id")
        .group_by("rel_key", "origin", "kind", "rhs")
        .agg(signature=pl.concat_str([pl.col("unit_id").cast(pl.String), pl.col("coef").cast(pl.String)],
                                     separator=":").str.join(","), n_terms=pl.len())
        .filter(pl.col("n_terms") > 1)
        .sort("origin", "rel_key")
        .unique(["kind", "rhs", "signature"], keep="first", maintain_order=True)
        .with_row_index("relation_id")
        .with_columns(pl.col("relation_id").cast(pl.Int64))
    )
    terms = terms.join(signatures.select("rel_key", "relation_id"), on="rel_key", how="inner").select(
        "relation_id", "unit_id", "coef"
    ).sort("relation_id", "unit_id")
    relation_table = signatures.select("relation_id", "kind", "rhs", "origin")
    units = (
        cells.group_by("unit_id")
        .agg(pl.col("table", "measure", "statistic", "locality").first(), period=pl.col("uperiod").first(),
             breakdown=pl.col("ubreak").first(), category=pl.col("category").first())
        .sort("unit_id")
    )
    n_units = units.height
    block = _blocks(terms, n_units, relation_table.height)
    units = units.with_columns(block=pl.Series(block, dtype=pl.Int64))
    return Structure(cells["unit_id"].to_numpy(), units, terms, relation_table)


def _blocks(terms: pl.DataFrame, n_units: int, n_relations: int) -> np.ndarray:
    """Connected components of the unit-relation graph (a unit in no relation is a block of its own)."""
    size = n_units + n_relations
    if terms.height == 0:
        return np.arange(n_units)
    units = terms["unit_id"].to_numpy()
    rels = terms["relation_id"].to_numpy() + n_units
    graph = coo_matrix((np.ones(units.size), (units, rels)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    unit_labels = labels[:n_units]
    _, compact = np.unique(unit_labels, return_inverse=True)
    return compact.astype(np.int64)


def relation_residuals(structure: Structure, unit_values: np.ndarray) -> pl.DataFrame:
    """sum(coef * x) - rhs for each relation at the given unit values (validates relations on the truth)."""
    values = unit_values[structure.terms["unit_id"].to_numpy()] * structure.terms["coef"].to_numpy()
    sums = (
        structure.terms.select("relation_id").with_columns(contribution=pl.Series(values))
        .group_by("relation_id").agg(pl.col("contribution").sum())
    )
    return structure.relations.join(sums, on="relation_id", how="left").with_columns(
        residual=pl.col("contribution").fill_null(0.0) - pl.col("rhs")
    ).drop("contribution")


def unit_values_from_cells(structure: Structure, cell_values: np.ndarray) -> np.ndarray:
    """One value per unit; raises if two cells of the same unit (the same set of people) disagree."""
    values = np.full(structure.n_units, np.nan)
    values[structure.cell_unit] = cell_values
    check = np.zeros(structure.n_units)
    np.fmax.at(check, structure.cell_unit, np.abs(cell_values - values[structure.cell_unit]))  # NaN: not known
    if np.any(check > 0):
        bad = structure.units.filter(pl.Series(check > 0)).head(5)
        raise ValueError(f"cells for the same set of units carry different values, e.g. {bad.to_dicts()}")
    return values


def with_relations(structure: Structure, relation_of_term: np.ndarray, unit_of_term: np.ndarray,
                   coef_of_term: np.ndarray, kind: str, rhs: np.ndarray, origin: str, *,
                   merge_blocks: bool) -> Structure:
    """The structure with extra relations of one kind: relation i is sum(coef * x) (== or <=) rhs[i] over the terms
    whose relation_of_term is i. merge_blocks=False keeps the blocks (only for relations inside one block, e.g.
    bounds on one unit); True recomputes them (relations may join blocks)."""
    if rhs.size == 0:
        return structure
    first = int(structure.relations["relation_id"].max()) + 1 if structure.relations.height else 0
    ids = np.arange(first, first + rhs.size, dtype=np.int64)
    terms = pl.concat([structure.terms, pl.DataFrame({
        "relation_id": ids[np.asarray(relation_of_term, dtype=np.int64)],
        "unit_id": np.asarray(unit_of_term, dtype=np.int64), "coef": np.asarray(coef_of_term, dtype=np.float64),
    }, schema=structure.terms.schema)]).sort("relation_id", "unit_id")
    relations = pl.concat([structure.relations, pl.DataFrame({
        "relation_id": ids, "kind": [kind] * ids.size, "rhs": np.asarray(rhs, dtype=np.float64),
        "origin": [origin] * ids.size,
    }, schema=structure.relations.schema)])
    units = structure.units
    if merge_blocks:
        units = units.with_columns(block=pl.Series(_blocks(terms, structure.n_units, relations.height),
                                                   dtype=pl.Int64))
    return Structure(structure.cell_unit, units, terms, relations)


def merge_units(structure: Structure, unit_pairs: np.ndarray) -> tuple[Structure, np.ndarray]:
    """The structure with the two units of each pair made one (the same people in two editions), and the merged unit
    of every unit (an array over the old unit ids).

    x_a = x_b is substituted rather than added as a relation: a joint system of two editions then has one variable
    for a count both editions hold instead of two tied by an equation, and the earlier edition's relations over such
    counts become copies of the new edition's and are dropped. Its LPs are about the size of one edition's instead
    of two, with the same feasible values (an LP over the merged units is the same LP with the equations solved).
    Merged units are numbered in order of their smallest member (whose key columns they keep); a relation's terms on
    one merged unit are added up (terms that cancel are dropped), relations left with no terms or identical to an
    earlier one (kind, right-hand side and terms) are dropped, and relations and blocks are numbered again.
    """
    n = structure.n_units
    unit_pairs = np.asarray(unit_pairs, dtype=np.int64).reshape(-1, 2)
    unit_pairs = unit_pairs[unit_pairs[:, 0] != unit_pairs[:, 1]]
    if unit_pairs.shape[0] == 0:
        return structure, np.arange(n, dtype=np.int64)
    graph = coo_matrix((np.ones(unit_pairs.shape[0]), (unit_pairs[:, 0], unit_pairs[:, 1])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    smallest = np.full(component.max() + 1, n, dtype=np.int64)
    np.minimum.at(smallest, component, np.arange(n, dtype=np.int64))
    rank = np.empty(smallest.size, dtype=np.int64)
    rank[np.argsort(smallest, kind="stable")] = np.arange(smallest.size, dtype=np.int64)
    merged = rank[component]
    representatives = np.sort(smallest)
    units = structure.units[representatives].with_columns(unit_id=pl.int_range(pl.len(), dtype=pl.Int64))
    terms = (
        structure.terms.with_columns(unit_id=pl.Series(merged[structure.terms["unit_id"].to_numpy()],
                                                       dtype=pl.Int64))
        .group_by("relation_id", "unit_id").agg(pl.col("coef").sum())
        .filter(pl.col("coef").abs() > 1e-12)
        .sort("relation_id", "unit_id")
    )
    signatures = (
        terms.group_by("relation_id", maintain_order=True)
        .agg(signature=pl.concat_str([pl.col("unit_id").cast(pl.String), pl.col("coef").cast(pl.String)],
                                     separator=":").str.join(","))
        .join(structure.relations, on="relation_id", how="inner")
        .sort("relation_id")
        .unique(["kind", "rhs", "signature"], keep="first", maintain_order=True)
        .with_row_index("new_relation_id")
        .with_columns(pl.col("new_relation_id").cast(pl.Int64))
    )
    relations = signatures.select(pl.col("new_relation_id").alias("relation_id"), "kind", "rhs", "origin")
    terms = terms.join(signatures.select("relation_id", "new_relation_id"), on="relation_id", how="inner").select(
        pl.col("new_relation_id").alias("relation_id"), "unit_id", "coef").sort("relation_id", "unit_id")
    units = units.with_columns(block=pl.Series(_blocks(terms, units.height, relations.height), dtype=pl.Int64))
    return Structure(merged[structure.cell_unit], units, terms, relations), merged


def drop_relations(structure: Structure, relation_ids: np.ndarray) -> Structure:
    """The same structure without some relations (blocks are kept: they may only split, never merge)."""
    keep = ~structure.relations["relation_id"].is_in(relation_ids.tolist())
    relations = structure.relations.filter(keep)
    terms = structure.terms.filter(pl.col("relation_id").is_in(relations["relation_id"].implode()))
    return Structure(structure.cell_unit, structure.units, terms, relations)
